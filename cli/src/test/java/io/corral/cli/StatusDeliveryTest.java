package io.corral.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.corral.agent.AgentNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.Scheduler;
import io.corral.client.SchedulerDriver;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.corral.testkit.RecordingScheduler;
import io.corral.testkit.Await;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a framework is told about its tasks, on a real quorum with real agents: each update once
 * and in order even when the framework is slow to acknowledge, a too-large accept refused without
 * killing the driver, and {@code stop()} from inside a callback.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StatusDeliveryTest
{
    @TempDir
    static Path dir;

    private LocalCluster cluster;

    @BeforeAll
    void startCluster() throws Exception
    {
        cluster = new LocalCluster(dir.toFile(), 3, 2, LocalCluster.freeBasePort(3), 2, 2048);
        cluster.awaitReady(60, TimeUnit.SECONDS);
    }

    @AfterAll
    void stopCluster()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    /** Launches {@code total} short tasks, a few per offer, and records every update it is handed. */
    static final class SlowBatch implements Scheduler
    {
        final int total;
        final long callbackMs;
        final Map<String, List<TaskStatus>> updates = new ConcurrentHashMap<>();
        final BlockingQueue<String> errors = new LinkedBlockingQueue<>();
        private int launched;

        SlowBatch(final int total, final long callbackMs)
        {
            this.total = total;
            this.callbackMs = callbackMs;
        }

        @Override
        public void registered(final SchedulerDriver driver, final long frameworkId)
        {
        }

        @Override
        public void resourceOffers(final SchedulerDriver driver, final List<Offer> offers)
        {
            for (final Offer offer : offers)
            {
                final List<TaskSpec> tasks = new ArrayList<>();
                while (launched < total && tasks.size() < 5)
                {
                    tasks.add(new TaskSpec("t" + launched++, "true", Resources.of(0.1, 16)));
                }
                if (tasks.isEmpty())
                {
                    driver.declineOffer(offer.offerId(), 60);
                }
                else
                {
                    driver.acceptOffer(offer.offerId(), tasks);
                }
            }
        }

        @Override
        public void statusUpdate(final SchedulerDriver driver, final TaskStatus status)
        {
            updates.computeIfAbsent(status.taskId(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                .add(status);
            try
            {
                Thread.sleep(callbackMs);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void error(final SchedulerDriver driver, final String message)
        {
            errors.add(message);
        }

        long terminal()
        {
            return updates.values().stream().filter(l -> l.stream().anyMatch(s -> s.state().isTerminal())).count();
        }
    }

    @Test
    void shouldHandASlowFrameworkEachUpdateOnceAndInOrder() throws Exception
    {
        // 300 ms per callback: acknowledgements fall seconds behind, so agents resend and masters
        // redeliver; the framework must still see STARTING, RUNNING, FINISHED once per task.
        final SlowBatch batch = new SlowBatch(20, 300);
        try (CorralSchedulerDriver driver = new CorralSchedulerDriver(batch, new FrameworkInfo("slow", "slow"),
            cluster.mastersSpec()))
        {
            driver.start();
            Await.until("all 20 tasks ended", Duration.ofSeconds(120), () -> batch.terminal() == 20);
            // Every update acknowledged: nothing more can be (re)delivered after this.
            Await.until("agents hold no unacknowledged update", Duration.ofSeconds(60),
                () -> cluster.agents().stream().mapToInt(AgentNode::unacknowledgedUpdates).sum() == 0);
            final Set<String> uuids = new HashSet<>();
            for (final Map.Entry<String, List<TaskStatus>> e : batch.updates.entrySet())
            {
                final List<TaskState> states = new ArrayList<>();
                for (final TaskStatus s : e.getValue())
                {
                    states.add(s.state());
                    assertTrue(uuids.add(s.taskId() + "/" + s.uuidMsb() + ":" + s.uuidLsb()),
                        "update delivered twice: " + s);
                }
                assertEquals(List.of(TaskState.STARTING, TaskState.RUNNING, TaskState.FINISHED), states,
                    "updates of " + e.getKey());
            }
            assertEquals(20, batch.updates.size());
        }
    }

    @Test
    void shouldRefuseAnAcceptTooLargeForOneMessageAndKeepTheDriverWorking() throws Exception
    {
        final RecordingScheduler recorder = new RecordingScheduler();
        final BlockingQueue<TaskStatus> statuses = recorder.statuses;
        final BlockingQueue<String> errors = recorder.errors;
        final BlockingQueue<Offer> offers = recorder.offers;
        // A single task spec over the limit is refused when it is built, naming the fix.
        final IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
            () -> new TaskSpec("huge", "true", Resources.of(0.1, 16)).withEnv(Map.of("DATA", "x".repeat(70_000))));
        assertTrue(tooBig.getMessage().contains("limit is 64 KiB"), tooBig.getMessage());

        try (CorralSchedulerDriver driver = new CorralSchedulerDriver(recorder, new FrameworkInfo("big", "big"),
            cluster.mastersSpec()))
        {
            driver.start();
            final Offer offer = offers.poll(30, TimeUnit.SECONDS);
            assertNotNull(offer, "an offer");
            // Four tasks of 50 KB each: 200 KB, as wordcount with --chunks 4 on a 200 KB file sends.
            final List<TaskSpec> tasks = new ArrayList<>();
            for (int i = 0; i < 4; i++)
            {
                tasks.add(new TaskSpec("big-" + i, "true", Resources.of(0.1, 16))
                    .withEnv(Map.of("CHUNK", "word ".repeat(10_000))));
            }
            driver.acceptOffer(offer.offerId(), tasks);
            final String error = errors.poll(10, TimeUnit.SECONDS);
            assertNotNull(error, "the scheduler is told");
            assertTrue(error.contains("over the 128 KiB one accept may carry"), error);
            final Set<String> lost = new HashSet<>();
            for (int i = 0; i < 4; i++)
            {
                final TaskStatus s = statuses.poll(10, TimeUnit.SECONDS);
                assertNotNull(s, "each task is reported");
                assertEquals(TaskState.LOST, s.state(), s.toString());
                lost.add(s.taskId());
            }
            assertEquals(Set.of("big-0", "big-1", "big-2", "big-3"), lost);

            // The driver keeps working: the declined resources come back and a task runs.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Offer next = null;
            while (next == null && System.nanoTime() < deadline)
            {
                final Offer o = offers.poll(200, TimeUnit.MILLISECONDS);
                if (o != null && o.resources().cpusMilli() >= 100)
                {
                    next = o;
                }
            }
            assertNotNull(next, "offers keep coming after the refused accept");
            driver.acceptOffer(next.offerId(), List.of(new TaskSpec("small", "true", Resources.of(0.1, 16))
                .withEnv(Map.of("CHUNK", "word ".repeat(10_000)))));
            TaskStatus s;
            do
            {
                s = statuses.poll(30, TimeUnit.SECONDS);
                assertNotNull(s, "the small task reports");
            }
            while (!s.state().isTerminal());
            assertEquals("small", s.taskId());
            assertEquals(TaskState.FINISHED, s.state(), s.toString());
        }
    }

    @Test
    void shouldStopFromInsideACallback() throws Exception
    {
        final CountDownLatch callbackReturned = new CountDownLatch(1);
        final List<String> after = java.util.Collections.synchronizedList(new ArrayList<>());
        final Scheduler stopper = new Scheduler()
        {
            private boolean stopped;

            @Override
            public void registered(final SchedulerDriver driver, final long frameworkId)
            {
            }

            @Override
            public void resourceOffers(final SchedulerDriver driver, final List<Offer> offers)
            {
                if (stopped)
                {
                    after.add("offer after stop");
                    return;
                }
                stopped = true;
                driver.stop();
                callbackReturned.countDown();
            }

            @Override
            public void statusUpdate(final SchedulerDriver driver, final TaskStatus status)
            {
            }
        };
        final CorralSchedulerDriver driver = new CorralSchedulerDriver(stopper, new FrameworkInfo("stopper", "stop"),
            cluster.mastersSpec());
        driver.start();
        assertTrue(callbackReturned.await(30, TimeUnit.SECONDS), "stop() returned inside the callback");
        final Thread joiner = new Thread(() ->
        {
            try
            {
                driver.join();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        });
        joiner.start();
        joiner.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(joiner.isAlive(), "join() returns after stop() from a callback");
        assertEquals(List.of(), after, "no callback after stop()");
        final long id = driver.frameworkId();
        Await.until("the master removed the framework", Duration.ofSeconds(20),
            () -> cluster.leader() != null && cluster.leader().state().framework(id) == null);
    }
}
