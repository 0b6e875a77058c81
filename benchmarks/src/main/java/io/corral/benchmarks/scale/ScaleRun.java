package io.corral.benchmarks.scale;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.Aeron;
import io.corral.chaos.ChaosRun;
import io.corral.chaos.ProcessCluster;
import io.corral.chaos.SimAgents;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.Scheduler;
import io.corral.client.SchedulerDriver;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Protocol;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The scale harness ({@code benchmarks/scale.sh}): a real quorum of separate master JVMs,
 * {@code --agents} simulated agents in this JVM speaking the real protocol ({@link SimAgents}),
 * and {@code --frameworks} frameworks on the real client that accept every offer with many small
 * tasks. Prints progress every 2 s, then one line of results. Not a test.
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
    description = "Hold N simulated agents on a real master quorum and run tasks through it; print what it cost.")
public final class ScaleRun implements Callable<Integer>
{
    @Option(names = "--agents", defaultValue = "1000", description = "Simulated agents (default ${DEFAULT-VALUE}).")
    int agents;

    @Option(names = "--agents-per-endpoint", defaultValue = "100", description = "Simulated agents sharing one " +
        "endpoint, as agents behind one relay (default ${DEFAULT-VALUE}; 1: an endpoint each, as agents on their own " +
        "hosts, which a master holds only up to a few thousand: see docs/architecture.md).")
    int agentsPerEndpoint;

    @Option(names = "--frameworks", defaultValue = "10", description = "Frameworks launching tasks (default ${DEFAULT-VALUE}; 0: none).")
    int frameworks;

    @Option(names = "--keep-work", description = "Keep the work directory (the masters' logs in logs/, their data) " +
        "when the run ends, and say where: to read what the masters did in a run that went wrong.")
    private boolean keepWork;

    @Option(names = "--seconds", defaultValue = "60", description = "How long to run after registration (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "0", description = "Run the load this long before the " +
        "measured --seconds begin (default ${DEFAULT-VALUE}): the masters' JIT compiles for about a minute after " +
        "they start (C2 took 45-66 s of compile time in the first 60 s of a loaded master here), and a master " +
        "runs for days, so sustained figures are taken after it.")
    int warmupSeconds;

    @Option(names = "--masters", defaultValue = "3", description = "Masters in the quorum: 3 or 5 (default ${DEFAULT-VALUE}).")
    int masters;

    @Option(names = "--task-ms", defaultValue = "100", description = "How long each simulated task runs (default ${DEFAULT-VALUE}).")
    long taskMs;

    @Option(names = "--rate", defaultValue = "0",
        description = "Tasks per second all frameworks together launch at most (default ${DEFAULT-VALUE}: as many " +
            "as offers hold), to measure accept -> RUNNING below saturation.")
    double rate;

    @Option(names = "--tasks-per-offer", defaultValue = "50", description = "Tasks a framework launches per offer (default ${DEFAULT-VALUE}).")
    int tasksPerOffer;

    @Option(names = "--kill-leader", description = "SIGKILL the leading master half way through and time the re-registration.")
    boolean killLeader;

    @Option(names = "--master-heap-mb", defaultValue = "512", description = "Heap of each master JVM (default ${DEFAULT-VALUE}).")
    int masterHeapMb;

    @Option(names = "--master-jvm-opt", description = "An extra JVM option for every master, repeatable; {id} becomes " +
        "the master's id (e.g. -XX:StartFlightRecording=filename=/tmp/m{id}.jfr). Masters run with the full JIT, as " +
        "`corral master` does.")
    List<String> masterJvmOpts = new ArrayList<>();

    @Option(names = "--master-arg", description = "An extra `corral master` option for every master, repeatable " +
        "(e.g. --master-arg=--max-launches-in-flight --master-arg=1000).")
    List<String> masterArgs = new ArrayList<>();

    @Option(names = "--jar", description = "The corral jar the masters run (default: cli/target/corral.jar, found " +
        "upwards from here).")
    File jar;

