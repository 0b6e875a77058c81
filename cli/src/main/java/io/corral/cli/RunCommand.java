package io.corral.cli;

import java.util.List;
import java.util.concurrent.Callable;
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
import io.corral.client.TaskStatus;
import io.corral.codec.Protocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code corral run}: one command as a task, like {@code mesos-execute}, with a preflight check of the cluster. */
final class RunCommand
{
    private RunCommand()
    {
    }

    /**
     * Why no agent of the cluster could ever run a task asking for {@code asked}, naming the largest
     * agent's amount of the first kind that is short; null if some agent is big enough.
     */
    static String fitsNoAgent(final com.fasterxml.jackson.databind.JsonNode state, final Resources asked)
    {
        if (state.path("agents").isEmpty())
        {
            return null; // agents may still be registering: wait for offers
        }
        final java.util.Map<String, Double> want = new java.util.LinkedHashMap<>();
        want.put("cpus", asked.cpusMilli() / 1000.0);
        want.put("mem", (double)asked.memMiB());
        want.put("disk", (double)asked.diskMiB());
        want.put("gpus", (double)asked.gpus());
        asked.custom().forEach((k, v) -> want.put(k, v.doubleValue()));
        String shortKind = null;
        double largest = 0;
        for (final com.fasterxml.jackson.databind.JsonNode a : state.path("agents"))
        {
            boolean fits = true;
            for (final java.util.Map.Entry<String, Double> e : want.entrySet())
            {
                final double has = a.path("resources").path(e.getKey()).asDouble(0);
                if (e.getValue() > has)
                {
                    fits = false;
                    if (shortKind == null || shortKind.equals(e.getKey()))
                    {
                        shortKind = e.getKey();
                    }
                }
            }
            if (fits)
            {
                return null;
            }
        }
        for (final com.fasterxml.jackson.databind.JsonNode a : state.path("agents"))
        {
            largest = Math.max(largest, a.path("resources").path(shortKind).asDouble(0));
        }
        final String unit = shortKind.equals("mem") || shortKind.equals("disk") ? " MiB" : "";
        return "no agent has " + trim(want.get(shortKind)) + unit + " " + shortKind + " (the largest has " +
            trim(largest) + unit + "); ask for less with " + (shortKind.equals("cpus") || shortKind.equals("mem") ?
            "--" + shortKind : "--resource " + shortKind + "=N");
    }

