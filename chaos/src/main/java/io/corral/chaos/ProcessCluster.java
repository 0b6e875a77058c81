package io.corral.chaos;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Masters and agents as separate OS processes on loopback, each with its own data directory,
 * Aeron directory, log file and a small heap; started from the corral jar, killed with real
 * signals (SIGKILL, SIGSTOP/SIGCONT).
 */
public final class ProcessCluster implements AutoCloseable
{
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What Agrona and Chronicle Map need on JDK 17 (TOOLCHAIN.md). */
    static final List<String> JVM_FLAGS = List.of("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED", "-Dchronicle.announcer.disable=true", "-Dchronicle.analytics.disable=true");

    private final File jar;
    private final File work;
    private final int basePort;
    private final int masterCount;
    private final String peers;
    private final String masters;
    private final Map<Integer, Process> masterProcs = new LinkedHashMap<>();
    private final Map<Integer, Process> agentProcs = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    private int generation;
    private int masterHeapMb = 192;
    /** JIT flags of every JVM here: C1 only by default (a chaos run starts many short-lived JVMs on 2 cores). */
    private List<String> masterJit = List.of("-XX:TieredStopAtLevel=1");
    private List<String> masterExtra = List.of();
    private List<String> masterArgs = List.of();

    private final String electionTimeout;
    /** The credentials file the masters are given (null: they run with --insecure). */
    private java.nio.file.Path credentials;
    /**
     * The nodes' Aeron directories: in /dev/shm, as a real node's are (term buffers mapped from a
     * disk file cost a page fault and a write-back each: at 500 publications the leader's driver
     * spent a fifth of its time creating them). Named as {@link io.corral.codec.MediaDrivers}
     * names its own, after this process, so a later start sweeps them if this one is killed;
     * {@link #close} removes them.
     */
    private final String aeronPrefix = "corral-aeron-" + ProcessHandle.current().pid() + "-" +
        java.util.UUID.randomUUID().toString().substring(0, 8) + "-";

    public ProcessCluster(final File jar, final File work, final int basePort, final int masterCount,
        final String electionTimeout)
    {
        this.electionTimeout = electionTimeout;
        this.jar = jar;
        this.work = work;
        this.basePort = basePort;
        this.masterCount = masterCount;
        peers = io.corral.codec.Protocol.localPeers(basePort, masterCount);
        masters = io.corral.codec.Protocol.localMasters(basePort, masterCount);
    }

    /**
     * Authentication on from the next start: a credentials file in the work dir with principals
     * {@code agents} (the agent processes use it) and {@code operator}, given to every master.
     */
    public ProcessCluster secured() throws IOException
    {
        credentials = new File(work, "credentials").toPath();
        io.corral.codec.Credentials.ensure(credentials, "agents", "operator");
        return this;
    }

    /** Raft without TLS from the next start (with credentials: {@code --insecure-raft}), to measure what TLS costs. */
    public ProcessCluster insecureRaft()
    {
        insecureRaft = true;
        return this;
    }

    private boolean insecureRaft;

    /** One principal's credential (a {@link #secured} cluster), or null when the masters run insecure. */
    public io.corral.codec.Credentials.Credential credential(final String principal) throws IOException
    {
        return credentials == null ? null : io.corral.codec.Credentials.credential(credentials, principal);
    }

    public String masters()
    {
        return masters;
    }

    int masterCount()
    {
        return masterCount;
    }

    private Process spawn(final String name, final List<String> args) throws IOException
    {
        return spawn(name, args, 192, List.of("-XX:TieredStopAtLevel=1"));
    }

    private Process spawn(final String name, final List<String> args, final int heapMb, final List<String> flags)
        throws IOException
    {
        final File logs = new File(work, "logs");
        logs.mkdirs();
        final List<String> cmd = new ArrayList<>(List.of(
            System.getProperty("java.home") + "/bin/java", "-Xmx" + heapMb + "m", "-Xss512k", "-XX:+UseSerialGC"));
        cmd.addAll(flags);
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(List.of(
            "-Dcorral.aeron.dir=" + new File(io.corral.codec.MediaDrivers.shmOrTmp(),
                aeronPrefix + name + "-" + (++generation)).getAbsolutePath(),
            "-jar", jar.getAbsolutePath()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(logs, name + ".log"))).start();
    }