    @Option(names = "--insecure", description = "Masters without credentials, agents and frameworks unauthenticated " +
        "(default: authenticated and sealed, as a real cluster runs), to compare the cost.")
    boolean insecure;

    @Option(names = "--insecure-raft", description = "With credentials, Raft between the masters without TLS " +
        "(default: mutual TLS, as a real cluster runs), to compare the cost.")
    boolean insecureRaft;

    @Option(names = "--api", defaultValue = "native", description = "How the frameworks talk to the masters: " +
        "native (the thin client over Aeron) or mesos (Mesos's v1 HTTP scheduler API, protobuf; default ${DEFAULT-VALUE}).")
    String api;

    @Option(names = "--register-timeout-s", defaultValue = "120", description = "Give up waiting for registration after this long.")
    int registerTimeoutS;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
    private final Recorder acceptToRunning = new Recorder(3);
    private final Recorder acceptToFinished = new Recorder(3);
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong running = new AtomicLong();
    /** The result line of the last run (also printed), for whoever ran it in-process. */
    private volatile String resultLine;

    String resultLine()
    {
        return resultLine;
    }

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new ScaleRun()).execute(args));
    }

    /** Accepts each offer with many small tasks; records accept → RUNNING. Callbacks on one thread. */
    private final class Launcher implements Scheduler
    {
        private final String name;
        private final Map<String, Long> acceptedAtNs = new HashMap<>();
        private long next;
        /** With --rate: tasks this framework may still launch (a token bucket refilled at rate / frameworks). */
        private double allowance;
        private long refilledAtNs = System.nanoTime();

        Launcher(final String name)
        {
            this.name = name;
        }

        @Override
        public void registered(final SchedulerDriver driver, final long frameworkId)
        {
        }

        @Override
        public void resourceOffers(final SchedulerDriver driver, final List<Offer> offers)
        {
            final long refillNs = System.nanoTime();
            if (rate > 0)
            {
                final double perFramework = rate / frameworks;
                allowance = Math.min(perFramework, allowance + perFramework * (refillNs - refilledAtNs) / 1e9);
                refilledAtNs = refillNs;
            }
            for (final Offer offer : offers)
            {
                int fit = (int)Math.min(tasksPerOffer, Math.min(offer.resources().cpusMilli() / 10,
                    offer.resources().memMiB()));
                if (rate > 0)
                {
                    fit = (int)Math.min(fit, allowance);
                    allowance -= fit;
                }
                final List<TaskSpec> tasks = new ArrayList<>(fit);
                final long nowNs = System.nanoTime();
                for (int i = 0; i < fit; i++)
                {
                    final String id = name + "-" + (next++);
                    tasks.add(new TaskSpec(id, "sim", new Resources(10, 1, 0, 0)));
                    acceptedAtNs.put(id, nowNs);
                }
                if (tasks.isEmpty())
                {
                    // Over the rate: this agent again in 10 s, not at once (declining every agent
                    // each second for 1 s made the master send 1,700 offers a second at --rate 400).
                    driver.declineOffer(offer.offerId(), rate > 0 ? 10 : 0);
                    continue;
                }
                accepted.addAndGet(tasks.size());
                driver.acceptOffer(offer.offerId(), tasks);
            }
        }

        @Override
        public void statusUpdate(final SchedulerDriver driver, final TaskStatus status)
        {
            if (status.state() == TaskState.RUNNING)
            {
                final Long at = acceptedAtNs.get(status.taskId());
                if (at != null && at > 0)
                {
                    acceptToRunning.recordValue(System.nanoTime() - at);
                    running.incrementAndGet();
                    acceptedAtNs.put(status.taskId(), -at); // RUNNING counted once; negative: seen running
                }
            }
            else if (status.state().isTerminal())
            {
                final Long at = acceptedAtNs.remove(status.taskId());
                if (at != null)
                {
                    acceptToFinished.recordValue(System.nanoTime() - Math.abs(at));
                }
            }
        }
    }

    @Override
    public Integer call() throws Exception
    {
        if (masters != 3 && masters != 5)
        {
            throw new CommandLine.ParameterException(new CommandLine(this), "--masters must be 3 or 5");
        }
        final File work = Files.createTempDirectory("corral-scale-").toFile();
        final int basePort = 21_000 + (int)(ProcessHandle.current().pid() % 2_000) * 4 % 8_000;
        final ProcessCluster cluster = new ProcessCluster(jar != null ? jar : ChaosRun.findJar(), work, basePort, masters, "150-300")
            .masterHeapMb(masterHeapMb).productionMasters(masterJvmOpts).masterArgs(masterArgs);
        if (!insecure)
        {
            cluster.secured();
        }
        if (insecureRaft)
        {
            cluster.insecureRaft();
        }
        final List<String> masterList = List.of(Protocol.localMasters(basePort, masters).split(","));
        Aeron aeron = null;
        AgentRunner simRunner = null;
        final List<CorralSchedulerDriver> drivers = new ArrayList<>();
        final List<MesosLauncher> mesosLaunchers = new ArrayList<>();
        if (!api.equals("native") && !api.equals("mesos"))
        {
            throw new CommandLine.ParameterException(new CommandLine(this), "--api must be native or mesos");
        }
        // On a signal too: the masters, their /dev/shm directories and the work directory go.
        final Thread cleanup = new Thread(() ->
        {
            cluster.close();
            removeWork(work);
        }, "corral-scale-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try
        {
            for (int id = 1; id <= masters; id++)
            {
                cluster.startMaster(id);
            }
            final long leaderDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (leader(cluster) == 0)
            {
                if (System.nanoTime() > leaderDeadline)
                {
                    throw new IllegalStateException("no master led within 60 s; logs in " + work);
                }
                Thread.sleep(100);
            }
            progress("quorum of " + masters + " up, master " + leader(cluster) + " leads; starting " + agents +
                " simulated agents");
            aeron = MediaDrivers.connect();
            final SimAgents sims = new SimAgents(aeron, "127.0.0.1", masterList, agents, agentsPerEndpoint, 4000, 8192, taskMs)
                .credential(cluster.credential("agents"));
            simRunner = new AgentRunner(new SleepingMillisIdleStrategy(1), Throwable::printStackTrace, null, sims);
            final long registerStartNs = System.nanoTime();
            AgentRunner.startOnThread(simRunner);
            final long registerDeadline = registerStartNs + TimeUnit.SECONDS.toNanos(registerTimeoutS);
            while (sims.registeredCount.get() < agents && System.nanoTime() < registerDeadline)
            {
                Thread.sleep(200);
                if ((System.nanoTime() - registerStartNs) % 2_000_000_000L < 200_000_000L)
                {
                    progress("registered " + sims.registeredCount.get() + " / " + agents + " (" +
                        sims.registrationsSent.get() + " registrations sent)");
                }
            }
            final double registerS = (System.nanoTime() - registerStartNs) / 1e9;
            progress("registered " + sims.registeredCount.get() + " / " + agents + " in " + String.format("%.1f", registerS) +
                " s");
            final List<URI> schedulers = new ArrayList<>();
            for (int id = 1; id <= masters; id++)
            {
                schedulers.add(URI.create("http://127.0.0.1:" + cluster.httpPort(id) + "/api/v1/scheduler"));
            }
            for (int f = 0; f < frameworks && api.equals("mesos"); f++)
            {
                final io.corral.codec.Credentials.Credential c = insecure ? null : cluster.credential("operator");
                mesosLaunchers.add(new MesosLauncher("fw" + f, "scale", schedulers, c == null ? null : "Basic " +
                    java.util.Base64.getEncoder().encodeToString((c.principal() + ":" + new String(c.secret(),
                        java.nio.charset.StandardCharsets.UTF_8)).getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    tasksPerOffer, rate / frameworks, acceptToRunning, accepted, running));
            }
            for (int f = 0; f < frameworks && api.equals("native"); f++)
            {
                final CorralSchedulerDriver driver = new CorralSchedulerDriver(new Launcher("fw" + f),
                    new FrameworkInfo("scale-" + f, "scale"), String.join(",", masterList));
                if (!insecure)
                {
                    driver.credential(cluster.credential("operator"));
                }
                driver.start();
                drivers.add(driver);
            }
            for (int second = 0; second < warmupSeconds; second += 2)
            {
                Thread.sleep(2_000);
                progress(String.format("warm-up t=%ds registered=%d removed=%d launched=%d finished=%d", second + 2,
                    sims.registeredCount.get(), sims.removed.get(), sims.runTasks.get(), sims.finished.get()));
            }
            acceptToRunning.getIntervalHistogram(); // from here on: the measured window
            final int leaderId = leader(cluster);
            final long pid = cluster.masterPid(leaderId);
            final long cpuStart = cpuTicks(pid);
            final java.util.Map<Integer, Long> mastersCpuStart = new java.util.TreeMap<>();
            for (final int id : cluster.runningMasters())
            {
                mastersCpuStart.put(id, cpuTicks(cluster.masterPid(id)));
            }
            final long selfCpuStart = cpuTicks(ProcessHandle.current().pid());
            final java.util.Map<String, Double> logStart = metrics(cluster, leaderId);
            acceptToFinished.getIntervalHistogram();
            final long runStartNs = System.nanoTime();
            final long tasksStart = sims.runTasks.get();
            final long finishedStart = sims.finished.get();
            final long removedStart = sims.removed.get();
            final Histogram hb = new Histogram(3);
            sims.heartbeatAck.getIntervalHistogram(); // from here on: the run, not the registration
            double reregisterS = Double.NaN;
            boolean killed = false;
            long killedAtNs = 0;
            long cpuEnd = cpuStart;
            long rssMb = rssMb(pid);
            for (int second = 0; second < seconds; second += 2)
            {
                Thread.sleep(2_000);
                hb.add(sims.heartbeatAck.getIntervalHistogram());
                if (!killed)
                {
                    cpuEnd = cpuTicks(pid);
                    rssMb = Math.max(rssMb, rssMb(pid));
                }
                progress(String.format("t=%ds registered=%d removed=%d launched=%d finished=%d hb_ack_p99=%.1fms",
                    second + 2, sims.registeredCount.get(), sims.removed.get() - removedStart,
                    sims.runTasks.get() - tasksStart, sims.finished.get() - finishedStart,
                    hb.getValueAtPercentile(99) / 1e6));
                if (killLeader && !killed && second + 2 >= seconds / 2)
                {
                    killed = true;
                    sims.mark();
                    killedAtNs = System.nanoTime();
                    progress("killing the leader, master " + leaderId);
                    cluster.killMaster(leaderId);
                }
                if (killed && Double.isNaN(reregisterS) && sims.registeredSinceMark.get() >= agents)
                {
                    reregisterS = (System.nanoTime() - killedAtNs) / 1e9;
                }
            }
            final double[] commit = killed ? new double[] { Double.NaN, Double.NaN } :
                quantilesMs(cluster, leaderId, "corral_log_commit_seconds");
            final double[] applyWait = killed ? new double[] { Double.NaN, Double.NaN } :
                quantilesMs(cluster, leaderId, "corral_log_apply_wait_seconds");
            final double[] launch = killed ? new double[] { Double.NaN, Double.NaN } :
                quantilesMs(cluster, leaderId, "corral_launch_seconds");
            final double[] confirm = killed ? new double[] { Double.NaN, Double.NaN } :
                quantilesMs(cluster, leaderId, "corral_launch_confirm_seconds");
            final java.util.Map<String, Double> logEnd = killed ? java.util.Map.of() : metrics(cluster, leaderId);
            final long finishedInRun = sims.finished.get() - finishedStart;
            final double entries = delta(logStart, logEnd, "corral_log_entries_proposed_total");
            final double records = delta(logStart, logEnd, "corral_records_proposed_total");
            final double applied = delta(logStart, logEnd, "corral_log_entries_applied_total");
            final double rounds = delta(logStart, logEnd, "corral_log_apply_rounds_total");
            double mastersCpuS = 0;
            for (final java.util.Map.Entry<Integer, Long> e : mastersCpuStart.entrySet())
            {
                final double s = (cpuTicks(cluster.masterPid(e.getKey())) - e.getValue()) / 100.0;
                mastersCpuS += Math.max(0, s);
            }
            final double selfCpuS = (cpuTicks(ProcessHandle.current().pid()) - selfCpuStart) / 100.0;
            final double runS = (System.nanoTime() - runStartNs) / 1e9;
            final double cpuS = (cpuEnd - cpuStart) / 100.0;
            final double cpuWindowS = killed ? (killedAtNs - runStartNs) / 1e9 : runS;
            final Histogram a2r = acceptToRunning.getIntervalHistogram();
            final Histogram a2f = acceptToFinished.getIntervalHistogram();
            final Histogram calls = new Histogram(3);
            mesosLaunchers.forEach(l -> calls.add(l.callLatency.getIntervalHistogram()));
            resultLine = String.format("scale: agents=%d registered=%d removed=%d register_s=%.1f " +
                "hb_ack_p99_ms=%.1f launches_per_s=%.0f finished_per_s=%.0f accept_to_running_p99_ms=%.1f " +
                "leader_cpu_pct=%.0f leader_rss_mb=%d reregister_s=%s agents_per_endpoint=%d api=%s refused_calls=%d " +
                "commit_p50_ms=%.1f commit_p99_ms=%.1f raft_tls=%s accept_to_running_p50_ms=%.1f " +
                "accept_to_finished_p50_ms=%.1f accept_to_finished_p99_ms=%.1f records_per_entry=%.1f " +
                "entries_per_commit=%.2f entries_per_task=%.4f records_per_task=%.2f masters_cpu_pct=%.0f " +
                "sim_and_frameworks_cpu_pct=%.0f apply_wait_p50_ms=%.1f apply_wait_p99_ms=%.1f leader_duty_stalls=%.0f " +
                "launch_p50_ms=%.1f launch_p99_ms=%.1f confirm_p50_ms=%.1f confirm_p99_ms=%.1f" +
                (api.equals("mesos") ? " http_calls_per_s=%.0f call_p50_ms=%.1f call_p99_ms=%.1f" : ""),
                agents, sims.registeredCount.get(), sims.removed.get() - removedStart, registerS,
                hb.getValueAtPercentile(99) / 1e6, (sims.runTasks.get() - tasksStart) / runS,
                (sims.finished.get() - finishedStart) / runS, a2r.getValueAtPercentile(99) / 1e6,
                100 * cpuS / cpuWindowS, rssMb, killLeader ? (Double.isNaN(reregisterS) ? "never" :
                    String.format("%.1f", reregisterS)) : "-", agentsPerEndpoint, api,
                mesosLaunchers.stream().mapToLong(l -> l.refusedCalls.get()).sum(), commit[0], commit[1],
                !insecure && !insecureRaft, a2r.getValueAtPercentile(50) / 1e6, a2f.getValueAtPercentile(50) / 1e6,
                a2f.getValueAtPercentile(99) / 1e6, ratio(records, entries), ratio(applied, rounds),
                ratio(entries, finishedInRun), ratio(records, finishedInRun), 100 * mastersCpuS / runS,
                100 * selfCpuS / runS, applyWait[0], applyWait[1],
                delta(logStart, logEnd, "corral_leader_duty_stalls_total"), launch[0], launch[1], confirm[0], confirm[1],
                mesosLaunchers.stream().mapToLong(l -> l.sentCalls.get()).sum() / runS,
                calls.getValueAtPercentile(50) / 1e6, calls.getValueAtPercentile(99) / 1e6);
            System.out.println(resultLine);
            return 0;
        }
        finally
        {
            drivers.forEach(CorralSchedulerDriver::close);
            mesosLaunchers.forEach(MesosLauncher::close);
            if (simRunner != null)
            {
                simRunner.close();
            }
            if (aeron != null)
            {
                MediaDrivers.release(aeron);
            }
            cluster.close();
            Runtime.getRuntime().removeShutdownHook(cleanup);
            removeWork(work);
        }
    }

    /** The work directory goes, unless --keep-work asked to keep it (then it says where it is). */
    private void removeWork(final File work)
    {
        if (keepWork)
        {
            progress("kept the work directory: " + work + " (masters' logs in " + new File(work, "logs") + ")");
            return;
        }
        org.agrona.IoUtil.delete(work, true);
    }

    private static void progress(final String line)
    {
        System.out.println("[scale " + java.time.LocalTime.now().withNano(0) + "] " + line);
    }

    /** The id of the master whose /health says it leads, or 0. */
    private int leader(final ProcessCluster cluster)
    {
        for (final int id : cluster.runningMasters())
        {
            try
            {
                final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
                    cluster.httpPort(id) + "/health")).timeout(Duration.ofMillis(500)).build(),
                    HttpResponse.BodyHandlers.ofString());
                if (r.body().contains("\"role\":\"leader\""))
                {
                    return id;
                }
            }
            catch (final Exception ex)
            {
                // not up, or not answering: try the next
            }
        }
        return 0;
    }

    /**
     * A latency summary's p50 and p99 in ms as the leader's /metrics reports them (e.g.
     * {@code corral_log_commit_seconds}, since it took office); NaN if it does not answer.
     */
    private double[] quantilesMs(final ProcessCluster cluster, final int leaderId, final String summary)
    {
        final double[] out = { Double.NaN, Double.NaN };
        for (final String line : scrape(cluster, leaderId))
        {
            if (line.startsWith(summary + "{quantile=\"0.5\"}"))
            {
                out[0] = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) * 1000;
            }
            else if (line.startsWith(summary + "{quantile=\"0.99\"}"))
            {
                out[1] = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) * 1000;
            }
        }
        return out;
    }

    private static double ratio(final double a, final double b)
    {
        return b > 0 ? a / b : Double.NaN;
    }

    private static double delta(final java.util.Map<String, Double> from, final java.util.Map<String, Double> to,
        final String name)
    {
        return to.containsKey(name) && from.containsKey(name) ? to.get(name) - from.get(name) : Double.NaN;
    }

    /** A master's plain (label-less) metrics; empty if it does not answer. */
    private java.util.Map<String, Double> metrics(final ProcessCluster cluster, final int id)
    {
        final java.util.Map<String, Double> out = new java.util.HashMap<>();
        for (final String line : scrape(cluster, id))
        {
            final int space = line.lastIndexOf(' ');
            if (!line.startsWith("#") && space > 0 && line.indexOf('{') < 0)
            {
                out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return out;
    }

    /** The lines of a master's /metrics (as the operator); none if it does not answer. */
    private String[] scrape(final ProcessCluster cluster, final int id)
    {
        try
        {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
                cluster.httpPort(id) + "/metrics")).timeout(Duration.ofSeconds(5));
            final io.corral.codec.Credentials.Credential operator = cluster.credential("operator");
            if (operator != null)
            {
                request.header("Authorization", io.corral.codec.HttpAuth.bearer(operator));
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body().split("\n");
        }
        catch (final Exception ex)
        {
            return new String[0];
        }
    }

    /** utime + stime of a process, in clock ticks (100 per second on Linux). */
    private static long cpuTicks(final long pid)
    {
        try
        {
            final String stat = Files.readAllLines(Path.of("/proc/" + pid + "/stat")).get(0);
            final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
        catch (final Exception ex)
        {
            return 0;
        }
    }

    private static long rssMb(final long pid)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
            {
                if (line.startsWith("VmRSS:"))
                {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        }
        catch (final Exception ex)
        {
            // gone
        }
        return 0;
    }
}
