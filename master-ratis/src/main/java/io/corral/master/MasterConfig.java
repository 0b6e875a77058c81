package io.corral.master;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;

import io.corral.codec.Protocol;

/**
 * Settings of one master node, with named defaults; {@link #conclude()} checks them all and names
 * the bad one. A master's address (host:port) is where agents and frameworks reach it over Aeron;
 * its Raft (gRPC) port is that port + {@value Protocol#RAFT_PORT_OFFSET}.
 */
public final class MasterConfig
{
    public static final long DEFAULT_ELECTION_MIN_MS = 150;
    public static final long DEFAULT_ELECTION_MAX_MS = 300;
    public static final long DEFAULT_ALLOCATION_INTERVAL_MS = 1000;
    /** An agent not heard from for this long is removed and its tasks become LOST. */
    public static final long DEFAULT_AGENT_TIMEOUT_MS = 5000;
    /**
     * The leader paces agents' heartbeats so that all of them together send at most this many a
     * second (as Nomad scales its heartbeat TTL with the cluster): 500 ms (the agents' default)
     * up to 5,000 agents, 5 s at 50,000. An agent is then removed after five missed intervals
     * or the agent timeout, whichever is longer.
     */
    public static final long MAX_AGENT_HEARTBEATS_PER_SECOND = 10_000;
    /** A framework not heard from for this long is disconnected; its failover timeout starts then. */
    public static final long DEFAULT_FRAMEWORK_TIMEOUT_MS = 3000;
    /** After a new leader takes office, agents and frameworks get this long to come back. */
    public static final long DEFAULT_REREGISTRATION_GRACE_MS = 10_000;
    /** A snapshot is taken after this many log entries; the log before it is purged. */
    public static final long DEFAULT_SNAPSHOT_EVERY_ENTRIES = 10_000;
    public static final long DEFAULT_LOG_SEGMENT_BYTES = 8L << 20;
    /**
     * An offer not answered within this long is rescinded and its resources go back (Mesos's
     * {@code --offer_timeout}), so a framework that sits on offers, or never got them, cannot
     * starve the others. 0: offers never time out.
     */
    public static final long DEFAULT_OFFER_TIMEOUT_MS = 30_000;
    /**
     * At most this many launches in flight on the leader: proposed to the log and not committed,
     * or committed and not yet confirmed by their agents (STARTING). More accepted launches wait
     * on the leader, in order, and no new offers go out while any wait; without the bound a
     * burst of small tasks grew the log, the state and the garbage collector's pauses faster
     * than three masters on two cores could commit them, until the quorum lost its leader.
     */
    public static final int DEFAULT_MAX_LAUNCHES_IN_FLIGHT = 5_000;

    private int id;
    private final Map<Integer, String> peers = new LinkedHashMap<>();
    private File dataDir;
    private long electionMinMs = DEFAULT_ELECTION_MIN_MS;
    private long electionMaxMs = DEFAULT_ELECTION_MAX_MS;
    private long allocationIntervalMs = DEFAULT_ALLOCATION_INTERVAL_MS;
    private long agentTimeoutMs = DEFAULT_AGENT_TIMEOUT_MS;
    private long frameworkTimeoutMs = DEFAULT_FRAMEWORK_TIMEOUT_MS;
    private long reregistrationGraceMs = DEFAULT_REREGISTRATION_GRACE_MS;
    private long snapshotEveryEntries = DEFAULT_SNAPSHOT_EVERY_ENTRIES;
    private long logSegmentBytes = DEFAULT_LOG_SEGMENT_BYTES;
    private long offerTimeoutMs = DEFAULT_OFFER_TIMEOUT_MS;
    private io.corral.codec.Credentials credentials;
    private boolean insecure;
    private boolean authenticateHttpReadonly = true;
    private boolean authenticateHttpFrameworks = true;
    private String httpFrameworkPrincipal;
    private java.nio.file.Path tlsCert;
    private java.nio.file.Path tlsKey;
    private java.nio.file.Path tlsCa;
    private javax.net.ssl.SSLContext httpTls;
    private java.nio.file.Path raftCert;
    private java.nio.file.Path raftKey;
    private java.nio.file.Path raftCa;
    private boolean insecureRaft;
    private boolean proposeViaClient;
    private java.util.Set<String> operators = java.util.Set.of();
    private int maxLaunchesInFlight = DEFAULT_MAX_LAUNCHES_IN_FLIGHT;
    private io.corral.allocator.ResourceKinds resourceKinds = io.corral.allocator.ResourceKinds.standard();

