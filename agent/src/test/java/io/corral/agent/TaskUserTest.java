package io.corral.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real processes started by the TaskLauncher as another user ({@code --task-user}). */
class TaskUserTest
{
    @TempDir
    Path work;

    private AgentConfig config(final String user)
    {
        return new AgentConfig().masters("127.0.0.1:1").workDir(work.toFile()).cpus(1).memMiB(64).diskMiB(16)
            .taskUser(user).conclude();
    }

    @Test
    void anUnknownUserIsAClearErrorAtStart()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> config("no-such-user-" + System.nanoTime()));
        assertTrue(ex.getMessage().contains("there is no such user on this host"), ex.getMessage());
    }

    @Test
    void anAgentRunAsRootStartsTheTaskAndItsHealthCheckAsTheTaskUser() throws Exception
    {
        assumeTrue(TaskUser.currentUid() == 0, "switching users needs an agent run as root; this JVM is not");
        final AgentConfig config = config("nobody");
        final TaskUser nobody = config.taskUser();
        assertTrue(nobody.switches() && nobody.uid() != 0, nobody.toString());
        final TaskLauncher launcher = new TaskLauncher(config, Isolator.choose("none"));
        final TaskRecord record = new TaskRecord();
        record.frameworkId = 3;
        record.taskId = "as-nobody";
        record.command = "id -u; id -g; echo made > file; touch \"$CORRAL_SANDBOX/by-path\"; echo $HOME; " +
            "cat /root/.bashrc /etc/shadow 2>/dev/null; echo done";
        record.healthCommand = "id -u > health-uid";
        record.resources = new long[] { 100, 16, 0, 0 };
        record.sandbox = launcher.sandbox(record).getAbsolutePath();
        final Process p = launcher.start(record, 1);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, TaskLauncher.readExitStatus(record));
        final File sandbox = new File(record.sandbox);
        final String[] out = Files.readString(sandbox.toPath().resolve("stdout")).split("\n");
        assertEquals(Integer.toString(nobody.uid()), out[0]);
        assertEquals(Integer.toString(nobody.gid()), out[1]);
        assertEquals(record.sandbox, out[2], "HOME is the sandbox");
        assertEquals("done", out[3], "root's files are not readable: " + String.join("|", out));
        // Files the task made are the task user's, in its sandbox and through $CORRAL_SANDBOX.
        for (final String made : new String[] { "file", "by-path" })
        {
            assertEquals("nobody", Files.getOwner(sandbox.toPath().resolve(made)).getName(), made);
        }
        final Process health = launcher.startHealthCheck(record);
        assertTrue(health.waitFor(30, TimeUnit.SECONDS));
        assertEquals(Integer.toString(nobody.uid()), Files.readString(sandbox.toPath().resolve("health-uid")).trim());
    }
}
