package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.SortedMap;

import io.corral.codec.CustomResources;

/**
 * Starts a task's process in its sandbox {@code WORK/frameworks/FID/tasks/TID/runs/N} (a fresh
 * directory for every run, TID the task id in a form no other id shares): a small shell joins the
 * isolator's cgroups, runs the command with {@code sh -c}, and writes its exit status into
 * {@code WORK/}{@value #RUN_DIR}, so an agent restarted after the command ended still learns how
 * it ended (a restarted agent cannot wait for a process that is not its child).
 *
 * <p>With a task user ({@link TaskUser}) the command and its health checks run as that user, and
 * the shell that stays root trusts nothing the task controls: it gets a fixed environment (the
 * task's reaches the command through a file only the task user can read, sourced after
 * privileges are dropped), names every program by its absolute path, writes the exit status
 * outside the task-writable tree, and health-check output is opened by the task user.
 */
final class TaskLauncher
{
    /** Where older agents wrote the exit status (inside the sandbox): read for tasks they started. */
    static final String EXIT_STATUS_FILE = ".exit_status";
    /** Under the work dir: exit statuses and environment files, in a directory tasks cannot write. */
    static final String RUN_DIR = ".run";
    /** The root wrapper's whole environment when it starts a task as another user. */
    private static final String ROOT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

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

    /** A new run directory for the task: {@code runs/N}, N one more than any run of this task id so far. */
    File sandbox(final TaskRecord record)
    {
        final File runs = new File(config.workDir(), "frameworks/" + record.frameworkId + "/tasks/" +
            dirName(record.taskId) + "/runs");
        int next = 0;
        final String[] names = runs.list();
        for (final String name : names == null ? new String[0] : names)
        {
            if (name.matches("[0-9]{1,9}"))
            {
                next = Math.max(next, Integer.parseInt(name) + 1);
            }
        }
        return new File(runs, Integer.toString(next));
    }

    /** The newest run directory under a task's directory ({@code runs/N}, the highest N; links are not runs). */
    static File latestRun(final File taskDir)
    {
        int latest = 0;
        final String[] names = new File(taskDir, "runs").list();
        for (final String name : names == null ? new String[0] : names)
        {
            if (name.matches("[0-9]{1,9}") && Files.isDirectory(taskDir.toPath().resolve("runs").resolve(name),
                java.nio.file.LinkOption.NOFOLLOW_LINKS))
            {
                latest = Math.max(latest, Integer.parseInt(name));
            }
        }
        return new File(taskDir, "runs/" + latest);
    }

