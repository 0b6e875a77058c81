package io.corral.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.corral.testkit.Await;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real processes under each isolator: a task that allocates past its memory limit is stopped. */
class IsolatorTest
{
    /** The agent these tests stand for ({@link Isolator#agentKey}). */
    private static final String KEY = "agent-test";

    private static final String HOG = "python3 -c 'b = bytearray(300 * 1024 * 1024); import time; time.sleep(20)'";

    @TempDir
    Path dir;

    private TaskRecord task(final String id, final long memMiB)
    {
        final TaskRecord t = new TaskRecord();
        t.frameworkId = 7;
        t.taskId = id + "-" + System.nanoTime();
        t.command = HOG;
        t.resources = new long[] { 500, memMiB, 0, 0 };
        t.sandbox = dir.toString();
        return t;
    }

    private Process start(final Isolator isolator, final TaskRecord t) throws Exception
    {
        final String prelude = isolator.prepare(t);
        final Process p = new ProcessBuilder("sh", "-c", prelude + "sh -c \"$1\"; echo $? > \"$2\"", "task", t.command,
            new File(t.sandbox, TaskLauncher.EXIT_STATUS_FILE).getPath()).redirectErrorStream(true)
            .redirectOutput(new File(dir.toFile(), "out")).start();
        t.pid = p.pid();
        return p;
    }