    public MasterConfig id(final int id)
    {
        this.id = id;
        return this;
    }

    /** Parses {@code 1=127.0.0.1:7001,2=127.0.0.1:7002,...}. */
    public MasterConfig peers(final String spec)
    {
        peers.clear();
        for (final String part : spec.split(","))
        {
            final String item = part.trim();
            final int eq = item.indexOf('=');
            if (eq <= 0)
            {
                throw new IllegalArgumentException("--peers entry '" + item + "' is not id=host:port");
            }
            final int peerId;
            try
            {
                peerId = Integer.parseInt(item.substring(0, eq).trim());
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("--peers entry '" + item + "' has a non-numeric id");
            }
            final String address = item.substring(eq + 1).trim();
            Protocol.port(address);
            if (peers.put(peerId, address) != null)
            {
                throw new IllegalArgumentException("--peers names master " + peerId + " twice");
            }
        }
        return this;
    }

    public MasterConfig dataDir(final File dataDir)
    {
        this.dataDir = dataDir;
        return this;
    }

    public MasterConfig electionTimeoutMs(final long min, final long max)
    {
        this.electionMinMs = min;
        this.electionMaxMs = max;
        return this;
    }

    public MasterConfig allocationIntervalMs(final long intervalMs)
    {
        this.allocationIntervalMs = intervalMs;
        return this;
    }

    public MasterConfig agentTimeoutMs(final long ms)
    {
        this.agentTimeoutMs = ms;
        return this;
    }

    public MasterConfig frameworkTimeoutMs(final long ms)
    {
        this.frameworkTimeoutMs = ms;
        return this;
    }

    public MasterConfig reregistrationGraceMs(final long ms)
    {
        this.reregistrationGraceMs = ms;
        return this;
    }

    /** Outstanding offers are rescinded after this long (0: never). */
    public MasterConfig offerTimeoutMs(final long ms)
    {
        this.offerTimeoutMs = ms;
        return this;
    }

    /** At most this many launches proposed or unconfirmed at once; the rest wait (see the default). */
    public MasterConfig maxLaunchesInFlight(final int launches)
    {
        this.maxLaunchesInFlight = launches;
        return this;
    }

    public int maxLaunchesInFlight()
    {
        return maxLaunchesInFlight;
    }

    /** Snapshot after {@code entries} log entries, in log segments of at most {@code segmentBytes}. */
    public MasterConfig snapshotEvery(final long entries, final long segmentBytes)
    {
        this.snapshotEveryEntries = entries;
        this.logSegmentBytes = segmentBytes;
        return this;
    }

    /**
     * Custom scalar resource kinds agents may offer besides cpus, mem, disk and gpus (e.g.
     * {@code "ssd,fpga"}). Every master of a cluster must be given the same list.
     */
    public MasterConfig resourceKinds(final String commaSeparated)
    {
        final java.util.List<String> names = new java.util.ArrayList<>();
        for (final String part : commaSeparated == null ? new String[0] : commaSeparated.split(","))
        {
            final String name = part.trim();
            if (name.isEmpty())
            {
                continue;
            }
            final String problem = io.corral.codec.CustomResources.nameProblem(name);
            if (problem != null)
            {
                throw new IllegalArgumentException("--resource-kinds: " + problem);
            }
            names.add(name);
        }
        try
        {
            this.resourceKinds = io.corral.allocator.ResourceKinds.withCustom(names.toArray(String[]::new));
        }
        catch (final io.corral.allocator.AllocatorException ex)
        {
            throw new IllegalArgumentException("--resource-kinds: " + ex.getMessage());
        }
        return this;
    }

