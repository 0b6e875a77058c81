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

    @Test
    void aLinkATaskLeftInItsSandboxIsRemovedNotFollowed() throws Exception
    {
        final long day = 24L * 3600 * 1000;
        final Path outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("precious"), "keep me");
        final File task = sandbox("3", "planter", 10 * day);
        final Path run = task.toPath().resolve("runs/0");
        Files.createSymbolicLink(run.resolve("to-dir"), outside);
        Files.createSymbolicLink(run.resolve("to-file"), outside.resolve("precious"));
        Files.setLastModifiedTime(run, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 10 * day));
        Files.setLastModifiedTime(task.toPath().resolve("runs"),
            java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 10 * day));
        Files.setLastModifiedTime(task.toPath(),
            java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 10 * day));
        // (the links' own times are new: only the tree's own entries count, so set them old too)
        for (final String link : new String[] { "to-dir", "to-file" })
        {
            Files.getFileAttributeView(run.resolve(link), java.nio.file.attribute.BasicFileAttributeView.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS).setTimes(java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() - 10 * day), null, null);
        }
        Files.createDirectories(work.resolve(TaskLauncher.RUN_DIR));
        Files.writeString(work.resolve(TaskLauncher.RUN_DIR).resolve("3-planter-0.exit"), "0");

        assertEquals(1, SandboxGc.collect(work.toFile(), Set.of(), 7 * day, System.currentTimeMillis()));
        assertFalse(task.exists(), "the sandbox and its links are gone");
        assertEquals("keep me", Files.readString(outside.resolve("precious")), "what the links pointed at is not");
        assertFalse(Files.exists(work.resolve(TaskLauncher.RUN_DIR).resolve("3-planter-0.exit")));
    }
}
