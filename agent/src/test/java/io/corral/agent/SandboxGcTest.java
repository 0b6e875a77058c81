package io.corral.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SandboxGcTest
{
    @TempDir
    Path work;

    private File sandbox(final String framework, final String task, final long ageMs) throws Exception
    {
        final File run = new File(work.toFile(), "frameworks/" + framework + "/tasks/" + task + "/runs/0");
        run.mkdirs();
        final File stdout = new File(run, "stdout");
        Files.writeString(stdout.toPath(), "output");
        final long then = System.currentTimeMillis() - ageMs;
        for (File f = stdout; !f.equals(work.toFile()); f = f.getParentFile())
        {
            f.setLastModified(then);
        }
        return new File(work.toFile(), "frameworks/" + framework + "/tasks/" + task);
    }

    @Test
    void removesOnlyOldSandboxesOfTasksTheAgentNoLongerTracks() throws Exception
    {
        final long day = 24L * 3600 * 1000;
        final File oldEnded = sandbox("1", "done", 10 * day);
        final File recentEnded = sandbox("1", "recent", day / 2);
        final File oldRunning = sandbox("2", "long-running", 10 * day);

        final int removed = SandboxGc.collect(work.toFile(), Set.of("2/long-running"), 7 * day, System.currentTimeMillis());

        assertEquals(1, removed);
        assertFalse(oldEnded.exists(), "an ended task's sandbox older than the age is removed");
        assertTrue(recentEnded.exists(), "a recent one is kept");
        assertTrue(oldRunning.exists(), "a task the agent still tracks keeps its sandbox whatever its age");
        assertEquals(0, SandboxGc.collect(new File(work.toFile(), "nothing-here"), Set.of(), 0, 0));
    }
}
