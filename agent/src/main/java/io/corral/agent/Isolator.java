package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Enforces a task's cpus and memory. {@link #prepare} runs before the task starts and returns a
 * shell prelude the task wrapper runs first (e.g. joining its cgroups, so that nothing the task
 * forks escapes them); {@link #overLimit} is asked periodically; {@link #wasMemoryKilled} after it
 * ended; {@link #release} cleans up.
 */
interface Isolator
{
    /** What the agent prints at start-up. */
    String describe();

    /** The shell prelude of the task wrapper (none: nothing to join). */
    default String prepare(TaskRecord task) throws IOException
    {
        return "";
    }

    /** True if the running task is over its memory limit and must be killed (watching isolators). */
    default boolean overLimit(TaskRecord task)
    {
        return false;
    }

    /** True if the task's end was the kernel enforcing its memory limit (confining isolators). */
    default boolean wasMemoryKilled(TaskRecord task)
    {
        return false;
    }

    /** Cleans up after the task (its cgroups). */
    default void release(TaskRecord task)
    {
    }

    /**
     * SIGKILL to whatever of an ended task is still running outside its process tree (a daemon that
     * double-forked away is still in the task's cgroup). Isolators without cgroups cannot find
     * those and do nothing.
     */
    default void killRemaining(TaskRecord task)
    {
    }

    /**
     * Chooses: "cgroups" (v2 where its memory and cpu controllers are available to the agent's own
     * cgroup, else v1), "rss", "none", or "auto" (cgroups, else rss), for the agent known on this
     * host by {@code agentKey} ({@link #agentKey}): its task cgroups go under
     * {@code corral-tasks/KEY}, so agents sharing a cgroup (several on one host, or in one JVM as
     * {@code corral dev} runs them) never remove or reuse each other's.
     */
    static Isolator choose(final String mode, final String agentKey)
    {
        final String m = mode.toLowerCase(Locale.ROOT);
        switch (m)
        {
            case "none":
                return new NoIsolation();
            case "rss":
                return new RssIsolation();
            case "cgroups":
            case "auto":
                String v2Problem;
                try
                {
                    return new CgroupsV2Isolation(agentKey);
                }
                catch (final IOException | RuntimeException ex)
                {
                    v2Problem = ex.getMessage();
                }
                final String v1Problem = CgroupsV1Isolation.problem();
                if (v1Problem == null)
                {
                    return new CgroupsV1Isolation(v2Problem, agentKey);
                }
                final String both = "cgroup v2: " + v2Problem + "; cgroup v1: " + v1Problem;
                if (m.equals("cgroups"))
                {
                    throw new IllegalArgumentException("--isolation=cgroups is not possible here: " + both);
                }
                return new RssIsolation(both);
            default:
                throw new IllegalArgumentException("--isolation must be cgroups, rss, none or auto, got '" + mode + "'");
        }
    }

    /** Where an agent's task cgroups go, under its own cgroup: {@code corral-tasks/KEY}. */
    static String tasksDir(final String agentKey)
    {
        return "corral-tasks/" + agentKey;
    }

    /**
     * A short name for the agent with this work directory, the same every time it starts there
     * (so that after a restart it finds its tasks' cgroups) and different for agents with
     * different ones.
     */
    static String agentKey(final File workDir)
    {
        try
        {
            final byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                .digest(workDir.getCanonicalPath().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "agent-" + java.util.HexFormat.of().formatHex(digest, 0, 6);
        }
        catch (final IOException | java.security.NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("cannot name the agent's cgroups from " + workDir, ex);
        }
    }

    /** Nothing enforced. */
    final class NoIsolation implements Isolator
    {
        @Override
        public String describe()
        {
            return "none (tasks are not limited)";
        }
    }

    /** Watches the resident memory of the task's process tree and kills it over the limit. */
    final class RssIsolation implements Isolator
    {
        private static final long PAGE = 4096;
        private final String why;

        RssIsolation()
        {
            this(null);
        }

        RssIsolation(final String why)
        {
            this.why = why;
        }

        @Override
        public String describe()
        {
            return "rss (memory watched every 500 ms, cpus not enforced)" + (why == null ? "" : "; no cgroups: " + why);
        }

        @Override
        public boolean overLimit(final TaskRecord task)
        {
            if (task.resources == null || task.resources[1] <= 0)
            {
                return false;
            }
            final long limit = task.resources[1] << 20;
            return ProcessHandle.of(task.pid).map(p -> rss(p) + p.descendants().mapToLong(RssIsolation::rss).sum())
                .orElse(0L) > limit;
        }

        static long rss(final ProcessHandle p)
        {
            try
            {
                final String[] statm = Files.readString(Path.of("/proc/" + p.pid() + "/statm")).trim().split(" ");
                return Long.parseLong(statm[1]) * PAGE;
            }
            catch (final IOException | RuntimeException ex)
            {
                return 0;
            }
        }

    }

    /**
     * cgroup v1: a memory and a cpu cgroup per task, created under the agent's own cgroups (read
     * from /proc/self/cgroup), never elsewhere. memory.limit_in_bytes from the task's mem;
     * cpu.cfs_quota_us from its cpus over a 100 ms period.
     */
    final class CgroupsV1Isolation implements Isolator
    {
        private static final long PERIOD_US = 100_000;
        private final File memoryRoot;
        private final File cpuRoot;
        private final String whyNotV2;
        private final CgroupDirs cgroups = new CgroupDirs();

        CgroupsV1Isolation(final String whyNotV2, final String agentKey)
        {
            this.whyNotV2 = whyNotV2;
            memoryRoot = new File(own("memory"), tasksDir(agentKey));
            cpuRoot = new File(own("cpu"), tasksDir(agentKey));
            memoryRoot.mkdirs();
            cpuRoot.mkdirs();
            CgroupDirs.removeEmptyChildren(memoryRoot);
            CgroupDirs.removeEmptyChildren(cpuRoot);
        }

        /** Why cgroup v1 cannot be used here, or null. */
        static String problem()
        {
            try
            {
                for (final String controller : List.of("memory", "cpu"))
                {
                    final File own = own(controller);
                    if (own == null || !own.isDirectory())
                    {
                        return "no cgroup v1 " + controller + " hierarchy for this process";
                    }
                    final File probe = new File(own, "corral-probe-" + ProcessHandle.current().pid());
                    if (!probe.mkdir() && !probe.isDirectory())
                    {
                        return "cannot create a child cgroup under " + own;
                    }
                    probe.delete();
                }
                return null;
            }
            catch (final RuntimeException ex)
            {
                return ex.getMessage();
            }
        }

        /** This process's own cgroup directory for a v1 controller, or null. */
        static File own(final String controller)
        {
            try
            {
                for (final String line : Files.readAllLines(Path.of("/proc/self/cgroup")))
                {
                    final String[] parts = line.split(":", 3);
                    if (parts.length == 3 && List.of(parts[1].split(",")).contains(controller))
                    {
                        final File mount = new File("/sys/fs/cgroup/" + controller);
                        return new File(mount, parts[2]);
                    }
                }
            }
            catch (final IOException ex)
            {
                return null;
            }
            return null;
        }

        private static String dirName(final TaskRecord task)
        {
            return task.frameworkId + "-" + TaskLauncher.dirName(task.taskId);
        }

        File memoryDir(final TaskRecord task)
        {
            return new File(memoryRoot, dirName(task));
        }

        File cpuDir(final TaskRecord task)
        {
            return new File(cpuRoot, dirName(task));
        }

        @Override
        public String describe()
        {
            return "cgroups v1 (memory, cpu) under " + memoryRoot.getParent() + " and " + cpuRoot.getParent() +
                (whyNotV2 == null ? "" : "; not v2: " + whyNotV2);
        }

        @Override
        public String prepare(final TaskRecord task) throws IOException
        {
            final File memory = memoryDir(task);
            final File cpu = cpuDir(task);
            if (!memory.isDirectory() && !memory.mkdirs() || !cpu.isDirectory() && !cpu.mkdirs())
            {
                throw new IOException("cannot create cgroups " + memory + " and " + cpu);
            }
            if (task.resources[1] > 0)
            {
                Files.writeString(new File(memory, "memory.limit_in_bytes").toPath(), Long.toString(task.resources[1] << 20));
            }
            Files.writeString(new File(cpu, "cpu.cfs_period_us").toPath(), Long.toString(PERIOD_US));
            Files.writeString(new File(cpu, "cpu.cfs_quota_us").toPath(),
                task.resources[0] > 0 ? Long.toString(Math.max(1000, task.resources[0] * PERIOD_US / 1000)) : "-1");
            // The wrapper joins both before starting the command: everything it forks stays inside.
            return "echo $$ > '" + new File(memory, "cgroup.procs") + "' && echo $$ > '" + new File(cpu, "cgroup.procs") +
                "' || exit 125; ";
        }

        @Override
        public boolean wasMemoryKilled(final TaskRecord task)
        {
            try
            {
                final File oom = new File(memoryDir(task), "memory.oom_control");
                if (oom.isFile())
                {
                    for (final String line : Files.readAllLines(oom.toPath()))
                    {
                        if (line.startsWith("oom_kill ") && Long.parseLong(line.substring(9).trim()) > 0)
                        {
                            return true;
                        }
                    }
                }
                final File failcnt = new File(memoryDir(task), "memory.failcnt");
                return failcnt.isFile() && Long.parseLong(Files.readString(failcnt.toPath()).trim()) > 0 &&
                    Integer.valueOf(137).equals(TaskLauncher.readExitStatus(task));
            }
            catch (final IOException | NumberFormatException ex)
            {
                return false;
            }
        }

        @Override
        public void killRemaining(final TaskRecord task)
        {
            CgroupsV2Isolation.killListed(new File(memoryDir(task), "cgroup.procs"));
        }

        @Override
        public void release(final TaskRecord task)
        {
            cgroups.remove(memoryDir(task), cpuDir(task));
        }
    }
}
