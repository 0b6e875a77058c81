package io.corral.cli;

import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.Scheduler;
import io.corral.client.SchedulerDriver;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import org.HdrHistogram.Histogram;

/**
 * Task launch rate on one agent and the status-update path, end to end through a real 3-master
 * quorum: a framework launches {@code true} tasks as fast as offers allow. Prints tasks/s and
 * HdrHistogram percentiles. Run:
 * {@code java -cp cli/target/corral.jar <jvm flags from bin/corral> io.corral.cli.LaunchBenchmark [tasks]}
 */
public final class LaunchBenchmark
{
    private LaunchBenchmark()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int total = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        final int warmup = Math.min(200, total / 5);
        final File dir = Files.createTempDirectory("corral-launch-bench-").toFile();
        final Histogram toRunning = new Histogram(60_000, 3);
        final Histogram statusPath = new Histogram(60_000, 3);
        final Map<String, Long> acceptedAtMs = new ConcurrentHashMap<>();
        final AtomicInteger launched = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        final CountDownLatch done = new CountDownLatch(1);
        final long[] measuredFrom = new long[1];
        try (LocalCluster cluster = new LocalCluster(dir, 3, 1, 7801, 2, 2048))
        {
            cluster.awaitReady(60, TimeUnit.SECONDS);
            final Scheduler scheduler = new Scheduler()
            {
                @Override
                public void registered(final SchedulerDriver driver, final long frameworkId)
                {
                }

                @Override
                public void resourceOffers(final SchedulerDriver driver, final List<Offer> offers)
                {
                    for (final Offer offer : offers)
                    {
                        final int fit = (int)Math.min(50, Math.min(offer.resources().cpusMilli() / 10,
                            offer.resources().memMiB() / 4));
                        final List<TaskSpec> tasks = new ArrayList<>();
                        for (int i = 0; i < fit && launched.get() < total; i++)
                        {
                            final String id = "t" + launched.getAndIncrement();
                            acceptedAtMs.put(id, System.currentTimeMillis());
                            tasks.add(new TaskSpec(id, "true", new Resources(10, 4, 0, 0)));
                        }
                        if (tasks.isEmpty())
                        {
                            driver.declineOffer(offer.offerId(), 1);
                        }
                        else
                        {
                            driver.acceptOffer(offer.offerId(), tasks);
                        }
                    }
                }

                @Override
                public void statusUpdate(final SchedulerDriver driver, final TaskStatus s)
                {
                    final long now = System.currentTimeMillis();
                    final int n = Integer.parseInt(s.taskId().substring(1));
                    if (n >= warmup)
                    {
                        statusPath.recordValue(Math.max(0, now - s.timestampMs()));
                        if (s.state() == TaskState.RUNNING)
                        {
                            toRunning.recordValue(Math.max(0, now - acceptedAtMs.get(s.taskId())));
                        }
                    }
                    if (s.state().isTerminal())
                    {
                        final int f = finished.incrementAndGet();
                        if (f == warmup)
                        {
                            measuredFrom[0] = System.nanoTime();
                        }
                        if (f == total)
                        {
                            done.countDown();
                        }
                    }
                }
            };
            try (CorralSchedulerDriver driver = new CorralSchedulerDriver(scheduler, new FrameworkInfo("bench", "bench"),
                cluster.mastersSpec()))
            {
                driver.start();
                if (!done.await(10, TimeUnit.MINUTES))
                {
                    throw new IllegalStateException("only " + finished.get() + " of " + total + " tasks finished");
                }
            }
            final double seconds = (System.nanoTime() - measuredFrom[0]) / 1e9;
            System.out.printf("%d tasks (%d after warm-up) on one agent: %.0f tasks/s finished%n", total, total - warmup,
                (total - warmup) / seconds);
            System.out.printf("accept -> RUNNING at the framework: p50=%d p99=%d max=%d ms%n",
                toRunning.getValueAtPercentile(50), toRunning.getValueAtPercentile(99), toRunning.getMaxValue());
            System.out.printf("status update path (agent timestamp -> framework, incl. Raft commit): p50=%d p99=%d " +
                "max=%d ms (n=%d)%n", statusPath.getValueAtPercentile(50), statusPath.getValueAtPercentile(99),
                statusPath.getMaxValue(), statusPath.getTotalCount());
        }
        finally
        {
            Corral.deleteTree(dir);
        }
    }
}