    public void startMaster(final int id) throws IOException
    {
        final List<String> args = new ArrayList<>(List.of("master", "--id", Integer.toString(id), "--peers", peers,
            "--data", new File(work, "master-" + id).getAbsolutePath(), "--election-timeout-ms", electionTimeout));
        args.addAll(credentials == null ? List.of("--insecure") : List.of("--credentials", credentials.toString(),
            "--operators", "operator"));
        if (credentials != null && insecureRaft)
        {
            args.add("--insecure-raft");
        }
        else if (credentials != null)
        {
            // Raft on mutual TLS, as `corral certs` sets it up: the run's own CA signs each master's certificate.
            final java.nio.file.Path tls = new File(work, "raft-tls").toPath();
            final io.corral.codec.CertificateAuthority ca =
                io.corral.codec.CertificateAuthority.openOrCreate(tls, "corral-chaos-raft-ca");
            final java.nio.file.Path cert = tls.resolve("master-" + id + ".pem");
            // (a restarted master keeps the certificate it was first given)
            final java.nio.file.Path[] files = java.nio.file.Files.exists(cert) ? new java.nio.file.Path[] { cert,
                tls.resolve("master-" + id + "-key.pem"), ca.certificateFile() } : ca.issueMaster(id, "127.0.0.1");
            args.addAll(List.of("--raft-tls-cert", files[0].toString(), "--raft-tls-key", files[1].toString(),
                "--raft-tls-ca", files[2].toString()));
        }
        args.addAll(masterArgs);
        masterProcs.put(id, spawn("master-" + id, args, masterHeapMb, masterFlags(id)));
    }

    void startAgent(final int id) throws IOException
    {
        final List<String> args = new ArrayList<>(List.of("agent", "--masters", masters, "--cpus", "2", "--mem", "2048",
            "--work-dir", new File(work, "agent-" + id).getAbsolutePath()));
        if (credentials != null)
        {
            args.addAll(List.of("--credential", credentials.toString(), "--principal", "agents"));
        }
        agentProcs.put(id, spawn("agent-" + id, args));
    }

    /** SIGKILL: the process gets no chance to clean up. */
    public void killMaster(final int id)
    {
        final Process p = masterProcs.remove(id);
        if (p != null)
        {
            p.destroyForcibly();
            waitFor(p);
        }
    }

    void killAgent(final int id)
    {
        final Process p = agentProcs.remove(id);
        if (p != null)
        {
            p.destroyForcibly();
            waitFor(p);
        }
    }

    void signalMaster(final int id, final String signal) throws IOException, InterruptedException
    {
        final Process p = masterProcs.get(id);
        if (p != null)
        {
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor();
        }
    }

