package io.corral.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
        final TaskLauncher launcher = new TaskLauncher(config, Isolator.choose("none", "agent-test"));
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

    @Test
    void theRootWrapperTrustsNothingTheTaskControls() throws Exception
    {
        assumeTrue(TaskUser.currentUid() == 0, "switching users needs an agent run as root; this JVM is not");
        final AgentConfig config = config("nobody");
        final TaskLauncher launcher = new TaskLauncher(config, Isolator.choose("none", "agent-test"));
        // Root's files a task would like to write to, and a fake setpriv a task's PATH would name.
        final Path victim = Files.writeString(work.resolve("root-owned"), "untouched\n");
        final Path evil = Files.createDirectories(work.resolve("evil-bin"));
        final Path marker = work.resolve("ran-as-root");
        Files.writeString(evil.resolve("setpriv"), "#!/bin/sh\ntouch " + marker + "\nexec \"$@\"\n");
        Files.setPosixFilePermissions(evil.resolve("setpriv"), java.nio.file.attribute.PosixFilePermissions
            .fromString("rwxr-xr-x"));

        // The first run plants links where the wrapper (root) used to write, and checks its environment.
        final TaskRecord first = record(launcher, "planter", "ln -s " + victim + " health.log; ln -s " + victim +
            " .exit_status; echo \"$QUOTED\"; echo \"$PATH\"; exit 3");
        first.env = "PATH=" + evil + ":/usr/bin:/bin\nLD_PRELOAD=/nonexistent/evil.so\nQUOTED=it's \"quoted\" $HOME `id`";
        final Process p = launcher.start(first, 1);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(3, TaskLauncher.readExitStatus(first), "the exit status is written outside the sandbox");
        final String[] out = Files.readString(Path.of(first.sandbox, "stdout")).split("\n");
        assertEquals("it's \"quoted\" $HOME `id`", out[0], "the task's variables reach it unchanged");
        assertEquals(evil + ":/usr/bin:/bin", out[1]);
        assertTrue(Files.isSymbolicLink(Path.of(first.sandbox, "health.log")));
        // Its health check's output goes through the link only as the task user (who cannot write there).
        first.healthCommand = "echo pwned";
        final Process health = launcher.startHealthCheck(first);
        assertTrue(health.waitFor(30, TimeUnit.SECONDS));
        assertEquals("untouched\n", Files.readString(victim), "root wrote nothing through a link the task made");
        assertFalse(Files.exists(marker), "no program from the task's PATH ran as root");

        // A second task with the same id gets a new run directory; ids that used to share one do not.
        final TaskRecord again = record(launcher, "planter", "true");
        assertTrue(again.sandbox.endsWith("/runs/1"), again.sandbox);
        final TaskRecord slash = record(launcher, "a/b", "true");
        final TaskRecord underscore = record(launcher, "a_b", "true");
        assertNotEquals(slash.sandbox, underscore.sandbox);
        for (final TaskRecord r : new TaskRecord[] { again, slash, underscore })
        {
            assertTrue(launcher.start(r, 1).waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, TaskLauncher.readExitStatus(r), r.taskId);
        }
        assertEquals("untouched\n", Files.readString(victim));
        assertEquals("root", Files.getOwner(victim).getName(), "no chown went through a link");
    }

    private static TaskRecord record(final TaskLauncher launcher, final String taskId, final String command)
    {
        final TaskRecord record = new TaskRecord();
        record.frameworkId = 3;
        record.taskId = taskId;
        record.command = command;
        record.resources = new long[] { 100, 16, 0, 0 };
        record.sandbox = launcher.sandbox(record).getAbsolutePath();
        return record;
    }
}
