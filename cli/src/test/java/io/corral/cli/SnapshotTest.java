package io.corral.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import io.corral.master.MasterNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.corral.testkit.RecordingScheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Snapshots are the same bytes on every master, and a master rebuilt from one ends identical. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SnapshotTest
{
    @TempDir
    Path dir;

    private static List<Path> snapshotFiles(final File dataDir) throws IOException
    {
        if (!dataDir.exists())
        {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dataDir.toPath()))
        {
            return files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
        }
    }

    private static void awaitSameBytes(final MasterNode reference, final MasterNode other) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline &&
            (other.state().lastAppliedIndex() < reference.state().lastAppliedIndex() ||
                !java.util.Arrays.equals(reference.snapshotBytes(), other.snapshotBytes())))
        {
            Thread.sleep(50);
        }
        assertArrayEquals(reference.snapshotBytes(), other.snapshotBytes(),
            "master " + other.id() + " holds the same state as master " + reference.id());
    }

    @Test
    void everyMasterHoldsIdenticalStateAndAWipedMasterRebuildsItFromASnapshot() throws Exception
    {
        final int basePort = LocalCluster.freeBasePort(4); // a 4th master joins on basePort + 3
        try (LocalCluster cluster = new LocalCluster(dir.toFile(), 3, 2, basePort, 2, 2048,
            c -> c.snapshotEvery(10, 4096)))
        {
            cluster.awaitReady(60, TimeUnit.SECONDS);
            final RecordingScheduler scheduler = new RecordingScheduler();
            final List<String> ids = new ArrayList<>();
            try (CorralSchedulerDriver driver = new CorralSchedulerDriver(scheduler, new FrameworkInfo("snap", "test"),
                cluster.mastersSpec()))
            {
                driver.start();
                int launched = 0;
                while (launched < 60)
                {
                    final Offer offer = scheduler.offers.poll(30, TimeUnit.SECONDS);
                    assertNotNull(offer);
                    final int fit = (int)Math.min(Math.min(10, 60 - launched),
                        Math.min(offer.resources().cpusMilli() / 100, offer.resources().memMiB() / 32));
                    final List<TaskSpec> tasks = new ArrayList<>();
                    for (int i = 0; i < fit; i++)
                    {
                        final String id = "t" + launched++;
                        ids.add(id);
                        tasks.add(new TaskSpec(id, "true", Resources.of(0.1, 32)));
                    }
                    if (tasks.isEmpty())
                    {
                        driver.declineOffer(offer.offerId(), 0);
                    }
                    else
                    {
                        driver.acceptOffer(offer.offerId(), tasks);
                    }
                }
                int finished = 0;
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (finished < ids.size() && System.nanoTime() < deadline)
                {
                    final TaskStatus s = scheduler.statuses.poll(100, TimeUnit.MILLISECONDS);
                    if (s != null && s.state() == TaskState.FINISHED)
                    {
                        finished++;
                    }
                }
                assertEquals(ids.size(), finished, "every task finished");
            final MasterNode leader = cluster.leader();
            leader.takeSnapshot();
            for (final MasterNode m : cluster.masters())
            {
                awaitSameBytes(leader, m);
                assertTrue(!snapshotFiles(new File(dir.toFile(), "master-" + m.id())).isEmpty(),
                    "master " + m.id() + " took snapshots");
            }

            // A follower loses its disk. It is replaced by a new master with an empty data directory,
            // added to the quorum; with the start of the log purged, the leader can only catch it
            // up by installing its snapshot.
            assertTrue(leader.logStartIndex() > 1, "the leader purged its log up to a snapshot, start index " +
                leader.logStartIndex());
            final MasterNode lost = cluster.masters().stream().filter(m -> m != leader).findFirst().orElseThrow();
            final MasterNode replacement = cluster.replaceMaster(lost, 4, basePort + 3);
            awaitSameBytes(leader, replacement);
            assertEquals(ids.size(), replacement.state().tasks().size());
            assertTrue(!snapshotFiles(new File(dir.toFile(), "master-4")).isEmpty(),
                "the new master holds the snapshot it was sent");
            final MasterNode rebuilt = replacement;

            // Another restarts on its own data directory: snapshot plus the log after it.
            final MasterNode restarted = cluster.masters().stream().filter(m -> m != leader && m != rebuilt)
                .findFirst().orElseThrow();
            final int restartedId = restarted.id();
            cluster.stopMaster(restarted);
            awaitSameBytes(leader, cluster.restartMaster(restartedId));
            }
        }
    }
}