    private static String trim(final double v)
    {
        return v == Math.rint(v) ? String.valueOf((long)v) : String.valueOf(v);
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run one command as a task, like mesos-execute; exits with its exit code.")
    static final class Run implements Callable<Integer>
    {
        @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
        String masters;

        @Option(names = "--cpus", defaultValue = "0.1", description = "CPUs for the task (default ${DEFAULT-VALUE}).")
        double cpus;

        @Option(names = "--mem", defaultValue = "32", description = "Memory in MiB (default ${DEFAULT-VALUE}).")
        long mem;

        @Option(names = "--name", defaultValue = "corral-run", description = "Task and framework name.")
        String name;

        @Option(names = "--bind", description = "Local address to receive offers and statuses on (default: the " +
            "address this host uses to reach the first master).")
        String bind;

        @Option(names = "--resource", paramLabel = "KIND=AMOUNT",
            description = "Another resource the task needs, e.g. --resource gpus=1 --resource ssd=10 (repeatable; " +
                "disk and gpus, or custom kinds the agents offer).")
        java.util.Map<String, Long> custom = new java.util.LinkedHashMap<>();

        @Option(names = "--role", defaultValue = "default", description = "Role to ask resources in.")
        String role;

        @Option(names = "--env", description = "NAME=value for the task's environment (repeatable).")
        java.util.Map<String, String> env = new java.util.LinkedHashMap<>();

        @Option(names = "--attempts", defaultValue = "1",
            description = "Launch again when the task fails, up to this many attempts in all (default ${DEFAULT-VALUE}).")
        int attempts;

        @Option(names = "--timeout", defaultValue = "0",
            description = "Kill the task after this many seconds and exit 124, like timeout(1) (default: no limit).")
        long timeoutSeconds;

        @Option(names = "--offer-timeout", defaultValue = "60",
            description = "Seconds to wait for a suitable offer (default ${DEFAULT-VALUE}).")
        long offerTimeoutSeconds;

        @Option(names = "--leader-timeout", defaultValue = "60",
            description = "Give up after this many seconds without a leading master (default ${DEFAULT-VALUE}).")
        long leaderTimeoutSeconds;

        @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command (run with sh -c).")
        List<String> command;

        @Override
        public Integer call() throws Exception
        {
            if (attempts < 1)
            {
                throw new IllegalArgumentException("--attempts must be at least 1");
            }
            Resources wanted = Resources.of(cpus, mem);
            for (final java.util.Map.Entry<String, Long> e : custom.entrySet())
            {
                final Resources w = wanted;
                wanted = switch (e.getKey())
                {
                    case "cpus", "mem" -> throw new IllegalArgumentException("use --cpus and --mem for " + e.getKey());
                    case "disk" -> new Resources(w.cpusMilli(), w.memMiB(), e.getValue(), w.gpus(), w.custom());
                    case "gpus" -> new Resources(w.cpusMilli(), w.memMiB(), w.diskMiB(), e.getValue(), w.custom());
                    default -> w.with(e.getKey(), e.getValue());
                };
            }
            final Resources asked = wanted;
            final String unfit = fitsNoAgent(new MasterApi(masters).state(), asked);
            if (unfit != null)
            {
                System.err.println("corral run: " + unfit);
                return 3;
            }
            final String base = name + "-" + Long.toHexString(System.nanoTime());
            final String shell = String.join(" ", command);
            final AtomicInteger exit = new AtomicInteger(-1);
            final AtomicInteger attempt = new AtomicInteger(0);
            final java.util.concurrent.atomic.AtomicBoolean timedOut = new java.util.concurrent.atomic.AtomicBoolean();
            final CountDownLatch done = new CountDownLatch(1);
            final CountDownLatch launched = new CountDownLatch(1);
            final java.util.concurrent.atomic.AtomicLong disconnects = new java.util.concurrent.atomic.AtomicLong();
            final java.util.concurrent.atomic.AtomicBoolean reconnected = new java.util.concurrent.atomic.AtomicBoolean();
            final java.util.concurrent.ScheduledExecutorService timer =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r ->
                {
                    final Thread t = new Thread(r, "corral-run-timeout");
                    t.setDaemon(true);
                    return t;
                });
            final Scheduler scheduler = new Scheduler()
            {
                private boolean waiting = true;
                private String current;

                @Override
                public void registered(final SchedulerDriver driver, final long frameworkId)
                {
                    System.out.println("registered as framework " + frameworkId);
                }

                @Override
                public void resourceOffers(final SchedulerDriver driver, final List<Offer> offers)
                {
                    for (final Offer offer : offers)
                    {
                        if (waiting && offer.resources().fits(asked))
                        {
                            waiting = false;
                            final int n = attempt.incrementAndGet();
                            current = attempts == 1 ? base : base + "-attempt" + n;
                            System.out.println("launching " + current + " on agent " + offer.agentId() + " (" +
                                offer.hostname() + "): " + shell);
                            driver.acceptOffer(offer.offerId(), List.of(new TaskSpec(current, shell, asked).withEnv(env)));
                            launched.countDown();
                            if (timeoutSeconds > 0)
                            {
                                final String id = current;
                                timer.schedule(() ->
                                {
                                    timedOut.set(true);
                                    System.out.println("timeout after " + timeoutSeconds + " s: killing " + id);
                                    driver.killTask(id);
                                }, timeoutSeconds, TimeUnit.SECONDS);
                            }
                        }
                        else
                        {
                            driver.declineOffer(offer.offerId(), waiting ? 1 : 60);
                        }
                    }
                }

                @Override
                public void statusUpdate(final SchedulerDriver driver, final TaskStatus status)
                {
                    System.out.println(status.state() + (status.message().isEmpty() ? "" : "  " + status.message()));
                    if (status.message().startsWith("sandbox: "))
                    {
                        System.out.println("  stdout: " + status.message().substring(9) + "/stdout");
                    }
                    if (!status.state().isTerminal() || !status.taskId().equals(current))
                    {
                        return;
                    }
                    final boolean failed = status.state() != io.corral.client.TaskState.FINISHED &&
                        status.state() != io.corral.client.TaskState.KILLED;
                    if (failed && attempt.get() < attempts && !timedOut.get())
                    {
                        System.out.println("attempt " + attempt.get() + " of " + attempts + " failed: trying again");
                        waiting = true;
                        driver.reviveOffers(List.of());
                        return;
                    }
                    exit.set(timedOut.get() ? 124 : switch (status.state())
                    {
                        case FINISHED -> 0;
                        case FAILED -> status.exitCode() == 0 ? 1 : status.exitCode();
                        default -> 1;
                    });
                    done.countDown();
                }

                @Override
                public void error(final SchedulerDriver driver, final String message)
                {
                    System.err.println("error: " + message);
                }

                @Override
                public void disconnected(final SchedulerDriver driver)
                {
                    System.err.println("disconnected from the master; looking for the leader");
                    final long since = disconnects.incrementAndGet();
                    timer.schedule(() ->
                    {
                        if (disconnects.get() == since && !reconnected.get())
                        {
                            System.err.println("corral run: no leading master for " + leaderTimeoutSeconds +
                                " s; giving up (the task may still be running: see corral tasks)");
                            exit.set(4);
                            done.countDown();
                        }
                    }, leaderTimeoutSeconds, TimeUnit.SECONDS);
                    reconnected.set(false);
                }

                @Override
                public void reregistered(final SchedulerDriver driver, final long frameworkId)
                {
                    reconnected.set(true);
                    System.err.println("found the leader again");
                }
            };
            final CorralSchedulerDriver created = new CorralSchedulerDriver(scheduler, new FrameworkInfo(name, role), masters);
            try (CorralSchedulerDriver driver = bind == null ? created : created.bindHost(bind))
            {
                driver.start();
                if (!launched.await(offerTimeoutSeconds, TimeUnit.SECONDS))
                {
                    System.err.println("corral run: no offer with " + asked + " within " + offerTimeoutSeconds +
                        " s from " + masters + " (is a cluster running? try: bin/corral dev)");
                    return 3;
                }
                done.await();
                if (exit.get() == 4)
                {
                    driver.close(); // no leader to tell: leave without waiting for one
                    return 4;
                }
                driver.stop();
            }
            finally
            {
                timer.shutdownNow();
            }
            return exit.get();
        }
    }
}
