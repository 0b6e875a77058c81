package io.corral.chaos;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.corral.cli.LocalCluster;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.corral.testkit.RecordingScheduler;
import io.corral.testkit.Await;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The agent as a separate JVM, killed with -9 and started again on the same work directory: its
 * checkpoint (Chronicle Map) lets it re-adopt tasks still running, report the ones that ended or
 * vanished meanwhile, and deliver every pending update, each once to the framework.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AgentRecoveryTest
{
    @TempDir
    Path dir;

    private LocalCluster cluster;
    private CorralSchedulerDriver driver;
    private Process agent;

    private Process startAgent(final File workDir) throws Exception
    {
        final List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + "/bin/java", "-Xmx192m",
            "-XX:+UseSerialGC"));
        cmd.addAll(ProcessCluster.JVM_FLAGS);
        cmd.addAll(List.of("-Dcorral.aeron.dir=" + new File(dir.toFile(), "aeron-" + System.nanoTime()),
            "-jar", ChaosRun.findJar().getAbsolutePath(), "agent", "--masters", cluster.mastersSpec(), "--cpus", "2", "--mem", "2048",
            "--work-dir", workDir.getAbsolutePath()));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(dir.toFile(), "agent.log"))).start();
    }

    @AfterEach
    void stop()
    {
        if (driver != null)
        {
            driver.close();
        }
        if (agent != null)
        {
            agent.destroyForcibly();
        }
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private String agentLogTail()
    {
        try
        {
            final List<String> lines = Files.readAllLines(new File(dir.toFile(), "agent.log").toPath());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        }
        catch (final java.io.IOException ex)
        {
            return "(no agent log: " + ex + ")";
        }
    }

    private TaskStatus await(final RecordingScheduler r, final String taskId, final TaskState state) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (System.nanoTime() < deadline)
        {
            for (final TaskStatus s : r.statuses)
            {
                if (s.taskId().equals(taskId) && s.state() == state)
                {
                    return s;
                }
                if (s.taskId().equals(taskId) && s.state().isTerminal() && s.state() != state)
                {
                    fail(taskId + " ended " + s.state() + " (" + s.message() + "), expected " + state);
                }
            }
            Thread.sleep(50);
        }
        fail(taskId + " did not reach " + state + "; saw " + r.statuses + "\nthe agent's log ends:\n" + agentLogTail());
        return null;
    }

    @Test
    void anAgentKilledWithMinus9ReadoptsItsTasksAndDeliversEveryUpdateOnce() throws Exception
    {
        final int basePort = LocalCluster.freeBasePort(3);
        cluster = new LocalCluster(dir.toFile(), 3, 0, basePort, 2, 2048,
            // The agent JVM is killed and started again: on a busy machine that takes seconds, more
            // than the 5 s default after which masters give up on a silent agent.
            c -> c.agentTimeoutMs(30_000));
        cluster.awaitReady(60, TimeUnit.SECONDS);
        final File workDir = new File(dir.toFile(), "agent-work");
        agent = startAgent(workDir);
        final RecordingScheduler r = new RecordingScheduler();
        driver = new CorralSchedulerDriver(r, new FrameworkInfo("recovery", "test").withFailoverTimeoutMs(60_000),
            cluster.mastersSpec());
        driver.start();
        final Offer offer = r.offers.poll(60, TimeUnit.SECONDS);
        assertNotNull(offer, "the agent process registered and its resources are offered");
        driver.acceptOffer(offer.offerId(), List.of(
            new TaskSpec("survivor", "sleep 4; echo done", Resources.of(0.1, 32)),
            new TaskSpec("ends-while-down", "sleep 1; exit 3", Resources.of(0.1, 32)),
            new TaskSpec("vanishes", "sleep 60", Resources.of(0.1, 32))));
        final TaskStatus running = await(r, "survivor", TaskState.RUNNING);
        await(r, "ends-while-down", TaskState.RUNNING);
        final TaskStatus vanishing = await(r, "vanishes", TaskState.RUNNING);
        final long agentId = running.agentId();

        agent.destroyForcibly().waitFor();
        final long survivorPid = Long.parseLong(running.message().replace("pid ", ""));
        assertTrue(ProcessHandle.of(survivorPid).map(ProcessHandle::isAlive).orElse(false),
            "tasks keep running while their agent is dead");
        final ProcessHandle doomed = ProcessHandle.of(Long.parseLong(vanishing.message().replace("pid ", ""))).orElseThrow();
        // The wrapper first, so that it cannot record how its command ended: the task vanishes.
        final List<ProcessHandle> tree = doomed.descendants().toList();
        doomed.destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
        // Let "ends-while-down" end while its agent is down: its wrapper writes its exit status.
        final File endedStatus = new File(workDir, ".run/" + driver.frameworkId() + "-ends-while-down-0.exit");
        Await.whileTrue(Duration.ofSeconds(20), () -> (!endedStatus.isFile() || doomed.isAlive()));
        assertTrue(endedStatus.isFile(), "the task ended while its agent was down");

        agent = startAgent(workDir);
        final TaskStatus finished = await(r, "survivor", TaskState.FINISHED);
        assertEquals(agentId, finished.agentId(), "the agent came back under its own id");
        final TaskStatus failed = await(r, "ends-while-down", TaskState.FAILED);
        assertEquals(3, failed.exitCode(), "the exit status written while the agent was down is reported");
        assertTrue(failed.message().contains("while the agent was down"), failed.message());
        final TaskStatus lost = await(r, "vanishes", TaskState.FAILED);
        assertTrue(lost.message().contains("without an exit status"), lost.message());

        final File sandbox = new File(workDir, "frameworks/" + driver.frameworkId() + "/tasks/survivor/runs/0");
        assertEquals("done", Files.readString(new File(sandbox, "stdout").toPath()).trim(), "the task ran once");
        // Watch for longer than the agent's 1 s resend interval: a duplicate would show up now.
        final long watchUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        do
        {
            for (final String task : List.of("survivor", "ends-while-down", "vanishes"))
            {
                final List<TaskState> seen = r.statuses.stream().filter(s -> s.taskId().equals(task))
                    .map(TaskStatus::state).toList();
                assertEquals(seen.stream().distinct().count(), seen.size(), task + ": each update delivered once: " + seen);
            }
            Thread.sleep(50);
        }
        while (System.nanoTime() < watchUntil);
    }

    @Test
    void aTaskTheAgentNoLongerHasWhenItComesBackIsLost() throws Exception
    {
        final int basePort = LocalCluster.freeBasePort(3);
        cluster = new LocalCluster(dir.toFile(), 3, 0, basePort, 2, 2048,
            // The agent JVM is killed and started again: on a busy machine that takes seconds, more
            // than the 5 s default after which masters give up on a silent agent.
            c -> c.agentTimeoutMs(30_000));
        cluster.awaitReady(60, TimeUnit.SECONDS);
        final File workDir = new File(dir.toFile(), "agent-work");
        agent = startAgent(workDir);
        final RecordingScheduler r = new RecordingScheduler();
        driver = new CorralSchedulerDriver(r, new FrameworkInfo("forgotten", "test"), cluster.mastersSpec());
        driver.start();
        final Offer offer = r.offers.poll(60, TimeUnit.SECONDS);
        assertNotNull(offer, "the agent process registered and its resources are offered");
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec("forgotten", "sleep 60", Resources.of(0.1, 32))));
        final TaskStatus running = await(r, "forgotten", TaskState.RUNNING);

        // The agent dies and comes back with its id but without its task list (that file was lost);
        // the task's process is gone too, as after a reboot.
        agent.destroyForcibly().waitFor();
        final ProcessHandle task = ProcessHandle.of(Long.parseLong(running.message().replace("pid ", ""))).orElseThrow();
        task.descendants().forEach(ProcessHandle::destroyForcibly);
        task.destroyForcibly();
        Files.delete(new File(workDir, "checkpoint/tasks.cm").toPath());
        agent = startAgent(workDir);

        final TaskStatus lost = await(r, "forgotten", TaskState.LOST);
        assertEquals(running.agentId(), lost.agentId(), "the agent came back under its own id");
        assertTrue(lost.message().contains("re-registered without this task"), lost.message());
        assertEquals(running.agentId(), cluster.leader().state().agents().get(0).id(), "and stays registered");
    }

    @Test
    void anAgentCutOffFromEveryMasterStillKillsATaskWhoseHealthCheckFails() throws Exception
    {
        final int basePort = LocalCluster.freeBasePort(3);
        cluster = new LocalCluster(dir.toFile(), 3, 0, basePort, 2, 2048);
        cluster.awaitReady(60, TimeUnit.SECONDS);
        agent = startAgent(new File(dir.toFile(), "agent-work"));
        final RecordingScheduler r = new RecordingScheduler();
        driver = new CorralSchedulerDriver(r, new FrameworkInfo("unhealthy", "test"), cluster.mastersSpec());
        driver.start();
        final Offer offer = r.offers.poll(60, TimeUnit.SECONDS);
        assertNotNull(offer, "the agent process registered and its resources are offered");
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec("watched", "touch ok; sleep 120",
            Resources.of(0.1, 32)).withHealthCheck(new TaskSpec.HealthCheck("test -f ok", 200, 1000, 3))));
        final TaskStatus starting = await(r, "watched", TaskState.STARTING);
        final TaskStatus running = await(r, "watched", TaskState.RUNNING);
        final ProcessHandle task = ProcessHandle.of(Long.parseLong(running.message().replace("pid ", ""))).orElseThrow();

        // Every master goes away; then the task turns unhealthy. The agent alone must act.
        driver.close();
        driver = null;
        cluster.close();
        cluster = null;
        // Only once the agent knows it is alone does the task turn unhealthy.
        final long alone = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        boolean noticed = false;
        while (!(noticed = agentLogTail().contains("looking for the leader")) && System.nanoTime() < alone)
        {
            Thread.sleep(50);
        }
        assertTrue(noticed, "the agent noticed no master answers; its log ends:\n" + agentLogTail());
        Files.delete(Path.of(starting.message().replace("sandbox: ", ""), "ok"));
        Await.whileTrue(Duration.ofSeconds(30), () -> task.isAlive());
        final boolean killed = !task.isAlive();
        task.descendants().forEach(ProcessHandle::destroyForcibly);
        task.destroyForcibly();
        assertTrue(killed, "the agent killed the unhealthy task without any master; its log ends:\n" + agentLogTail());
    }
}