    @Test
    void cgroupsStopATaskAtItsMemoryLimitAndLimitItsCpu() throws Exception
    {
        String v2Problem = null;
        try
        {
            CgroupsV2Isolation.check(CgroupsV2Isolation.ownCgroup(), CgroupsV2Isolation.CONTROLLERS);
        }
        catch (final java.io.IOException ex)
        {
            v2Problem = ex.getMessage();
        }
        final String v1Problem = Isolator.CgroupsV1Isolation.problem();
        if (v2Problem != null && v1Problem != null)
        {
            // No cgroups here: asking for them must fail at start-up with both reasons.
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Isolator.choose("cgroups", KEY));
            assertTrue(ex.getMessage().contains(v1Problem) && ex.getMessage().contains(v2Problem), ex.getMessage());
            assertTrue(Isolator.choose("auto", KEY) instanceof Isolator.RssIsolation);
            return;
        }
        final Isolator cgroups = Isolator.choose("cgroups", KEY);
        final TaskRecord t = task("cg", 64);
        final Process p = start(cgroups, t);
        if (v2Problem == null)
        {
            final CgroupsV2Isolation v2 = assertInstanceOf(CgroupsV2Isolation.class, cgroups);
            assertEquals("50000 100000", read(new File(v2.dir(t), "cpu.max")), "0.5 cpus = 50 ms of every 100 ms");
            assertEquals(Long.toString(64L << 20), read(new File(v2.dir(t), "memory.max")));
        }
        else
        {
            // Where v2 cannot be used (these hybrid hosts bind memory and cpu to v1), v1 is, and says why not v2.
            final Isolator.CgroupsV1Isolation v1 = assertInstanceOf(Isolator.CgroupsV1Isolation.class, cgroups);
            assertTrue(v1.describe().contains("not v2: " + v2Problem), v1.describe());
            assertEquals("50000", read(new File(v1.cpuDir(t), "cpu.cfs_quota_us")), "0.5 cpus = 50 ms of every 100 ms");
            assertEquals(Long.toString(64L << 20), read(new File(v1.memoryDir(t), "memory.limit_in_bytes")));
        }
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the kernel stopped the task well before its 20 s sleep");
        assertEquals(137, TaskLauncher.readExitStatus(t), "killed by SIGKILL (the OOM killer)");
        assertTrue(cgroups.wasMemoryKilled(t));
        cgroups.release(t);
        if (cgroups instanceof Isolator.CgroupsV1Isolation v1)
        {
            assertFalse(v1.memoryDir(t).exists());
            assertFalse(v1.cpuDir(t).exists());
        }
        else
        {
            assertFalse(((CgroupsV2Isolation)cgroups).dir(t).exists());
        }
    }

    private static String read(final File file) throws java.io.IOException
    {
        return Files.readString(file.toPath()).trim();
    }

    /**
     * cgroup v2 on the kernel's real cgroup2 mount (on these hybrid hosts it has no memory or cpu
     * controller, so limits are checked in the next test): the agent moves into a leaf of its own
     * cgroup, a task's cgroup nests under it, and a daemon that double-forked out of the task's
     * process tree is still found in the task's cgroup and killed.
     */
    @Test
    void cgroupV2NestsTasksUnderTheAgentsCgroupAndKillsWhatEscapedTheTree() throws Exception
    {
        final File own = CgroupsV2Isolation.ownCgroup();
        final File agentCgroup = new File(own, "corral-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        assertTrue(agentCgroup.mkdir(), "a child cgroup can be made under " + own);
        // A stand-in for the agent process, so the test JVM itself is not moved.
        final Process agent = new ProcessBuilder("sleep", "60").start();
        final List<Long> daemons = new java.util.ArrayList<>();
        try
        {
            Files.writeString(new File(agentCgroup, "cgroup.procs").toPath(), Long.toString(agent.pid()));
            final List<String> available = List.of(read(new File(agentCgroup, "cgroup.controllers")).split("\\s+"))
                .stream().filter(c -> !c.isEmpty()).toList();
            final CgroupsV2Isolation v2 = new CgroupsV2Isolation(agentCgroup, available, agent.pid(), KEY);
            assertEquals(Long.toString(agent.pid()), read(new File(agentCgroup, "corral-agent/cgroup.procs")));
            assertEquals("", read(new File(agentCgroup, "cgroup.procs")), "no process left in the agent's own cgroup");
            assertTrue(cgroupOf(agent.pid()).endsWith("/corral-agent"), cgroupOf(agent.pid()));

            final TaskRecord t = task("v2", 64);
            t.command = "(setsid sleep 300 &); echo started";
            final Process p = start(v2, t);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, TaskLauncher.readExitStatus(t), "the task itself ended at once");
            for (final String line : Files.readAllLines(new File(v2.dir(t), "cgroup.procs").toPath()))
            {
                daemons.add(Long.parseLong(line.trim()));
            }
            assertEquals(1, daemons.size(), "the daemon outlived the task, in the task's cgroup");
            assertTrue(cgroupOf(daemons.get(0)).endsWith("/corral-tasks/" + KEY + "/" + v2.dir(t).getName()),
                cgroupOf(daemons.get(0)));

            v2.killRemaining(t);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (v2.dir(t).exists() && System.nanoTime() < deadline)
            {
                v2.release(t);
                Thread.sleep(20);
            }
            assertFalse(Processes.running(daemons.get(0)), "the daemon is gone (at most a zombie its new parent has not reaped)");
            assertFalse(v2.dir(t).exists(), "the task's cgroup was removed");
        }
        finally
        {
            daemons.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            agent.destroyForcibly().waitFor();
            removeCgroups(agentCgroup);
        }
    }

    /** Removes a cgroup and its children, deepest first (rmdir waits for their last processes to go). */
    private static void removeCgroups(final File cgroup) throws InterruptedException
    {
        final File[] children = cgroup.listFiles(File::isDirectory);
        for (final File child : children == null ? new File[0] : children)
        {
            removeCgroups(child);
        }
        Await.whileTrue(Duration.ofSeconds(5), () -> cgroup.exists() && !cgroup.delete());
        if (cgroup.exists())
        {
            System.err.println("IsolatorTest: could not remove cgroup " + cgroup);
        }
    }

    private static String cgroupOf(final long pid) throws java.io.IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")))
        {
            if (line.startsWith("0::"))
            {
                return line.substring(3);
            }
        }
        return "";
    }

    /**
     * Agents sharing a cgroup (several on one host, or in one JVM as corral dev and the tests run
     * them) each get their own task root: one starting never removes the fresh, still empty task
     * cgroup of another (which then failed to start with "No such device"), and two agents' tasks
     * with the same ids never share one.
     */
    @Test
    void agentsSharingACgroupKeepTheirTaskCgroupsApart() throws Exception
    {
        final File own = dir.resolve("shared").toFile();
        assertTrue(own.mkdirs());
        Files.writeString(new File(own, "cgroup.controllers").toPath(), "cpu memory\n");
        final String keyA = Isolator.agentKey(dir.resolve("work-a").toFile());
        final String keyB = Isolator.agentKey(dir.resolve("work-b").toFile());
        assertNotEquals(keyA, keyB);
        assertEquals(keyA, Isolator.agentKey(dir.resolve("work-a").toFile()), "the same after a restart");

        final CgroupsV2Isolation a = new CgroupsV2Isolation(own, CgroupsV2Isolation.CONTROLLERS, 4242, keyA);
        final TaskRecord t = task("same-id", 64);
        assertTrue(a.dir(t).mkdir(), "agent A's task cgroup, made and not yet joined");
        final CgroupsV2Isolation b = new CgroupsV2Isolation(own, CgroupsV2Isolation.CONTROLLERS, 4242, keyB);
        assertTrue(a.dir(t).isDirectory(), "agent B starting left agent A's task cgroup alone");
        assertNotEquals(a.dir(t), b.dir(t), "the same task id on two agents: two cgroups");
        assertEquals("+memory +cpu", read(new File(own, "corral-tasks/" + keyB + "/cgroup.subtree_control")));
    }

    /**
     * What the v2 isolator writes, on a directory laid out like a cgroup with memory and cpu
     * (these hosts cannot give v2 those controllers, so the kernel side is not exercised here).
     */
    @Test
    void cgroupV2WritesMemoryAndCpuLimitsAndReadsOomKills() throws Exception
    {
        final File own = dir.resolve("own").toFile();
        assertTrue(new File(own, "corral-tasks/" + KEY + "/7-stale").mkdirs());
        Files.writeString(new File(own, "cgroup.controllers").toPath(), "cpuset cpu io memory pids\n");
        final CgroupsV2Isolation v2 = new CgroupsV2Isolation(own, CgroupsV2Isolation.CONTROLLERS, 4242, KEY);
        assertEquals("4242", read(new File(own, "corral-agent/cgroup.procs")));
        assertEquals("+memory +cpu", read(new File(own, "cgroup.subtree_control")));
        assertEquals("+memory +cpu", read(new File(own, "corral-tasks/cgroup.subtree_control")));
        assertEquals("+memory +cpu", read(new File(own, "corral-tasks/" + KEY + "/cgroup.subtree_control")));
        assertFalse(new File(own, "corral-tasks/" + KEY + "/7-stale").exists(),
            "an empty task cgroup of an earlier run is removed");

        final TaskRecord t = task("lim", 64);
        assertTrue(v2.dir(t).mkdir());
        Files.writeString(new File(v2.dir(t), "memory.swap.max").toPath(), "max");
        Files.writeString(new File(v2.dir(t), "memory.oom.group").toPath(), "0");
        final String prelude = v2.prepare(t);
        assertTrue(prelude.contains(new File(v2.dir(t), "cgroup.procs").getPath()), prelude);
        assertEquals(Long.toString(64L << 20), read(new File(v2.dir(t), "memory.max")));
        assertEquals("0", read(new File(v2.dir(t), "memory.swap.max")));
        assertEquals("1", read(new File(v2.dir(t), "memory.oom.group")));
        assertEquals("50000 100000", read(new File(v2.dir(t), "cpu.max")));
        final TaskRecord noCpu = task("nocpu", 64);
        noCpu.resources[0] = 0;
        v2.prepare(noCpu);
        assertEquals("max 100000", read(new File(v2.dir(noCpu), "cpu.max")));

        assertFalse(v2.wasMemoryKilled(t));
        Files.writeString(new File(v2.dir(t), "memory.events").toPath(), "low 0\nhigh 0\nmax 4\noom 1\noom_kill 0\n");
        assertFalse(v2.wasMemoryKilled(t), "hitting the limit is not being killed");
        Files.writeString(new File(v2.dir(t), "memory.events").toPath(), "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n");
        assertTrue(v2.wasMemoryKilled(t));

        final File hybrid = dir.resolve("hybrid").toFile();
        assertTrue(hybrid.mkdir());
        Files.writeString(new File(hybrid, "cgroup.controllers").toPath(), "hugetlb\n");
        final java.io.IOException ex = assertThrows(java.io.IOException.class,
            () -> new CgroupsV2Isolation(hybrid, CgroupsV2Isolation.CONTROLLERS, 4242, KEY));
        assertTrue(ex.getMessage().contains("memory, cpu are not available"), ex.getMessage());
        assertFalse(new File(hybrid, "corral-agent").exists(), "nothing is changed when v2 cannot be used");
    }

    @Test
    void theRssWatchSeesATaskOverItsLimitAndNotOneUnderIt() throws Exception
    {
        final Isolator rss = Isolator.choose("rss", KEY);
        final TaskRecord hog = task("hog", 64);
        final Process p = start(rss, hog);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        boolean over = false;
        while (!over && System.nanoTime() < deadline)
        {
            over = rss.overLimit(hog);
            Thread.sleep(100);
        }
        assertTrue(over, "300 MiB in a 64 MiB task is over its limit");
        final TaskRecord roomy = task("roomy", 1024);
        roomy.pid = hog.pid;
        assertFalse(rss.overLimit(roomy), "the same process is within a 1 GiB limit");
        p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor();
        assertEquals("none (tasks are not limited)", Isolator.choose("none", KEY).describe());
        assertThrows(IllegalArgumentException.class, () -> Isolator.choose("jails", KEY));
    }
}