    public io.corral.allocator.ResourceKinds resourceKinds()
    {
        return resourceKinds;
    }

    /**
     * The cluster's credentials: agents and frameworks must authenticate as one of its principals
     * and every message is sealed (see {@link Sessions}).
     */
    public MasterConfig credentials(final io.corral.codec.Credentials credentials)
    {
        this.credentials = credentials;
        this.insecure = false;
        return this;
    }

    /** Runs without credentials: anyone who can reach the master may register agents and frameworks. */
    public MasterConfig insecure()
    {
        this.credentials = null;
        this.insecure = true;
        return this;
    }

    public io.corral.codec.Credentials credentials()
    {
        return credentials;
    }

    public boolean isInsecure()
    {
        return insecure;
    }

    /**
     * Whether reads over HTTP ({@code /api/v1/state}, {@code /metrics}, the UI) need authentication
     * too, as Mesos's {@code --authenticate_http_readonly}; on by default with credentials (changes
     * always need it then). {@code /health} is always open. {@code corral dev} turns it off.
     */
    public MasterConfig authenticateHttpReadonly(final boolean on)
    {
        this.authenticateHttpReadonly = on;
        return this;
    }

    public boolean authenticateHttpReadonly()
    {
        return authenticateHttpReadonly && credentials != null;
    }

    /**
     * Whether Mesos v1 HTTP frameworks ({@code POST /api/v1/scheduler}) must authenticate with HTTP
     * Basic principal:secret, as Mesos's {@code --authenticate_http_frameworks}; on by default with
     * credentials. Off, an unauthenticated framework acts as {@code principal} (one of the
     * credentials: its ACL still applies). {@code corral dev} turns it off on loopback.
     */
    public MasterConfig authenticateHttpFrameworks(final boolean on, final String principal)
    {
        this.authenticateHttpFrameworks = on;
        this.httpFrameworkPrincipal = principal;
        return this;
    }

    public boolean authenticateHttpFrameworks()
    {
        return authenticateHttpFrameworks && credentials != null;
    }

    /** Who an unauthenticated HTTP framework acts as (authentication off, credentials on), or null. */
    public String httpFrameworkPrincipal()
    {
        return httpFrameworkPrincipal;
    }

    /**
     * TLS for this master's HTTP (HTTPS) and for Raft's gRPC between masters (mutual: a master
     * without a certificate the CA signed cannot join): PEM files, the key unencrypted PKCS#8.
     * {@code ca} (null: the certificate itself, for one self-signed certificate all masters share)
     * signed every master's certificate. All masters of a cluster use TLS or none does.
     */
    public MasterConfig tls(final java.nio.file.Path cert, final java.nio.file.Path key, final java.nio.file.Path ca)
    {
        this.tlsCert = cert;
        this.tlsKey = key;
        this.tlsCa = ca;
        return this;
    }

    /** The HTTPS context ({@link #conclude} loads it), or null for plain HTTP. */
    public javax.net.ssl.SSLContext httpTls()
    {
        return httpTls;
    }

    /**
     * Mutual TLS for Raft's gRPC only (server, client and admin), apart from HTTP: this master's
     * certificate chain, its key, and the CA that signed every master's certificate (what
     * {@code corral certs} and {@code corral dev} make). Without it, Raft uses {@link #tls}'s files.
     */
    public MasterConfig raftTls(final java.nio.file.Path cert, final java.nio.file.Path key,
        final java.nio.file.Path ca)
    {
        this.raftCert = cert;
        this.raftKey = key;
        this.raftCa = ca;
        return this;
    }

