package io.corral.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import io.corral.master.MasterNode;
import io.corral.testkit.Await;
import io.corral.testkit.RecordingScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real agent with more than a thousand running tasks (real processes, each in its cgroups)
 * across a leader kill: it registers with the new leader listing them all, in several parts (the
 * list is longer than one part), and every task stays RUNNING in the new leader's state and in
 * the framework's eyes. The tests elsewhere use a handful of tasks; this is the size where a
 * list goes in parts.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ManyTasksFailoverTest
{
    private static final int TASKS = 1_050;
    /** Long ids, so that the agent's task list (~50 characters a task) needs more than one part. */
    private static final String PREFIX = "many-tasks-failover-";

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private CorralSchedulerDriver driver;

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

    @Test
    void aThousandRunningTasksOfOneAgentSurviveALeaderKill() throws Exception
    {
        assertTrue(TASKS * (PREFIX.length() + 30) > io.corral.codec.TaskListParts.PART_CHARS,
            "the list must need more than one part");
        cluster = new LocalCluster(dir.toFile(), 3, 1, LocalCluster.freeBasePort(3), 2, 4096,
            c -> c.reregistrationGraceMs(30_000));
        cluster.awaitReady(60, TimeUnit.SECONDS);
        final RecordingScheduler r = new RecordingScheduler();
        driver = new CorralSchedulerDriver(r, new FrameworkInfo("many", "test").withFailoverTimeoutMs(120_000),
            cluster.mastersSpec());
        driver.start();
        assertEquals("registered", r.events.poll(30, TimeUnit.SECONDS));

        // Launch them, a few hundred per accept (an accept carries at most 128 KiB).
        int launched = 0;
        while (launched < TASKS)
        {
            final Offer offer = r.offers.poll(30, TimeUnit.SECONDS);
            assertNotNull(offer, "an offer after " + launched + " launches");
            final int n = Math.min(300, TASKS - launched);
            final List<TaskSpec> tasks = new ArrayList<>();
            for (int i = 0; i < n; i++)
            {
                tasks.add(new TaskSpec(String.format("%s%05d", PREFIX, launched + i), "sleep 600",
                    Resources.of(0.001, 1)));
            }
            driver.acceptOffer(offer.offerId(), tasks);
            launched += n;
        }
        final Map<String, TaskState> seen = new HashMap<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (seen.values().stream().filter(s -> s == TaskState.RUNNING).count() < TASKS &&
            System.nanoTime() < deadline)
        {
            record(r, seen);
        }
        assertEquals(TASKS, seen.values().stream().filter(s -> s == TaskState.RUNNING).count(),
            "every task runs: " + summary(seen));

        final MasterNode old = cluster.leader();
        cluster.stopMaster(old);
        Await.whileTrue(Duration.ofSeconds(30), () -> cluster.leader() == null || cluster.leader() == old);
        final MasterNode next = cluster.leader();
        assertNotNull(next, "a new leader");
        // The agent lists its tasks to the new leader (in parts) when it registers there; none is lost.
        Await.whileTrue(Duration.ofSeconds(60), () -> running(next) < TASKS);
        assertEquals(TASKS, running(next), "the new leader knows every task RUNNING");

        // Whatever the framework hears meanwhile, no task ends.
        final long quiet = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < quiet)
        {
            record(r, seen);
        }
        assertEquals(TASKS, seen.values().stream().filter(s -> s == TaskState.RUNNING).count(),
            "no task ended in the framework's eyes: " + summary(seen));
    }

    private static void record(final RecordingScheduler r, final Map<String, TaskState> seen)
        throws InterruptedException
    {
        final TaskStatus s = r.statuses.poll(100, TimeUnit.MILLISECONDS);
        if (s != null && s.taskId().startsWith(PREFIX))
        {
            final TaskState before = seen.get(s.taskId());
            if (before == null || !before.isTerminal())
            {
                seen.put(s.taskId(), s.state());
            }
            if (s.state().isTerminal() && FIRST_END[0] == null)
            {
                FIRST_END[0] = s.taskId() + " " + s.state() + ": " + s.message();
            }
        }
    }

    private static long running(final MasterNode master)
    {
        return master.state().tasks().stream()
            .filter(t -> t.taskId().startsWith(PREFIX) && t.state() == io.corral.codec.sbe.TaskState.RUNNING).count();
    }

    /** The first end heard of, to say why in a failure. */
    private static final String[] FIRST_END = new String[1];

    private static String summary(final Map<String, TaskState> seen)
    {
        final Map<TaskState, Integer> counts = new java.util.EnumMap<>(TaskState.class);
        seen.values().forEach(s -> counts.merge(s, 1, Integer::sum));
        return seen.size() + " heard of: " + counts + (FIRST_END[0] == null ? "" : "; first end: " + FIRST_END[0]);
    }
}