    private static void waitFor(final Process p)
    {
        try
        {
            p.waitFor();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    public List<Integer> runningMasters()
    {
        return new ArrayList<>(masterProcs.keySet());
    }

    List<Integer> runningAgents()
    {
        return new ArrayList<>(agentProcs.keySet());
    }

    /** {@code /api/v1/state} of a master, or null if it does not answer. */
    public JsonNode state(final int id)
    {
        final HttpResponse<String> r = get(id, "/api/v1/state", Duration.ofSeconds(5), true);
        if (r != null && r.statusCode() == 401)
        {
            throw new IllegalStateException("master " + id + " refused the operator's token: " + r.body());
        }
        return json(r, 200);
    }

    /** {@code /health} of a master (its body also when it answers 503), or null if it does not answer. */
    JsonNode health(final int id)
    {
        final HttpResponse<String> r = get(id, "/health", Duration.ofMillis(500), false);
        return r != null && (r.statusCode() == 200 || r.statusCode() == 503) ? json(r, r.statusCode()) : null;
    }

    /**
     * GET {@code path} of master {@code id}'s HTTP port, with the operator's token if
     * {@code authenticated} and the masters are secured; null if it does not answer in time.
     */
    private HttpResponse<String> get(final int id, final String path, final Duration timeout,
        final boolean authenticated)
    {
        try
        {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
                (basePort + id - 1 + 2000) + path)).timeout(timeout);
            if (authenticated && credentials != null)
            {
                // Secured masters authenticate reads too (--authenticate-http-readonly is on by default).
                request.header("Authorization", io.corral.codec.HttpAuth.bearer(credential("operator")));
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
        catch (final IOException ex)
        {
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The body of {@code r} as JSON if it came with status {@code code}; else null. */
    private static JsonNode json(final HttpResponse<String> r, final int code)
    {
        try
        {
            return r != null && r.statusCode() == code ? JSON.readTree(r.body()) : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * The running master that says it leads in the highest term, with that term; or null. Asks
     * each master's {@code /health} (small and open; {@code /api/v1/state} of a master holding
     * thousands of agents takes long enough to blur a failover's timing).
     */
    public long[] leader()
    {
        long[] best = null;
        for (final int id : runningMasters())
        {
            final JsonNode h = health(id);
            if (h != null && "leader".equals(h.path("role").asText()))
            {
                final long term = h.path("term").asLong();
                if (best == null || term > best[1])
                {
                    best = new long[] { id, term };
                }
            }
        }
        return best;
    }

    /**
     * True when every running master answers {@code /health} healthy and names the same leader in
     * the same term: a full quorum, caught up enough to follow it.
     */
    public boolean quorumSettled()
    {
        long term = -1;
        int leader = -1;
        for (final int id : runningMasters())
        {
            final JsonNode h = health(id);
            if (h == null || !"ok".equals(h.path("status").asText()) || h.path("leader").isNull())
            {
                return false;
            }
            if (leader >= 0 && (h.path("leader").asInt() != leader || h.path("term").asLong() != term))
            {
                return false;
            }
            leader = h.path("leader").asInt();
            term = h.path("term").asLong();
        }
        return leader > 0;
    }

    /** The heap of each master JVM from now on (default 192 MiB). */
    private List<String> masterFlags(final int id)
    {
        final List<String> flags = new ArrayList<>(masterJit);
        masterExtra.forEach(f -> flags.add(f.replace("{id}", Integer.toString(id))));
        return flags;
    }

    /**
     * Masters as `corral master` runs them (bin/corral): the full JIT (C2) and G1 with a 50 ms
     * pause goal, plus these extra JVM options ("{id}" becomes the master's id, e.g. a JFR file per
     * master). The serial collector the tests use paused a loaded master for up to 1.1 s on this
     * 2-core machine, longer than the election timeout, and the quorum changed leader every few
     * seconds; G1's longest pause in the same run was 117 ms.
     */
    public ProcessCluster productionMasters(final List<String> extraOptions)
    {
        masterJit = List.of("-XX:-UseSerialGC", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=50");
        masterExtra = List.copyOf(extraOptions);
        return this;
    }

    /** Extra `corral master` options for every master (e.g. --max-launches-in-flight 1000). */
    public ProcessCluster masterArgs(final List<String> args)
    {
        masterArgs = List.copyOf(args);
        return this;
    }

    public ProcessCluster masterHeapMb(final int mb)
    {
        masterHeapMb = mb;
        return this;
    }

    /** The OS process id of a running master, or -1. */
    public long masterPid(final int id)
    {
        final Process p = masterProcs.get(id);
        return p == null ? -1 : p.pid();
    }

    /** The HTTP port of master {@code id}. */
    public int httpPort(final int id)
    {
        return basePort + id - 1 + 2000;
    }

    @Override
    public void close()
    {
        for (final Process p : agentProcs.values())
        {
            p.destroyForcibly();
            waitFor(p);
        }
        // Masters get a SIGTERM first (they stop cleanly, and a flight recording started with
        // --master-jvm-opt is written), then a SIGKILL if one has not exited within 10 s.
        masterProcs.values().forEach(Process::destroy);
        for (final Process p : masterProcs.values())
        {
            try
            {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS))
                {
                    p.destroyForcibly();
                }
            }
            catch (final InterruptedException ex)
            {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            waitFor(p);
        }
        agentProcs.clear();
        masterProcs.clear();
        final File[] dirs = io.corral.codec.MediaDrivers.shmOrTmp().listFiles((d, n) -> n.startsWith(aeronPrefix));
        for (final File dir : dirs == null ? new File[0] : dirs)
        {
            org.agrona.IoUtil.delete(dir, true);
        }
    }
}