    /**
     * Lets a master with credentials run Raft without TLS ({@code --insecure-raft}): anyone who
     * reaches its Raft port can then propose records. Only where nothing but the masters can reach
     * that port.
     */
    public MasterConfig insecureRaft(final boolean on)
    {
        this.insecureRaft = on;
        return this;
    }

    /**
     * Proposals go to this master's own Raft server in process (the default), or, with
     * {@code true}, through a Raft client over gRPC on loopback as before ({@code --propose-via
     * client}), to compare the two.
     */
    public MasterConfig proposeViaClient(final boolean on)
    {
        this.proposeViaClient = on;
        return this;
    }

    public boolean proposeViaClient()
    {
        return proposeViaClient;
    }

    /**
     * The operators' principals (comma-separated; Mesos has no such flag, its ACLs name them): they
     * may do everything whatever the replicated rules say: set ACLs and quotas, kill any task, read
     * any sandbox and the state. Every master of a cluster should be given the same list.
     */
    public MasterConfig operators(final String commaSeparated)
    {
        final java.util.Set<String> names = new java.util.TreeSet<>();
        for (final String part : commaSeparated == null ? new String[0] : commaSeparated.split(","))
        {
            if (!part.isBlank())
            {
                names.add(part.trim());
            }
        }
        this.operators = java.util.Set.copyOf(names);
        return this;
    }

    public java.util.Set<String> operators()
    {
        return operators;
    }

    /** True when Raft runs without TLS although the master has credentials (said in its log and state). */
    public boolean isInsecureRaft()
    {
        return raftTls() == null;
    }

    /** PEM files for Raft's TLS: certificate chain, key, CA; null without TLS. */
    java.nio.file.Path[] raftTls()
    {
        if (raftCert != null)
        {
            return new java.nio.file.Path[] { raftCert, raftKey, raftCa };
        }
        return tlsCert == null ? null : new java.nio.file.Path[] { tlsCert, tlsKey, tlsCa != null ? tlsCa : tlsCert };
    }

