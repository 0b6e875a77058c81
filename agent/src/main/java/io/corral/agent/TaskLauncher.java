package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.SortedMap;

import io.corral.codec.CustomResources;

/**
 * Starts a task's process in its sandbox {@code WORK/frameworks/FID/tasks/TID/runs/0}: a small
 * shell joins the isolator's cgroups, runs the command with {@code sh -c}, and writes its exit
 * status into the sandbox, so an agent restarted after the command ended still learns how it
 * ended (a restarted agent cannot wait for a process that is not its child). With a task user
 * ({@link TaskUser}) the command and its health checks run as that user.
 */
final class TaskLauncher
{
    static final String EXIT_STATUS_FILE = ".exit_status";

    private final AgentConfig config;
    private final Isolator isolator;

    TaskLauncher(final AgentConfig config, final Isolator isolator)
    {
        this.config = config;
        this.isolator = isolator;
    }

    /** Why this task cannot run here (empty command, more than the agent has), or null. */
    String problem(final TaskRecord record)
    {
        if (record.command.isBlank())
        {
            return "empty command";
        }
        final long[] total = config.resources();
        final String[] names = { "cpus (milli)", "mem (MiB)", "disk (MiB)", "gpus" };
        for (int i = 0; i < record.resources.length; i++)
        {
            if (record.resources[i] < 0 || record.resources[i] > total[i])
            {
                return "task asks for " + names[i] + " " + record.resources[i] + " but the agent has " + total[i];
            }
        }
        final SortedMap<String, Long> asked;
        try
        {
            asked = CustomResources.parse(record.customResources);
        }
        catch (final IllegalArgumentException ex)
        {
            return "task resources: " + ex.getMessage();
        }
        for (final Map.Entry<String, Long> e : asked.entrySet())
        {
            final long has = config.customResources().getOrDefault(e.getKey(), 0L);
            if (e.getValue() > has)
            {
                return "task asks for " + e.getKey() + " " + e.getValue() + " but the agent has " + has;
            }
        }
        return null;
    }

    File sandbox(final TaskRecord record)
    {
        return new File(config.workDir(), "frameworks/" + record.frameworkId + "/tasks/" + safe(record.taskId) +
            "/runs/0");
    }

    /** Creates the sandbox and starts the task; records its pid and start time in {@code record}. */
    Process start(final TaskRecord record, final long agentId) throws IOException
    {
        final File sandbox = new File(record.sandbox);
        if (!sandbox.isDirectory() && !sandbox.mkdirs())
        {
            throw new IOException("cannot create sandbox " + sandbox);
        }
        final TaskUser user = config.taskUser();
        if (user != null && user.switches())
        {
            user.own(config.workDir(), sandbox, "stdout", "stderr");
        }
        // The isolator's prelude runs first, as the agent (joining the task's cgroups); then the
        // command, as the task user if there is one; the exit status is written as the agent.
        final String prelude = isolator.prepare(record);
        final ProcessBuilder pb = new ProcessBuilder("sh", "-c", prelude + asUser() + "sh -c \"$1\"; echo $? > \"$2\"",
            "corral-task", record.command, new File(sandbox, EXIT_STATUS_FILE).getAbsolutePath())
            .directory(sandbox)
            .redirectOutput(new File(sandbox, "stdout"))
            .redirectError(new File(sandbox, "stderr"));
        pb.environment().put("CORRAL_TASK_ID", record.taskId);
        pb.environment().put("CORRAL_FRAMEWORK_ID", Long.toString(record.frameworkId));
        pb.environment().put("CORRAL_AGENT_ID", Long.toString(agentId));
        for (final String line : record.env.split("\n"))
        {
            final int eq = line.indexOf('=');
            if (eq > 0)
            {
                pb.environment().put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        pb.environment().put("CORRAL_SANDBOX", record.sandbox);
        if (user != null && user.switches())
        {
            pb.environment().put("USER", user.name());
            pb.environment().put("LOGNAME", user.name());
            pb.environment().put("HOME", record.sandbox);
        }
        final Process process = pb.start();
        record.pid = process.pid();
        record.startMillis = process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
        return process;
    }

    /** Starts one run of the task's health check in its sandbox, output appended to health.log. */
    Process startHealthCheck(final TaskRecord record) throws IOException
    {
        return new ProcessBuilder("sh", "-c", asUser() + "sh -c \"$1\"", "corral-health", record.healthCommand)
            .directory(new File(record.sandbox))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(record.sandbox, "health.log"))).start();
    }

    /** What starts a command as the task user ({@code setpriv ...}), or nothing. */
    private String asUser()
    {
        return config.taskUser() == null ? "" : config.taskUser().prefix();
    }

    /** The exit status the task wrapper wrote, or null if it wrote none. */
    static Integer readExitStatus(final TaskRecord record)
    {
        if (record.sandbox == null)
        {
            return null;
        }
        final File file = new File(record.sandbox, EXIT_STATUS_FILE);
        try
        {
            return file.isFile() ? Integer.valueOf(Files.readString(file.toPath()).trim()) : null;
        }
        catch (final IOException | NumberFormatException ex)
        {
            return null;
        }
    }

    static String safe(final String taskId)
    {
        return taskId.replaceAll("[^A-Za-z0-9_.-]", "_");
    }
}
