package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * cgroup v2: one cgroup per task, nested under the agent's own cgroup (the {@code 0::} line of
 * {@code /proc/self/cgroup} on the cgroup2 mount), never elsewhere:
 * <pre>
 *   OWN/                  the agent's cgroup (e.g. a systemd service with Delegate=yes)
 *   OWN/corral-agent/     the agent process itself, moved here at start-up
 *   OWN/corral-tasks/     memory and cpu enabled for its children
 *   OWN/corral-tasks/KEY/ this agent's tasks (KEY from its work directory: agents sharing OWN
 *                         never touch each other's), memory and cpu enabled for its children
 *   OWN/corral-tasks/KEY/FID-TASK/   memory.max, memory.oom.group=1, memory.swap.max=0, cpu.max
 * </pre>
 * The agent moves itself into a leaf because cgroup v2 lets a cgroup hand controllers to its
 * children only while no process lives in it ("no internal processes"). When the kernel OOM-kills
 * a task, {@code memory.events} counts it ({@code oom_kill}); {@code cgroup.kill} ends whatever is
 * left of a task, double-forked daemons included.
 */
final class CgroupsV2Isolation implements Isolator
{
    static final List<String> CONTROLLERS = List.of("memory", "cpu");
    private static final long PERIOD_US = 100_000;

    private final File own;
    private final File tasksRoot;
    private final List<String> controllers;
    private final CgroupDirs cgroups = new CgroupDirs();

    /** Locates the agent's own cgroup from /proc and takes it over for memory and cpu. */
    CgroupsV2Isolation(final String agentKey) throws IOException
    {
        this(ownCgroup(), CONTROLLERS, ProcessHandle.current().pid(), agentKey);
    }

    /**
     * Takes over {@code own} (a cgroup v2 directory the agent was given): moves {@code agentPid}
     * into {@code own/corral-agent}, enables {@code controllers} for {@code own/corral-tasks} and
     * its children, and removes task cgroups left empty by an earlier run.
     *
     * @throws IOException saying why this cgroup cannot be used; nothing is left changed then.
     */
    CgroupsV2Isolation(final File own, final List<String> controllers, final long agentPid, final String agentKey)
        throws IOException
    {
        this.own = own;
        this.controllers = List.copyOf(controllers);
        check(own, controllers);
        final File agentLeaf = new File(own, "corral-agent");
        final File allTasks = new File(own, "corral-tasks");
        tasksRoot = new File(own, Isolator.tasksDir(agentKey));
        if (!agentLeaf.isDirectory() && !agentLeaf.mkdir() || !tasksRoot.isDirectory() && !tasksRoot.mkdirs())
        {
            throw new IOException("cannot create child cgroups under " + own);
        }
        final String enable = enableLine();
        try
        {
            write(new File(agentLeaf, "cgroup.procs"), Long.toString(agentPid));
            if (!enable.isEmpty())
            {
                write(new File(own, "cgroup.subtree_control"), enable);
                write(new File(allTasks, "cgroup.subtree_control"), enable);
                write(new File(tasksRoot, "cgroup.subtree_control"), enable);
            }
        }
        catch (final IOException ex)
        {
            // Put the agent back and leave nothing behind.
            try
            {
                write(new File(own, "cgroup.procs"), Long.toString(agentPid));
            }
            catch (final IOException ignored)
            {
                // It stays in the leaf, which is still under its own cgroup.
            }
            agentLeaf.delete();
            tasksRoot.delete();
            allTasks.delete();
            throw new IOException("cannot enable " + String.join(", ", controllers) + " for child cgroups of " + own +
                " (" + ex.getMessage() + "); if other processes live in that cgroup, give the agent one of its own " +
                "(systemd: Delegate=yes)", ex);
        }
        CgroupDirs.removeEmptyChildren(tasksRoot);
    }

    /**
     * Checks, without changing anything, that {@code own} is a cgroup v2 directory offering
     * {@code controllers} to its children.
     *
     * @throws IOException saying what is missing.
     */
    static void check(final File own, final List<String> controllers) throws IOException
    {
        final File available = new File(own, "cgroup.controllers");
        if (!available.isFile())
        {
            throw new IOException(own + " is not a cgroup v2 directory");
        }
        final List<String> have = List.of(Files.readString(available.toPath()).trim().split("\\s+"));
        final List<String> missing = new ArrayList<>(controllers);
        missing.removeAll(have);
        if (!missing.isEmpty())
        {
            throw new IOException("controllers " + String.join(", ", missing) + " are not available to " + own +
                " (cgroup.controllers: '" + String.join(" ", have).trim() + "'; on a hybrid host they are bound to v1)");
        }
    }