    public MasterConfig conclude()
    {
        if ((tlsCert == null) != (tlsKey == null))
        {
            throw new IllegalArgumentException("give --tls-cert and --tls-key together (PEM: the certificate chain, " +
                "and its unencrypted PKCS#8 private key)");
        }
        if (tlsCert != null)
        {
            httpTls = io.corral.codec.Tls.server(tlsCert, tlsKey);
            io.corral.codec.Tls.certificates(tlsCa != null ? tlsCa : tlsCert);
        }
        else if (tlsCa != null)
        {
            throw new IllegalArgumentException("--tls-ca without --tls-cert and --tls-key: give all three, or none");
        }
        if ((raftCert == null) != (raftKey == null) || (raftCert == null) != (raftCa == null))
        {
            throw new IllegalArgumentException("give --raft-tls-cert, --raft-tls-key and --raft-tls-ca together " +
                "(make them with `corral certs`)");
        }
        if (raftCert != null)
        {
            io.corral.codec.Tls.server(raftCert, raftKey);
            io.corral.codec.Tls.certificates(raftCa);
        }
        for (final String operator : operators)
        {
            if (credentials == null)
            {
                throw new IllegalArgumentException("--operators needs --credentials: on an --insecure master " +
                    "nobody is authenticated, so everyone may do everything");
            }
            if (!credentials.knows(operator))
            {
                throw new IllegalArgumentException("--operators names '" + operator + "', which is not in the " +
                    "credentials file (" + credentials.principals() + "); add it with `corral credentials add " +
                    operator + " --file FILE`");
            }
        }
        if (credentials != null && !authenticateHttpFrameworks &&
            (httpFrameworkPrincipal == null || !credentials.knows(httpFrameworkPrincipal)))
        {
            throw new IllegalArgumentException("--no-authenticate-http-frameworks needs --http-framework-principal " +
                "NAME, one of the credentials' principals (" + credentials.principals() + "): unauthenticated Mesos " +
                "frameworks act as it");
        }
        if (credentials == null && !insecure)
        {
            throw new IllegalArgumentException("no credentials: give --credentials FILE (make one with `corral " +
                "credentials add NAME --file FILE`), or --insecure to let anyone who can reach this master register " +
                "agents and frameworks");
        }
        if (snapshotEveryEntries < 1 || logSegmentBytes < 4096)
        {
            throw new IllegalArgumentException("snapshot interval must be at least 1 entry and log segments at least " +
                "4096 bytes, got " + snapshotEveryEntries + " / " + logSegmentBytes);
        }
        if (agentTimeoutMs <= 0 || frameworkTimeoutMs <= 0 || reregistrationGraceMs < 0)
        {
            throw new IllegalArgumentException("agent timeout and framework timeout must be positive and the " +
                "re-registration grace not negative, got " + agentTimeoutMs + "/" + frameworkTimeoutMs + "/" +
                reregistrationGraceMs + " ms");
        }
        if (offerTimeoutMs < 0)
        {
            throw new IllegalArgumentException("--offer-timeout must not be negative (0: offers never time out), got " +
                offerTimeoutMs / 1000.0 + " s");
        }
        if (maxLaunchesInFlight < 1)
        {
            throw new IllegalArgumentException("--max-launches-in-flight must be at least 1, got " + maxLaunchesInFlight);
        }
        if (peers.isEmpty())
        {
            throw new IllegalArgumentException("--peers is required, e.g. 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003");
        }
        if (!peers.containsKey(id))
        {
            throw new IllegalArgumentException("--id " + id + " is not one of the --peers ids " + peers.keySet());
        }
        if (dataDir == null)
        {
            throw new IllegalArgumentException("--data is required: the directory for this master's Raft log");
        }
        if (!dataDir.isDirectory() && !dataDir.mkdirs())
        {
            throw new IllegalArgumentException("--data " + dataDir + " cannot be created");
        }
        if (!dataDir.canWrite())
        {
            throw new IllegalArgumentException("--data " + dataDir + " is not writable");
        }
        if (electionMinMs <= 0 || electionMaxMs <= electionMinMs)
        {
            throw new IllegalArgumentException("election timeout must be 0 < min < max, got " + electionMinMs + ".." +
                electionMaxMs + " ms");
        }
        if (allocationIntervalMs <= 0)
        {
            throw new IllegalArgumentException("allocation interval must be positive, got " + allocationIntervalMs);
        }
        if (credentials != null && raftTls() == null && !insecureRaft)
        {
            throw new IllegalArgumentException("Raft between masters has no TLS: anyone who reaches port " +
                (Protocol.port(address()) + Protocol.RAFT_PORT_OFFSET) + " could write " +
                "records to the log. Give --raft-tls-cert, --raft-tls-key and --raft-tls-ca (make them with `corral " +
                "certs --peers ... --dir DIR`), or --tls-cert and --tls-key, or --insecure-raft where only the " +
                "masters can reach that port");
        }
        return this;
    }

    public int id()
    {
        return id;
    }

    public Map<Integer, String> peers()
    {
        return peers;
    }

    public String address()
    {
        return peers.get(id);
    }

    public File dataDir()
    {
        return dataDir;
    }

    public long electionMinMs()
    {
        return electionMinMs;
    }

    public long electionMaxMs()
    {
        return electionMaxMs;
    }

    public long allocationIntervalMs()
    {
        return allocationIntervalMs;
    }

    public long agentTimeoutMs()
    {
        return agentTimeoutMs;
    }

    public long frameworkTimeoutMs()
    {
        return frameworkTimeoutMs;
    }

    public long snapshotEveryEntries()
    {
        return snapshotEveryEntries;
    }

    public long logSegmentBytes()
    {
        return logSegmentBytes;
    }

    public long reregistrationGraceMs()
    {
        return reregistrationGraceMs;
    }

    public long offerTimeoutMs()
    {
        return offerTimeoutMs;
    }
}
