package io.corral.chaos;

import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Starts a master quorum and agents as real processes, runs a workload framework against them,
 * injects faults on a seeded schedule, then checks the invariants and prints failover times.
 * Replay a failing run with the same {@code --seed}.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Kill leaders (and more) under load and check that nothing acknowledged is lost.")
public final class ChaosRun implements Callable<Integer>
{
    @Option(names = "--masters", defaultValue = "3", description = "Masters in the quorum (3 or 5).")
    int masters;

    @Option(names = "--agents", defaultValue = "2", description = "Agent processes.")
    int agents;

    @Option(names = "--sim-agents", defaultValue = "0", description = "Simulated agents (the scale harness's) " +
        "beside the agent processes, so the faults run under their load; the workload's tasks land on both.")
    int simAgents;

    @Option(names = "--sim-agents-per-endpoint", defaultValue = "100", description = "Simulated agents sharing one endpoint.")
    int simAgentsPerEndpoint;

    @Option(names = "--kills", defaultValue = "10", description = "Number of faults to inject.")
    int kills;

    @Option(names = "--open", defaultValue = "20", description = "Tasks the workload keeps launched and not ended " +
        "at most (default ${DEFAULT-VALUE}); with --sim-agents and --tasks-per-offer 50, some thousands make it " +
        "a high-rate load.")
    int maxOpen;

    @Option(names = "--tasks-per-offer", defaultValue = "5", description = "Tasks the workload launches per offer " +
        "at most (default ${DEFAULT-VALUE}).")
    int tasksPerOffer;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the fault schedule and the workload.")
    long seed;

    @Option(names = "--mix", defaultValue = "leader-kill=6,leader-pause=2,follower-kill=1,agent-restart=1",
        description = "Relative weights of the faults.")
    String mix;

    @Option(names = "--interval-ms", defaultValue = "3000", description = "Mean time between faults.")
    long intervalMs;

    @Option(names = "--election-timeout-ms", defaultValue = "150-300",
        description = "Raft election timeout range of the masters, MIN-MAX ms.")
    String electionTimeout;

    @Option(names = "--master-jvm", defaultValue = "production",
        description = "How the master JVMs run: 'production' as `corral master` runs them (G1 with a 50 ms pause " +
            "goal, the full JIT, 512 MiB), or 'test' (the serial collector, C1 only, 192 MiB: cheaper, for the " +
            "build's short runs; its pauses, up to 0.9 s under load, exceed the election timeout).")
    String masterJvm;

    @Option(names = "--port", defaultValue = "7401", description = "First master port (Raft +1000, HTTP +2000).")
    int port;

    @Option(names = "--jar", description = "The corral jar (default: cli/target/corral.jar).")
    File jar;

    @Option(names = "--work", description = "Work directory (default: a temp dir, removed afterwards).")
    File work;

