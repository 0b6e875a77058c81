package io.corral.client;

import java.util.Map;
import java.util.TreeMap;

/**
 * A task to launch from an offer: an id unique within the framework, a shell command, its
 * resources, and optionally environment variables, a kill grace period and a health check.
 */
public record TaskSpec(String taskId, String command, Resources resources, Map<String, String> env, long killGraceMs,
    HealthCheck healthCheck)
{
    /**
     * The most a task's id, command, environment and health command may take together, in bytes
     * (UTF-8): the task travels in one message to its agent. Larger inputs belong in a file the
     * task fetches, not in its command line.
     */
    public static final int MAX_SPEC_BYTES = 64 * 1024;
    /** Fixed part of a task in an accept (resources, options, length prefixes), in bytes. */
    static final int FIXED_WIRE_BYTES = 32 + 28 + 5 * 4;

    /** A command run in the task's sandbox every {@code intervalMs}; {@code maxFailures} in a row kill the task. */
    public record HealthCheck(String command, long intervalMs, long timeoutMs, int maxFailures)
    {
        public HealthCheck
        {
            if (command == null || command.isBlank())
            {
                throw new IllegalArgumentException("health check command must not be empty");
            }
            if (intervalMs <= 0 || timeoutMs <= 0 || maxFailures <= 0)
            {
                throw new IllegalArgumentException("health check interval, timeout and failures must be positive, got " +
                    intervalMs + " ms / " + timeoutMs + " ms / " + maxFailures);
            }
        }
    }

    public TaskSpec
    {
        if (taskId == null || taskId.isBlank())
        {
            throw new IllegalArgumentException("task id must not be empty");
        }
        if (command == null || command.isBlank())
        {
            throw new IllegalArgumentException("task '" + taskId + "' has an empty command");
        }
        if (resources == null)
        {
            throw new IllegalArgumentException("task '" + taskId + "' has no resources");
        }
        if (killGraceMs < 0)
        {
            throw new IllegalArgumentException("task '" + taskId + "' has a negative kill grace");
        }
        env = env == null ? Map.of() : new TreeMap<>(env);
        for (final String name : env.keySet())
        {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*"))
            {
                throw new IllegalArgumentException("task '" + taskId + "': environment variable name '" + name +
                    "' is invalid");
            }
        }
        final int bytes = specBytes(taskId, command, env, healthCheck);
        if (bytes > MAX_SPEC_BYTES)
        {
            throw new IllegalArgumentException("task '" + taskId + "' is " + (bytes + 1023) / 1024 + " KiB (id, " +
                "command, environment and health check together); the limit is " + MAX_SPEC_BYTES / 1024 + " KiB: " +
                "put large inputs in a file the task reads instead");
        }
    }

    private static int specBytes(final String taskId, final String command, final Map<String, String> env,
        final HealthCheck healthCheck)
    {
        int bytes = utf8(taskId) + utf8(command) + (healthCheck == null ? 0 : utf8(healthCheck.command()));
        for (final Map.Entry<String, String> e : env.entrySet())
        {
            bytes += utf8(e.getKey()) + 1 + utf8(e.getValue()) + 1;
        }
        return bytes;
    }

    private static int utf8(final String s)
    {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /**
     * About how many bytes this task takes in an accept message (an upper bound): an accept of
     * several tasks must stay within {@link CorralSchedulerDriver#MAX_ACCEPT_BYTES}.
     */
    public int wireBytes()
    {
        return FIXED_WIRE_BYTES + specBytes(taskId, command, env, healthCheck) +
            utf8(io.corral.codec.CustomResources.format(resources.custom()));
    }

    public TaskSpec(final String taskId, final String command, final Resources resources)
    {
        this(taskId, command, resources, Map.of(), 0, null);
    }

    /**
     * The argv form: runs {@code argv[0]} with exactly these arguments (no shell expansion). Each
     * argument is single-quoted for {@code sh}, which hands them back unchanged.
     */
    public static TaskSpec ofArgv(final String taskId, final Resources resources, final String... argv)
    {
        if (argv == null || argv.length == 0 || argv[0].isEmpty())
        {
            throw new IllegalArgumentException("task '" + taskId + "' has an empty argv");
        }
        final StringBuilder command = new StringBuilder("exec");
        for (final String arg : argv)
        {
            command.append(" '").append(arg.replace("'", "'\\''")).append('\'');
        }
        return new TaskSpec(taskId, command.toString(), resources);
    }

    public TaskSpec withEnv(final Map<String, String> variables)
    {
        return new TaskSpec(taskId, command, resources, variables, killGraceMs, healthCheck);
    }

    /** SIGTERM, then SIGKILL after this long (0: the agent's default, 3 s). */
    public TaskSpec withKillGraceMs(final long ms)
    {
        return new TaskSpec(taskId, command, resources, env, ms, healthCheck);
    }

    public TaskSpec withHealthCheck(final HealthCheck check)
    {
        return new TaskSpec(taskId, command, resources, env, killGraceMs, check);
    }

    /** The environment as the wire carries it: NAME=value lines. */
    String envLines()
    {
        final StringBuilder sb = new StringBuilder();
        env.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\n", " ")).append('\n'));
        return sb.toString();
    }
}