    private String enableLine()
    {
        return controllers.isEmpty() ? "" : "+" + String.join(" +", controllers);
    }

    /** The cgroup2 mount point, from /proc/self/mountinfo; null if there is none. */
    static File mountPoint()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/mountinfo")))
            {
                final int dash = line.indexOf(" - ");
                if (dash > 0 && line.substring(dash + 3).startsWith("cgroup2 "))
                {
                    return new File(line.split(" ")[4]);
                }
            }
        }
        catch (final IOException ex)
        {
            return null;
        }
        return null;
    }

    /** The agent's own cgroup v2 directory ({@code 0::PATH} in /proc/self/cgroup on the cgroup2 mount). */
    static File ownCgroup() throws IOException
    {
        final File mount = mountPoint();
        if (mount == null)
        {
            throw new IOException("no cgroup2 file system is mounted");
        }
        for (final String line : Files.readAllLines(Path.of("/proc/self/cgroup")))
        {
            if (line.startsWith("0::"))
            {
                return new File(mount, line.substring(3));
            }
        }
        throw new IOException("this process has no cgroup v2 membership in /proc/self/cgroup");
    }

    File dir(final TaskRecord task)
    {
        return new File(tasksRoot, task.frameworkId + "-" + TaskLauncher.dirName(task.taskId));
    }

    @Override
    public String describe()
    {
        return "cgroups v2 (" + String.join(", ", controllers) + ") under " + tasksRoot;
    }

    @Override
    public String prepare(final TaskRecord task) throws IOException
    {
        final File dir = dir(task);
        if (!dir.isDirectory() && !dir.mkdir())
        {
            throw new IOException("cannot create cgroup " + dir);
        }
        if (controllers.contains("memory"))
        {
            if (task.resources[1] > 0)
            {
                write(new File(dir, "memory.max"), Long.toString(task.resources[1] << 20));
                // Not swapped out instead of limited; the whole task goes when one process is OOM-killed.
                writeIfPresent(new File(dir, "memory.swap.max"), "0");
            }
            writeIfPresent(new File(dir, "memory.oom.group"), "1");
        }
        if (controllers.contains("cpu"))
        {
            write(new File(dir, "cpu.max"), (task.resources[0] > 0 ?
                Long.toString(Math.max(1000, task.resources[0] * PERIOD_US / 1000)) : "max") + " " + PERIOD_US);
        }
        // The wrapper joins before starting the command: everything it forks stays inside.
        return "echo $$ > '" + new File(dir, "cgroup.procs") + "' || exit 125; ";
    }

    @Override
    public boolean wasMemoryKilled(final TaskRecord task)
    {
        final File events = new File(dir(task), "memory.events");
        try
        {
            for (final String line : events.isFile() ? Files.readAllLines(events.toPath()) : List.<String>of())
            {
                if (line.startsWith("oom_kill ") && Long.parseLong(line.substring(9).trim()) > 0)
                {
                    return true;
                }
            }
        }
        catch (final IOException | NumberFormatException ex)
        {
            return false;
        }
        return false;
    }

    @Override
    public void killRemaining(final TaskRecord task)
    {
        final File kill = new File(dir(task), "cgroup.kill");
        try
        {
            if (kill.exists())
            {
                write(kill, "1");
                return;
            }
        }
        catch (final IOException ex)
        {
            // Kernels before 5.14 have no cgroup.kill: signal each process listed instead.
        }
        killListed(new File(dir(task), "cgroup.procs"));
    }

    /** SIGKILL to every process a {@code cgroup.procs} file lists. */
    static void killListed(final File procs)
    {
        try
        {
            for (final String line : procs.isFile() ? Files.readAllLines(procs.toPath()) : List.<String>of())
            {
                if (!line.isBlank())
                {
                    ProcessHandle.of(Long.parseLong(line.trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
        catch (final IOException | NumberFormatException ex)
        {
            // Nothing more can be found.
        }
    }

    @Override
    public void release(final TaskRecord task)
    {
        cgroups.remove(dir(task));
    }

    private static void write(final File file, final String value) throws IOException
    {
        Files.writeString(file.toPath(), value);
    }

    private static void writeIfPresent(final File file, final String value) throws IOException
    {
        if (file.exists())
        {
            write(file, value);
        }
    }
}