    /** What a run found. */
    public record Result(boolean ok, List<String> violations, Map<String, Integer> faults, int tasks,
        Histogram election, Histogram offers, String summary)
    {
    }

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new ChaosRun()).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        final Result r = run();
        System.out.println(r.summary());
        return r.ok() ? 0 : 1;
    }

    /** Also used by the short chaos test in the build. */
    public static Result run(final String... args) throws Exception
    {
        final ChaosRun c = new ChaosRun();
        new CommandLine(c).parseArgs(args);
        return c.run();
    }

    private static void say(final String what)
    {
        System.out.printf("[chaos %tT] %s%n", System.currentTimeMillis(), what);
    }

    /** Tasks launched a second while the faults were injected. */
    private double launchRate;

    Result run() throws Exception
    {
        final File jarFile = jar != null ? jar : findJar();
        final boolean ownWork = work == null;
        final File dir = ownWork ? Files.createTempDirectory("corral-chaos-").toFile() : work;
        final Map<String, Integer> weights = parseMix(mix);
        final Map<String, Integer> done = new LinkedHashMap<>();
        weights.keySet().forEach(k -> done.put(k, 0));
        final Histogram election = new Histogram(60_000, 3);
        final Histogram offersBack = new Histogram(60_000, 3);
        final SplittableRandom random = new SplittableRandom(seed);
        final Workload workload = new Workload(seed, maxOpen, tasksPerOffer);
        say("masters=" + masters + " agents=" + agents + (simAgents > 0 ? " sim-agents=" + simAgents : "") + " faults=" + kills + " seed=" + seed + " mix=" + mix +
            " election-timeout=" + electionTimeout + " ms work=" + dir);
        final ProcessCluster cluster = new ProcessCluster(jarFile, dir, port, masters, electionTimeout);
        switch (masterJvm)
        {
            case "production" -> cluster.masterHeapMb(512).productionMasters(List.of());
            case "test" -> { }
            default -> throw new IllegalArgumentException("--master-jvm must be production or test, got '" +
                masterJvm + "'");
        }
        // Authentication on, as a real cluster runs: agents, simulated agents and frameworks authenticate.
        cluster.secured();
        // Stopped by a signal, the run still kills its processes and removes what it made.
        final Thread cleanup = new Thread(() ->
        {
            cluster.close(); // (the simulated agents' driver directory goes with MediaDrivers' own hook)
            if (ownWork)
            {
                org.agrona.IoUtil.delete(dir, true);
            }
        }, "corral-chaos-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try (cluster)
        {
            for (int i = 1; i <= masters; i++)
            {
                cluster.startMaster(i);
            }
            awaitLeader(cluster, 0, 60_000);
            for (int i = 1; i <= agents; i++)
            {
                cluster.startAgent(i);
            }
            if (simAgents > 0)
            {
                startSimAgents(cluster);
            }
            final List<String> violations = new ArrayList<>();
            long frameworkId;
            final CorralSchedulerDriver created = new CorralSchedulerDriver(workload,
                new FrameworkInfo("chaos-workload", "chaos").withFailoverTimeoutMs(120_000), cluster.masters());
            if (cluster.credential("operator") != null)
            {
                created.credential(cluster.credential("operator"));
            }
            try (CorralSchedulerDriver driver = created)
            {
                driver.start();
                final java.util.concurrent.ScheduledExecutorService reconciler =
                    java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
                reconciler.scheduleWithFixedDelay(() -> workload.reconcileStale(driver, TimeUnit.SECONDS.toNanos(5)),
                    3, 3, TimeUnit.SECONDS);
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (workload.launched.isEmpty() && System.nanoTime() < deadline)
                {
                    Thread.sleep(50);
                }
                if (workload.launched.isEmpty())
                {
                    throw new IllegalStateException("no task launched within 60 s: see " + dir + "/logs");
                }
                final long faultsStartNs = System.nanoTime();
                final int launchedBefore = workload.launched.size();
                for (int k = 1; k <= kills; k++)
                {
                    Thread.sleep(intervalMs / 2 + random.nextLong(intervalMs));
                    final String fault = pick(weights, random);
                    inject(fault, cluster, random, workload, election, offersBack);
                    done.merge(fault, 1, Integer::sum);
                }
                workload.stopLaunching();
                launchRate = (workload.launched.size() - launchedBefore) /
                    ((System.nanoTime() - faultsStartNs) / 1e9);
                say(String.format("faults done (%.0f tasks launched a second meanwhile); letting the workload drain",
                    launchRate));
                final long drain = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (workload.openTasks() > 0 && System.nanoTime() < drain)
                {
                    Thread.sleep(200);
                }
                final List<String> unfinished = unfinished(workload);
                if (!unfinished.isEmpty())
                {
                    say("reconciling " + unfinished.size() + " tasks without a terminal state");
                    driver.reconcileTasks(unfinished);
                    // Answers come within a duty cycle or two; the checker judges whatever is missing.
                    final long answered = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (!unfinished(workload).isEmpty() && System.nanoTime() < answered)
                    {
                        Thread.sleep(50);
                    }
                }
                frameworkId = driver.frameworkId();
                reconciler.shutdownNow();
            }
            final Map<Integer, JsonNode> finals = awaitSameState(cluster);
            violations.addAll(Checker.check(workload, frameworkId, finals));
            final String summary = String.format(
                "invariants %s: %d faults %s, %d tasks (%.0f a second; %d reconciliations), %d violations; leader elected after kill p50=%d p99=%d max=%d ms" +
                    " (n=%d); offers flowing again p50=%d p99=%d max=%d ms (n=%d)",
                violations.isEmpty() ? "OK" : "BROKEN", kills, done, workload.launched.size(), launchRate,
                workload.reconciliations.get(), violations.size(),
                election.getValueAtPercentile(50), election.getValueAtPercentile(99), election.getMaxValue(),
                election.getTotalCount(), offersBack.getValueAtPercentile(50), offersBack.getValueAtPercentile(99),
                offersBack.getMaxValue(), offersBack.getTotalCount());
            for (final String v : violations.subList(0, Math.min(20, violations.size())))
            {
                say("VIOLATION " + v);
            }
            if (!violations.isEmpty())
            {
                // What the framework was told went wrong: the first of each kind, to start from.
                final Map<String, String> kinds = new LinkedHashMap<>();
                workload.errors.forEach(e -> kinds.putIfAbsent(e.split(":", 2)[0], e));
                kinds.values().forEach(e -> say("framework error (first of its kind): " + e));
            }
            return new Result(violations.isEmpty(), violations, done, workload.launched.size(), election, offersBack,
                summary);
        }
        finally
        {
            stopSimAgents();
            if (ownWork)
            {
                org.agrona.IoUtil.delete(dir, true);
            }
            try
            {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
            catch (final IllegalStateException shuttingDown)
            {
                // the hook is running already
            }
        }
    }

    private io.aeron.Aeron simAeron;
    private org.agrona.concurrent.AgentRunner simRunner;
    /** The simulated agents of this run (null without {@code --sim-agents}). */
    SimAgents sims;

    private void startSimAgents(final ProcessCluster cluster) throws InterruptedException, java.io.IOException
    {
        simAeron = io.corral.codec.MediaDrivers.connect();
        sims = new SimAgents(simAeron, "127.0.0.1", List.of(cluster.masters().split(",")), simAgents,
            simAgentsPerEndpoint, 4000, 8192, 100).credential(cluster.credential("agents"));
        simRunner = new org.agrona.concurrent.AgentRunner(new org.agrona.concurrent.SleepingMillisIdleStrategy(1),
            Throwable::printStackTrace, null, sims);
        org.agrona.concurrent.AgentRunner.startOnThread(simRunner);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (sims.registeredCount.get() < simAgents && System.nanoTime() < deadline)
        {
            Thread.sleep(100);
        }
        if (sims.registeredCount.get() < simAgents)
        {
            throw new IllegalStateException("only " + sims.registeredCount.get() + " of " + simAgents +
                " simulated agents registered within 180 s" + (sims.refusal == null ? "" : "; the masters said: " +
                sims.refusal));
        }
        say(simAgents + " simulated agents registered");
    }

    private void stopSimAgents()
    {
        if (simRunner != null)
        {
            simRunner.close();
            simRunner = null;
        }
        if (simAeron != null)
        {
            io.corral.codec.MediaDrivers.release(simAeron);
            simAeron = null;
        }
    }

    private void inject(final String fault, final ProcessCluster cluster, final SplittableRandom random,
        final Workload workload, final Histogram election, final Histogram offersBack) throws Exception
    {
        // A failover is timed from a settled quorum: every running master healthy and following one
        // leader. (With three masters, a kill while the last one killed is still starting leaves no
        // quorum until it is back: that measures a JVM's start, not a failover.)
        final boolean settled = awaitSettled(cluster, 60_000);
        final long[] leader = awaitLeader(cluster, 0, 30_000);
        final int leaderId = (int)leader[0];
        final long term = leader[1];
        switch (fault)
        {
            case "leader-kill" ->
            {
                final long t0 = System.nanoTime();
                cluster.killMaster(leaderId);
                final long goneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                final long[] next = awaitLeader(cluster, term, 30_000);
                final long electedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                final long offersMs = awaitOffers(workload, term, t0);
                if (settled)
                {
                    election.recordValue(electedMs);
                    if (offersMs >= 0)
                    {
                        offersBack.recordValue(offersMs);
                    }
                }
                say("killed leader " + leaderId + " (term " + term + ", exited after " + goneMs + " ms): master " +
                    next[0] + " leads term " + next[1] + " after " + electedMs + " ms, offers again after " + offersMs +
                    " ms" + (settled ? "" : " (not timed: the quorum had not settled within 60 s before the kill)"));
                Thread.sleep(1000);
                cluster.startMaster(leaderId);
            }
            case "leader-pause" ->
            {
                cluster.signalMaster(leaderId, "STOP");
                final long[] next = awaitLeader(cluster, term, 30_000);
                Thread.sleep(500);
                cluster.signalMaster(leaderId, "CONT");
                say("paused leader " + leaderId + " (term " + term + "); master " + next[0] + " took over in term " +
                    next[1] + "; resumed the old one");
            }
            case "follower-kill" ->
            {
                final List<Integer> followers = new ArrayList<>(cluster.runningMasters());
                followers.remove(Integer.valueOf(leaderId));
                final int victim = followers.get(random.nextInt(followers.size()));
                cluster.killMaster(victim);
                say("killed follower " + victim);
                Thread.sleep(1000);
                cluster.startMaster(victim);
            }
            case "agent-restart" ->
            {
                final List<Integer> agentIds = cluster.runningAgents();
                final int victim = agentIds.get(random.nextInt(agentIds.size()));
                cluster.killAgent(victim);
                say("killed agent " + victim + "; restarting it");
                Thread.sleep(500);
                cluster.startAgent(victim);
            }
            default -> throw new IllegalArgumentException("unknown fault " + fault);
        }
    }

    /** Tasks the workload launched that it has heard no terminal state of. */
    private static List<String> unfinished(final Workload workload)
    {
        final java.util.Set<String> ended = new java.util.HashSet<>();
        workload.seen.forEach(s ->
        {
            if (s.state().isTerminal())
            {
                ended.add(s.taskId());
            }
        });
        final List<String> unfinished = new ArrayList<>();
        workload.launched.keySet().forEach(t ->
        {
            if (!ended.contains(t))
            {
                unfinished.add(t);
            }
        });
        return unfinished;
    }

    /** Waits until every running master is healthy and follows one leader; false if not within the time. */
    private static boolean awaitSettled(final ProcessCluster cluster, final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline)
        {
            if (cluster.quorumSettled())
            {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** Waits for a leader in a term above {@code aboveTerm}; returns {id, term}. */
    private static long[] awaitLeader(final ProcessCluster cluster, final long aboveTerm, final long timeoutMs)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline)
        {
            final long[] leader = cluster.leader();
            if (leader != null && leader[1] > aboveTerm)
            {
                return leader;
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("no leader above term " + aboveTerm + " within " + timeoutMs + " ms");
    }

    /** Milliseconds from {@code t0} until the framework got an offer of a later term, or -1. */
    private static long awaitOffers(final Workload workload, final long oldTerm, final long t0)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline)
        {
            for (final Map.Entry<Long, Long> e : workload.firstOfferNsByTerm.entrySet())
            {
                if (e.getKey() > oldTerm && e.getValue() > t0)
                {
                    return TimeUnit.NANOSECONDS.toMillis(e.getValue() - t0);
                }
            }
            Thread.sleep(5);
        }
        return -1;
    }

    /** Every running master answers and holds the same agents, frameworks and tasks. */
    private static Map<Integer, JsonNode> awaitSameState(final ProcessCluster cluster) throws InterruptedException
    {
        Map<Integer, JsonNode> states = new LinkedHashMap<>();
        // (a master restarted by the last fault may still be catching up from a snapshot)
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            states = new LinkedHashMap<>();
            for (final int id : cluster.runningMasters())
            {
                final JsonNode s = cluster.state(id);
                if (s != null)
                {
                    states.put(id, s);
                }
            }
            if (states.size() == cluster.runningMasters().size() &&
                states.values().stream().map(Checker::content).distinct().count() == 1)
            {
                return states;
            }
            Thread.sleep(200);
        }
        return states;
    }

    private static String pick(final Map<String, Integer> weights, final SplittableRandom random)
    {
        final int total = weights.values().stream().mapToInt(Integer::intValue).sum();
        int r = random.nextInt(total);
        for (final Map.Entry<String, Integer> e : weights.entrySet())
        {
            r -= e.getValue();
            if (r < 0)
            {
                return e.getKey();
            }
        }
        throw new IllegalStateException();
    }

    static Map<String, Integer> parseMix(final String mix)
    {
        final Map<String, Integer> weights = new LinkedHashMap<>();
        for (final String part : mix.split(","))
        {
            final String[] kv = part.trim().split("=");
            if (kv.length != 2 || !List.of("leader-kill", "leader-pause", "follower-kill", "agent-restart")
                .contains(kv[0].trim()))
            {
                throw new IllegalArgumentException("--mix entry '" + part + "' is not fault=weight with fault one of " +
                    "leader-kill, leader-pause, follower-kill, agent-restart");
            }
            final int w = Integer.parseInt(kv[1].trim());
            if (w > 0)
            {
                weights.put(kv[0].trim(), w);
            }
        }
        if (weights.isEmpty())
        {
            throw new IllegalArgumentException("--mix gives no fault a positive weight");
        }
        return weights;
    }

    /** The built cli/target/corral.jar, looked for from the working directory upwards. */
    public static File findJar()
    {
        for (File d = new File("").getAbsoluteFile(); d != null; d = d.getParentFile())
        {
            final File candidate = new File(d, "cli/target/corral.jar");
            if (candidate.isFile())
            {
                return candidate;
            }
        }
        throw new IllegalArgumentException("cli/target/corral.jar not found: build it (mvn -B -q package -DskipTests) " +
            "or pass --jar");
    }
}
