package io.corral.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.corral.agent.AgentNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import io.corral.master.MasterNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.corral.testkit.RecordingScheduler;
import io.corral.testkit.Await;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Leader failover, agent liveness and framework failover timeouts on a real in-process quorum. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MasterFailoverTest
{
    @TempDir
    Path dir;

    private LocalCluster cluster;
    private CorralSchedulerDriver driver;

    private RecordingScheduler start(final long agentTimeoutMs, final long failoverTimeoutMs) throws Exception
    {
        final int basePort = LocalCluster.freeBasePort(3);
        cluster = new LocalCluster(dir.toFile(), 3, 2, basePort, 2, 2048,
            c -> c.agentTimeoutMs(agentTimeoutMs).reregistrationGraceMs(3000).frameworkTimeoutMs(1500));
        cluster.awaitReady(60, TimeUnit.SECONDS);
        final RecordingScheduler recorder = new RecordingScheduler();
        driver = new CorralSchedulerDriver(recorder,
            new FrameworkInfo("failover", "test").withFailoverTimeoutMs(failoverTimeoutMs), cluster.mastersSpec());
        driver.start();
        assertEquals("registered", recorder.events.poll(20, TimeUnit.SECONDS));
        return recorder;
    }

    @AfterEach
    void stop()
    {
        if (driver != null)
        {
            driver.close();
        }
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private static TaskStatus await(final RecordingScheduler r, final String taskId, final TaskState state)
        throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline)
        {
            final TaskStatus s = r.statuses.poll(100, TimeUnit.MILLISECONDS);
            if (s != null && s.taskId().equals(taskId))
            {
                if (s.state() == state)
                {
                    return s;
                }
                if (s.state().isTerminal())
                {
                    fail(taskId + " ended " + s.state() + " (" + s.message() + "), expected " + state);
                }
            }
        }
        fail(taskId + " did not reach " + state);
        return null;
    }

    private Offer offer(final RecordingScheduler r) throws Exception
    {
        final Offer o = r.offers.poll(30, TimeUnit.SECONDS);
        assertNotNull(o, "an offer arrives");
        return o;
    }

    @Test
    void aTaskRunningAcrossALeaderKillFinishesAndNothingAcknowledgedIsLost() throws Exception
    {
        final RecordingScheduler r = start(5000, 60_000);
        final Offer before = offer(r);
        driver.acceptOffer(before.offerId(), List.of(new TaskSpec("survivor", "sleep 3", Resources.of(0.1, 32))));
        await(r, "survivor", TaskState.RUNNING);
        final Offer stale = offer(r);

        final MasterNode old = cluster.leader();
        assertEquals(null, old.configureRole(new io.corral.master.MasterState.Role("batch", 2.0, new long[4],
            new long[] { Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE })).get(10, TimeUnit.SECONDS));
        final long killedAt = System.nanoTime();
        cluster.stopMaster(old);
        MasterNode next = null;
        while (next == null && System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(20))
        {
            next = cluster.leader();
            Thread.sleep(10);
        }
        assertNotNull(next, "a new leader within 20 s");
        assertNotEquals(old.id(), next.id());
        System.out.printf("new leader %d after %d ms%n", next.id(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));

        assertEquals(1, next.state().roles().size(), "the role's weight survived the failover");
        assertEquals(2.0, next.state().roles().get(0).weight());
        assertEquals("disconnected", r.events.poll(20, TimeUnit.SECONDS));
        assertEquals("reregistered", r.events.poll(20, TimeUnit.SECONDS));
        final TaskStatus finished = await(r, "survivor", TaskState.FINISHED);
        assertEquals(0, finished.exitCode());

        // An offer of the old leader is refused cleanly; new offers flow.
        driver.acceptOffer(stale.offerId(), List.of(new TaskSpec("from-stale", "true", Resources.of(0.1, 32))));
        String error;
        do
        {
            error = r.events.poll(10, TimeUnit.SECONDS);
        }
        while (error != null && !error.startsWith("error"));
        assertNotNull(error);
        assertTrue(error.contains("UNKNOWN_OFFER") && error.contains("earlier leader"), error);
        Offer fresh;
        do
        {
            fresh = offer(r);
        }
        while (fresh.offerId() >>> 32 != next.term());
        driver.acceptOffer(fresh.offerId(), List.of(new TaskSpec("after", "true", Resources.of(0.1, 32))));
        await(r, "after", TaskState.FINISHED);

        // Reconciliation: explicit (one known, one unknown) and implicit (nothing running: no answers).
        driver.reconcileTasks(List.of("survivor", "never-launched"));
        final TaskStatus known = r.statuses.poll(10, TimeUnit.SECONDS);
        final TaskStatus unknown = r.statuses.poll(10, TimeUnit.SECONDS);
        assertNotNull(known);
        assertNotNull(unknown);
        assertEquals("survivor " + TaskState.FINISHED, known.taskId() + " " + known.state());
        assertEquals("never-launched " + TaskState.LOST, unknown.taskId() + " " + unknown.state());

        // The killed master comes back from its data directory and catches up to the same state.
        final MasterNode back = cluster.restartMaster(old.id());
        final MasterNode leading = next;
        Await.whileTrue(Duration.ofSeconds(30),
            () -> !back.state().tasks().toString().equals(leading.state().tasks().toString()));
        assertEquals(leading.state().tasks().toString(), back.state().tasks().toString());
        assertEquals(2, back.state().tasks().size());
    }

    @Test
    void anAgentThatStopsHeartbeatingIsRemovedAndItsTasksBecomeLost() throws Exception
    {
        final RecordingScheduler r = start(1500, 60_000);
        Offer o = offer(r);
        final long agentId = o.agentId();
        driver.acceptOffer(o.offerId(), List.of(new TaskSpec("doomed", "sleep 60", Resources.of(0.1, 32))));
        await(r, "doomed", TaskState.RUNNING);
        final AgentNode agent = cluster.agents().stream().filter(a -> a.agentId() == agentId).findFirst().orElseThrow();
        agent.close();
        final TaskStatus lost = await(r, "doomed", TaskState.LOST);
        assertTrue(lost.message().contains("removed"), lost.message());
        String event;
        do
        {
            event = r.events.poll(10, TimeUnit.SECONDS);
        }
        while (event != null && !event.startsWith("agentLost"));
        assertEquals("agentLost " + agentId, event, "the framework is told the agent is lost");
        final java.util.Set<Long> heldOnLostAgent = new java.util.HashSet<>();
        r.offers.forEach(offer ->
        {
            if (offer.agentId() == agentId)
            {
                heldOnLostAgent.add(offer.offerId());
            }
        });
        assertTrue(!heldOnLostAgent.isEmpty(), "the framework held the rest of the lost agent as an offer");
        Await.whileTrue(Duration.ofSeconds(10), () -> !r.rescinded.containsAll(heldOnLostAgent));
        assertTrue(r.rescinded.containsAll(heldOnLostAgent), "offers on the lost agent were rescinded: held " +
            heldOnLostAgent + ", rescinded " + r.rescinded);
        Await.whileTrue(Duration.ofSeconds(10), () -> cluster.leader().state().agent(agentId) != null);
        assertEquals(null, cluster.leader().state().agent(agentId), "the agent is gone from the replicated state");
        cluster.agents().remove(agent);
    }

    @Test
    void aFrameworkGoneLongerThanItsFailoverTimeoutIsRemovedAndItsTasksKilled() throws Exception
    {
        final RecordingScheduler r = start(5000, 1000);
        final Offer o = offer(r);
        driver.acceptOffer(o.offerId(), List.of(new TaskSpec("orphan", "sleep 60", Resources.of(0.1, 32))));
        await(r, "orphan", TaskState.RUNNING);
        final long frameworkId = r.frameworkId;
        driver.close();
        driver = null;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        MasterNode leader = cluster.leader();
        while (System.nanoTime() < deadline)
        {
            leader = cluster.leader();
            final var task = leader == null ? null : leader.state().task(frameworkId, "orphan");
            if (task != null && task.state() == io.corral.codec.sbe.TaskState.KILLED)
            {
                break;
            }
            Thread.sleep(50);
        }
        assertEquals(null, leader.state().framework(frameworkId), "the framework was removed");
        assertEquals(io.corral.codec.sbe.TaskState.KILLED, leader.state().task(frameworkId, "orphan").state(),
            "its task was killed on the agent and the kill recorded");
    }
}
