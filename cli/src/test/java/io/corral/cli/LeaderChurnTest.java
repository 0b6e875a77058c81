package io.corral.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.Scheduler;
import io.corral.client.SchedulerDriver;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leaders changing while a framework launches: offers must keep flowing from each new leader,
 * every piece of work must finish exactly once, and every resource must come back. Also the
 * offer timeout: a framework that sits on offers loses them.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LeaderChurnTest
{
    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<CorralSchedulerDriver> drivers = new ArrayList<>();

    @AfterEach
    void stop()
    {
        drivers.forEach(CorralSchedulerDriver::close);
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private void start(final long offerTimeoutMs) throws Exception
    {
        cluster = new LocalCluster(dir.toFile(), 3, 2, LocalCluster.freeBasePort(3), 2, 2048,
            c -> c.offerTimeoutMs(offerTimeoutMs).reregistrationGraceMs(5000));
        cluster.awaitReady(60, TimeUnit.SECONDS);
    }

    /**
     * Keeps {@code total} pieces of work going, each a task; a piece whose task ends other than
     * FINISHED (LOST because its accept met a new leader, say) is launched again under a new id.
     */
    static final class Batch implements Scheduler
    {
        final int total;
        final Map<Integer, Integer> finishedCount = new ConcurrentHashMap<>();
        final Set<Long> offerTerms = ConcurrentHashMap.newKeySet();
        final BlockingQueue<String> errors = new LinkedBlockingQueue<>();
        private final List<Integer> pending = new ArrayList<>();
        private final Map<String, Integer> pieceOfTask = new ConcurrentHashMap<>();
        private final Set<String> ended = new HashSet<>();
        private int nextTask;

        Batch(final int total)
        {
            this.total = total;
            for (int i = 0; i < total; i++)
            {
                pending.add(i);
            }
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
                offerTerms.add(offer.offerId() >>> 32);
                final List<TaskSpec> tasks = new ArrayList<>();
                long cpus = offer.resources().cpusMilli();
                while (!pending.isEmpty() && cpus >= 100 && tasks.size() < 4)
                {
                    final int piece = pending.remove(0);
                    final String id = "piece-" + piece + "-" + nextTask++;
                    pieceOfTask.put(id, piece);
                    tasks.add(new TaskSpec(id, "sleep 0.2", Resources.of(0.1, 16)));
                    cpus -= 100;
                }
                if (tasks.isEmpty())
                {
                    driver.declineOffer(offer.offerId(), 0.2);
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
            final Integer piece = pieceOfTask.get(status.taskId());
            if (piece == null || !status.state().isTerminal() || !ended.add(status.taskId()))
            {
                return;
            }
            if (status.state() == TaskState.FINISHED)
            {
                finishedCount.merge(piece, 1, Integer::sum);
            }
            else
            {
                pending.add(piece);
                driver.reviveOffers(List.of());
            }
        }

        @Override
        public void error(final SchedulerDriver driver, final String message)
        {
            errors.add(message);
        }

        synchronized int pendingCount()
        {
            return pending.size();
        }
    }

    private static String describe(final MasterNode leader)
    {
        if (leader == null)
        {
            return "none";
        }
        final java.util.Map<String, Long> byState = new java.util.TreeMap<>();
        leader.state().tasks().forEach(t -> byState.merge(t.state().name(), 1L, Long::sum));
        String books;
        try
        {
            final long[][] b = leader.accounting().get(5, TimeUnit.SECONDS);
            books = "allocated " + java.util.Arrays.toString(b[0]) + " offered " + java.util.Arrays.toString(b[1]) +
                " used " + java.util.Arrays.toString(b[2]);
        }
        catch (final Exception ex)
        {
            books = ex.toString();
        }
        return leader.id() + " term " + leader.term() + " tasks " + byState + " " + books;
    }

    @Test
    void shouldKeepOfferingAndGiveEveryResourceBackAcrossQuickLeaderChanges() throws Exception
    {
        start(30_000);
        final Batch batch = new Batch(120);
        // A launch a leader had not committed when it lost office is found by the driver asking the
        // new leader at once (the silence timeout is set out of reach: it must not be what finds it).
        final CorralSchedulerDriver driver = new CorralSchedulerDriver(batch, new FrameworkInfo("churn", "churn")
            .withFailoverTimeoutMs(60_000), cluster.mastersSpec()).silentTaskReconcile(Duration.ofHours(1));
        drivers.add(driver);
        driver.start();

        final List<Long> terms = new ArrayList<>();
        for (int change = 0; change < 5; change++)
        {
            Await.until("work is under way", Duration.ofSeconds(60),
                () -> batch.finishedCount.size() >= 4 || batch.finishedCount.size() == batch.total);
            final MasterNode leader = awaitLeader();
            terms.add(leader.term());
            final int next = leader.id() % 3 + 1;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(cluster.leader() != null && cluster.leader().term() > leader.term()))
            {
                assertTrue(System.nanoTime() < deadline, "leadership moved within 60 s (term " + leader.term() + ")");
                try
                {
                    leader.transferLeadership(next, 3_000);
                }
                catch (final java.io.IOException ex)
                {
                    // A transfer can time out on a busy machine (or race an election): try again.
                }
                Thread.sleep(100);
            }
        }
        final MasterNode last = awaitLeader();
        assertTrue(last.term() > terms.get(0), "leadership changed: terms " + terms + " then " + last.term());

        Await.until("every piece finished", Duration.ofSeconds(120), () -> batch.finishedCount.size() == batch.total,
            () -> "finished " + batch.finishedCount.size() + "/" + batch.total + ", pending " + batch.pendingCount() +
                ", errors " + batch.errors + ", terms offered " + batch.offerTerms + ", leader " + describe(cluster.leader()));
        for (final Map.Entry<Integer, Integer> e : batch.finishedCount.entrySet())
        {
            assertEquals(1, e.getValue(), "piece " + e.getKey() + " finished exactly once");
        }
        final long lastTerm = last.term();
        Await.until("offers from the last leader (term " + lastTerm + ")", Duration.ofSeconds(30),
            () -> batch.offerTerms.contains(lastTerm));

        // Every resource back: what the allocator holds is exactly what open offers hold, with no
        // task running, on whichever master leads now.
        final long[][][] books = new long[1][][];
        Await.until("the leader's books balance", Duration.ofSeconds(30), () ->
        {
            final MasterNode l = cluster.leader();
            if (l == null)
            {
                return false;
            }
            try
            {
                books[0] = l.accounting().get(5, TimeUnit.SECONDS);
            }
            catch (final Exception ex)
            {
                return false;
            }
            return books[0] != null && java.util.Arrays.equals(books[0][0], books[0][1]) &&
                java.util.Arrays.stream(books[0][2]).allMatch(v -> v == 0);
        }, () -> describe(cluster.leader()));
        assertNotNull(books[0]);
        assertArrayEquals(books[0][1], books[0][0], "allocated == offered");
    }

    @Test
    void shouldRescindOffersNotAnsweredWithinTheOfferTimeoutAndOfferThemAgain() throws Exception
    {
        start(1_500);
        final RecordingScheduler sitter = new RecordingScheduler();
        final BlockingQueue<Long> rescinded = new LinkedBlockingQueue<>();
        final CorralSchedulerDriver driver = new CorralSchedulerDriver(new Scheduler()
        {
            @Override
            public void registered(final SchedulerDriver d, final long frameworkId)
            {
            }

            @Override
            public void resourceOffers(final SchedulerDriver d, final List<Offer> offers)
            {
                sitter.offers.addAll(offers); // and never answers
            }

            @Override
            public void statusUpdate(final SchedulerDriver d, final TaskStatus status)
            {
                sitter.statuses.add(status);
            }

            @Override
            public void offerRescinded(final SchedulerDriver d, final long offerId)
            {
                rescinded.add(offerId);
            }
        }, new FrameworkInfo("sitter", "sit"), cluster.mastersSpec());
        drivers.add(driver);
        driver.start();
        final Offer first = sitter.offers.poll(30, TimeUnit.SECONDS);
        assertNotNull(first, "an offer");
        final Set<Long> gone = new HashSet<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!gone.contains(first.offerId()) && System.nanoTime() < deadline)
        {
            final Long id = rescinded.poll(200, TimeUnit.MILLISECONDS);
            if (id != null)
            {
                gone.add(id);
            }
        }
        assertTrue(gone.contains(first.offerId()), "the unanswered offer was rescinded");
        // Its resources came back and are offered again, under a new offer id.
        Offer again = null;
        final long deadline2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (again == null && System.nanoTime() < deadline2)
        {
            final Offer o = sitter.offers.poll(200, TimeUnit.MILLISECONDS);
            if (o != null && o.agentId() == first.agentId() && o.offerId() != first.offerId())
            {
                again = o;
            }
        }
        assertNotNull(again, "the agent's resources are offered again");
        assertEquals(first.resources().cpusMilli(), again.resources().cpusMilli());
        // An accept of the rescinded offer is refused: its task is reported LOST, nothing runs.
        driver.acceptOffer(first.offerId(), List.of(new TaskSpec("too-late", "true", Resources.of(0.1, 16))));
        final TaskStatus lost = sitter.statuses.poll(30, TimeUnit.SECONDS);
        assertNotNull(lost, "the task of the refused accept is reported");
        assertEquals("too-late", lost.taskId());
        assertEquals(TaskState.LOST, lost.state(), lost.toString());
        assertTrue(lost.message().contains("not launched"), lost.message());
    }

    private MasterNode awaitLeader() throws InterruptedException
    {
        Await.until("a leader", Duration.ofSeconds(30), () -> cluster.leader() != null);
        return cluster.leader();
    }
}
