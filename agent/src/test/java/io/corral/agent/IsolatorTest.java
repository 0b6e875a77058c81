package io.corral.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real processes under each isolator: a task that allocates past its memory limit is stopped. */
class IsolatorTest
{
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
            new File(t.sandbox, AgentNode.EXIT_STATUS_FILE).getPath()).redirectErrorStream(true)
            .redirectOutput(new File(dir.toFile(), "out")).start();
        t.pid = p.pid();
        return p;
    }

    @Test
    void cgroupsStopATaskAtItsMemoryLimitAndLimitItsCpu() throws Exception
    {
        final String problem = Isolator.CgroupsV1Isolation.problem();
        if (problem != null)
        {
            // No cgroups here: asking for them must fail at start-up with the reason.
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Isolator.choose("cgroups"));
            assertTrue(ex.getMessage().contains(problem), ex.getMessage());
            assertTrue(Isolator.choose("auto") instanceof Isolator.RssIsolation);
            return;
        }
        final Isolator.CgroupsV1Isolation cgroups = (Isolator.CgroupsV1Isolation)Isolator.choose("cgroups");
        final TaskRecord t = task("cg", 64);
        final Process p = start(cgroups, t);
        assertEquals("50000", Files.readString(new File(cgroups.cpuDir(t), "cpu.cfs_quota_us").toPath()).trim(),
            "0.5 cpus = 50 ms of every 100 ms");
        assertEquals(Long.toString(64L << 20),
            Files.readString(new File(cgroups.memoryDir(t), "memory.limit_in_bytes").toPath()).trim());
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the kernel stopped the task well before its 20 s sleep");
        assertEquals(137, AgentNode.readExitStatus(t), "killed by SIGKILL (the OOM killer)");
        assertTrue(cgroups.wasMemoryKilled(t));
        cgroups.release(t);
        assertFalse(cgroups.memoryDir(t).exists());
        assertFalse(cgroups.cpuDir(t).exists());
    }

    @Test
    void theRssWatchSeesATaskOverItsLimitAndNotOneUnderIt() throws Exception
    {
        final Isolator rss = Isolator.choose("rss");
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
        assertEquals("none (tasks are not limited)", Isolator.choose("none").describe());
        assertThrows(IllegalArgumentException.class, () -> Isolator.choose("jails"));
    }
}