    /** The root-owned directory for exit statuses and environment files (made if missing). */
    private File runDir() throws IOException
    {
        final java.nio.file.Path dir = config.workDir().toPath().resolve(RUN_DIR);
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS))
        {
            Files.createDirectories(dir);
        }
        // Others may pass (a task user reads its own environment file there) but not list or write.
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        return dir.toFile();
    }

    /** The file names of one run in {@link #RUN_DIR}: framework, task directory and run, and a suffix. */
    private static String runFile(final TaskRecord record, final String suffix)
    {
        return record.frameworkId + "-" + dirName(record.taskId) + "-" + new File(record.sandbox).getName() + suffix;
    }

    /** Creates the sandbox and starts the task; records its pid and start time in {@code record}. */
    Process start(final TaskRecord record, final long agentId) throws IOException
    {
        final File sandbox = new File(record.sandbox);
        Files.createDirectories(sandbox.toPath().getParent());
        // A new directory, or none: never one a task (an earlier run) had made or linked.
        Files.createDirectory(sandbox.toPath());
        final TaskUser user = config.taskUser();
        final boolean switches = user != null && user.switches();
        if (switches)
        {
            user.own(config.workDir(), sandbox, "stdout", "stderr");
        }
        final File exitStatus = new File(runDir(), runFile(record, ".exit"));
        Files.deleteIfExists(exitStatus.toPath());
        record.exitStatusFile = exitStatus.getAbsolutePath();
        final java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("CORRAL_TASK_ID", record.taskId);
        env.put("CORRAL_FRAMEWORK_ID", Long.toString(record.frameworkId));
        env.put("CORRAL_AGENT_ID", Long.toString(agentId));
        for (final String line : record.env.split("\n"))
        {
            final int eq = line.indexOf('=');
            if (eq > 0)
            {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        env.put("CORRAL_SANDBOX", record.sandbox);
        // The isolator's prelude runs first, as the agent (joining the task's cgroups); then the
        // command, as the task user if there is one; the exit status is written as the agent.
        final String prelude = isolator.prepare(record);
        final ProcessBuilder pb;
        if (switches)
        {
            env.put("USER", user.name());
            env.put("LOGNAME", user.name());
            env.put("HOME", record.sandbox);
            final File envFile = environmentFile(record, user, env);
            pb = new ProcessBuilder("/bin/sh", "-c", prelude + user.prefix() +
                "/bin/sh -c '. \"$1\" && exec /bin/sh -c \"$2\"' corral-task \"$3\" \"$1\"; echo $? > \"$2\"",
                "corral-task", record.command, exitStatus.getAbsolutePath(), envFile.getAbsolutePath());
            rootEnvironment(pb);
        }
        else
        {
            pb = new ProcessBuilder("/bin/sh", "-c", prelude + "/bin/sh -c \"$1\"; echo $? > \"$2\"", "corral-task",
                record.command, exitStatus.getAbsolutePath());
            pb.environment().putAll(env);
        }
        pb.directory(sandbox).redirectOutput(new File(sandbox, "stdout")).redirectError(new File(sandbox, "stderr"));
        final Process process = pb.start();
        record.pid = process.pid();
        record.startMillis = process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
        return process;
    }

    /** The root wrapper's environment: a fixed PATH and nothing of the task's or the agent's. */
    private static void rootEnvironment(final ProcessBuilder pb)
    {
        pb.environment().clear();
        pb.environment().put("PATH", ROOT_PATH);
    }

    /**
     * The task's environment as {@code export NAME='value'} lines, in a new file in the root-owned
     * run directory that only the task user can read: sourced after privileges are dropped, so no
     * variable of the task (LD_PRELOAD, PATH, ...) ever reaches a process that runs as root.
     */
    private File environmentFile(final TaskRecord record, final TaskUser user, final java.util.Map<String, String> env)
        throws IOException
    {
        final StringBuilder text = new StringBuilder();
        for (final java.util.Map.Entry<String, String> e : env.entrySet())
        {
            if (e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*"))
            {
                text.append("export ").append(e.getKey()).append("='")
                    .append(e.getValue().replace("'", "'\\''")).append("'\n");
            }
        }
        final java.nio.file.Path file = runDir().toPath().resolve(runFile(record, ".env"));
        Files.deleteIfExists(file);
        Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
            java.nio.file.LinkOption.NOFOLLOW_LINKS);
        final var lookup = file.getFileSystem().getUserPrincipalLookupService();
        final java.nio.file.attribute.PosixFileAttributeView view = Files.getFileAttributeView(file,
            java.nio.file.attribute.PosixFileAttributeView.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        view.setOwner(lookup.lookupPrincipalByName(user.name()));
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
        return file.toFile();
    }

    /**
     * Starts one run of the task's health check in its sandbox, output appended to health.log. As
     * another user, the log is opened by that user after privileges are dropped (a link the task
     * made there leads nowhere it could not write itself), with the task's environment.
     */
    Process startHealthCheck(final TaskRecord record) throws IOException
    {
        final TaskUser user = config.taskUser();
        if (user == null || !user.switches())
        {
            return new ProcessBuilder("/bin/sh", "-c", "/bin/sh -c \"$1\"", "corral-health", record.healthCommand)
                .directory(new File(record.sandbox)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(record.sandbox, "health.log"))).start();
        }
        final File envFile = new File(runDir(), runFile(record, ".env"));
        final ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", user.prefix() + "/bin/sh -c '. \"$1\" && " +
            "exec >> health.log 2>&1 && exec /bin/sh -c \"$2\"' corral-health \"$2\" \"$1\"", "corral-health",
            record.healthCommand, envFile.getAbsolutePath())
            .directory(new File(record.sandbox)).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        rootEnvironment(pb);
        return pb.start();
    }

    /** The exit status the task wrapper wrote, or null if it wrote none. */
    static Integer readExitStatus(final TaskRecord record)
    {
        if (record.sandbox == null && record.exitStatusFile == null)
        {
            return null;
        }
        final File file = record.exitStatusFile != null ? new File(record.exitStatusFile) :
            new File(record.sandbox, EXIT_STATUS_FILE);
        try
        {
            return Files.isRegularFile(file.toPath(), java.nio.file.LinkOption.NOFOLLOW_LINKS) ?
                Integer.valueOf(Files.readString(file.toPath()).trim()) : null;
        }
        catch (final IOException | NumberFormatException ex)
        {
            return null;
        }
    }

    /**
     * A task id as one directory name no other task id maps to: letters, digits, '.' and '-' stay
     * (a leading '.' does not), every other byte of its UTF-8 is {@code _XX} in hex ('_' itself too),
     * so {@code a/b} and {@code a_b} get directories of their own.
     */
    static String dirName(final String taskId)
    {
        final StringBuilder b = new StringBuilder(taskId.length() + 8);
        final byte[] bytes = taskId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++)
        {
            final int c = bytes[i] & 0xFF;
            final boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' ||
                c == '.' && i > 0;
            if (plain)
            {
                b.append((char)c);
            }
            else
            {
                b.append('_').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        return b.length() == 0 ? "_" : b.toString();
    }
}
