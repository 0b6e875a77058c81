package io.corral.cli;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.corral.agent.AgentConfig;
import io.corral.agent.AgentNode;
import io.corral.master.MasterConfig;
import io.corral.master.MasterNode;
import io.corral.master.MasterState;

/**
 * A whole cluster in one process: N masters (a Ratis quorum on loopback) and M agents, sharing
 * one Aeron media driver. What {@code corral dev} runs, and what integration tests start.
 */
public final class LocalCluster implements AutoCloseable
{
    private final List<MasterNode> masters = new ArrayList<>();
    private final List<AgentNode> agents = new ArrayList<>();
    private final String mastersSpec;
    private final String peersSpec;
    private final File dataDir;
    private final java.util.function.Consumer<MasterConfig> tune;
    /** The cluster's credentials file (null: its masters run with --insecure). */
    private final java.nio.file.Path credentialsFile;

    /** The credentials file of a {@link #secured} cluster, else null. */
    public java.nio.file.Path credentialsFile()
    {
        return credentialsFile;
    }

    /** One principal's credential from this cluster's credentials file. */
    public io.corral.codec.Credentials.Credential credential(final String principal)
    {
        try
        {
            return io.corral.codec.Credentials.credential(credentialsFile, principal);
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    /**
     * @param basePort the first master listens on basePort, the next on basePort + 1, ...; Raft
     *                 uses those + 1000.
     */
    public LocalCluster(final File dataDir, final int masterCount, final int agentCount, final int basePort,
        final double agentCpus, final long agentMemMiB) throws IOException
    {
        this(dataDir, masterCount, agentCount, basePort, agentCpus, agentMemMiB, c -> { });
    }

    /** As above, with {@code tune} applied to every master's config (timeouts in tests). */
    public LocalCluster(final File dataDir, final int masterCount, final int agentCount, final int basePort,
        final double agentCpus, final long agentMemMiB, final java.util.function.Consumer<MasterConfig> tune)
        throws IOException
    {
        this(dataDir, masterCount, agentCount, basePort, agentCpus, agentMemMiB, tune, "");
    }

    /**
     * As above, every agent also given {@code agentResources} ({@code --resources} syntax, e.g.
     * {@code "gpus:1;ssd:100"}); the masters are started knowing its custom kinds.
     */
    public LocalCluster(final File dataDir, final int masterCount, final int agentCount, final int basePort,
        final double agentCpus, final long agentMemMiB, final java.util.function.Consumer<MasterConfig> tune,
        final String agentResources) throws IOException
    {
        this(dataDir, masterCount, agentCount, basePort, agentCpus, agentMemMiB, tune, agentResources, false);
    }

    /** Where a secured cluster keeps its Raft CA and the masters' certificates, in its data directory. */
    public static final String RAFT_TLS_DIR = "raft-tls";

    /** Principals of a secured cluster's credentials file ({@link #secured}). */
    public static final String AGENT_PRINCIPAL = "agents";
    public static final String OPERATOR_PRINCIPAL = "operator";

    /**
     * As the constructor, with authentication on: a credentials file in {@code dataDir} (made if
     * missing) with principals {@value #AGENT_PRINCIPAL} (the agents use it) and
     * {@value #OPERATOR_PRINCIPAL}, given to every master; {@link #credential} reads one.
     */
    public static LocalCluster secured(final File dataDir, final int masterCount, final int agentCount,
        final int basePort, final double agentCpus, final long agentMemMiB,
        final java.util.function.Consumer<MasterConfig> tune, final String agentResources) throws IOException
    {
        return new LocalCluster(dataDir, masterCount, agentCount, basePort, agentCpus, agentMemMiB, tune,
            agentResources, true);
    }

    private LocalCluster(final File dataDir, final int masterCount, final int agentCount, final int basePort,
        final double agentCpus, final long agentMemMiB, final java.util.function.Consumer<MasterConfig> tune,
        final String agentResources, final boolean secure) throws IOException
    {
        this.dataDir = dataDir;
        final String kinds = String.join(",", new AgentConfig().resources(agentResources).customResources().keySet());
        final io.corral.codec.Credentials credentials;
        if (secure)
        {
            credentialsFile = new File(dataDir, "credentials").toPath();
            credentials = io.corral.codec.Credentials.ensure(credentialsFile, AGENT_PRINCIPAL, OPERATOR_PRINCIPAL);
        }
        else
        {
            credentialsFile = null;
            credentials = null;
        }
        final java.util.function.Consumer<MasterConfig> auth = credentials == null ? MasterConfig::insecure :
            // As corral dev: reads and the Mesos v1 scheduler endpoint open on loopback (changes need a token).
            c -> c.credentials(credentials).authenticateHttpReadonly(false)
                .authenticateHttpFrameworks(false, OPERATOR_PRINCIPAL).operators(OPERATOR_PRINCIPAL);
        this.tune = auth.andThen(tune).andThen(c -> c.resourceKinds(kinds));
        peersSpec = io.corral.codec.Protocol.localPeers(basePort, masterCount);
        mastersSpec = io.corral.codec.Protocol.localMasters(basePort, masterCount);
        try
        {
            for (int i = 1; i <= masterCount; i++)
            {
                masters.add(startMaster(i));
            }
            for (int i = 1; i <= agentCount; i++)
            {
                agents.add(new AgentNode(new AgentConfig().masters(mastersSpec).cpus(agentCpus).memMiB(agentMemMiB)
                    .diskMiB(1024).hostname("agent-" + i).attributes("host:agent-" + i + ";zone:local")
                    .resources(agentResources).workDir(new File(dataDir, "agent-" + i))
                    .credential(secure ? credential(AGENT_PRINCIPAL) : null)));
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /**
     * A base port for {@code masters} masters whose ports, Raft ports (+1000) and HTTP ports (+2000)
     * are all free right now, chosen at random in [20000, 30000): tests and tools on a
     * shared machine pick this instead of a fixed number.
     */
    public static int freeBasePort(final int masters)
    {
        // Every port of the block (the masters' own, Raft at +1000, HTTP at +2000) lies below the
        // kernel's ephemeral range, so no outgoing connection can be handed one of them between
        // this check and the bind; the block is chosen at random so concurrent test JVMs rarely
        // try the same one, and each port is checked free (TCP and UDP) before it is used.
        final int ephemeralFrom = ephemeralRangeStart();
        final int highestBase = ephemeralFrom - io.corral.codec.Protocol.HTTP_PORT_OFFSET - masters;
        if (highestBase < 2_048)
        {
            throw new IllegalStateException("the kernel's ephemeral port range starts at " + ephemeralFrom +
                ": no room below it for a block of master ports; raise it (sysctl net.ipv4.ip_local_port_range)");
        }
        final int lowestBase = Math.min(10_000, highestBase / 2);
        final java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 200; attempt++)
        {
            final int base = lowestBase + random.nextInt(Math.max(1, highestBase - lowestBase));
            boolean free = true;
            for (int i = 0; i < masters && free; i++)
            {
                for (final int offset : new int[] { 0, io.corral.codec.Protocol.RAFT_PORT_OFFSET,
                    io.corral.codec.Protocol.HTTP_PORT_OFFSET })
                {
                    free &= portFree(base + i + offset);
                }
            }
            if (free)
            {
                return base;
            }
        }
        throw new IllegalStateException("no free block of ports found for " + masters + " masters below " +
            ephemeralFrom);
    }

    /** The first port of the kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range). */
    static int ephemeralRangeStart()
    {
        // (a stream, not Files.readString: /proc files report size 0, and readString then reads 1 byte)
        try (java.io.BufferedReader in = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of(
            "/proc/sys/net/ipv4/ip_local_port_range")))
        {
            final String range = in.readLine();
            return Integer.parseInt(range.trim().split("\\s+")[0]);
        }
        catch (final IOException | RuntimeException ex)
        {
            return 32_768; // Linux's default
        }
    }

    static boolean portFree(final int port)
    {
        try (java.net.ServerSocket tcp = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress());
            java.net.DatagramSocket udp = new java.net.DatagramSocket(port, java.net.InetAddress.getLoopbackAddress()))
        {
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** Waits until one master leads and every agent is registered with it. */
    public MasterNode awaitReady(final long timeout, final TimeUnit unit) throws TimeoutException, InterruptedException
    {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (System.nanoTime() < deadline)
        {
            final MasterNode leader = leader();
            if (leader != null && agents.stream().allMatch(AgentNode::isRegistered) &&
                leader.state().agents().size() >= agents.size() && everyLogHasAnEntry())
            {
                return leader;
            }
            Thread.sleep(50);
        }
        throw new TimeoutException("cluster not ready after " + unit.toMillis(timeout) + " ms: leader=" + leader() +
            ", agents registered=" + agents.stream().filter(AgentNode::isRegistered).count() + "/" + agents.size());
    }

    /**
     * True once every master's Raft log holds an entry: until then a leader that stops leaves two
     * masters that cannot elect one (Ratis does not count the vote of a master with an empty log).
     */
    public boolean everyLogHasAnEntry()
    {
        for (final MasterNode m : masters)
        {
            try
            {
                if (m.logNextIndex() <= 0)
                {
                    return false;
                }
            }
            catch (final IOException ex)
            {
                return false;
            }
        }
        return true;
    }

    private MasterNode startMaster(final int id) throws IOException
    {
        return startMaster(id, peersSpec);
    }

    private MasterNode startMaster(final int id, final String peers) throws IOException
    {
        final MasterConfig config = new MasterConfig().id(id).peers(peers)
            .dataDir(new File(dataDir, "master-" + id));
        tune.accept(config);
        if (credentialsFile != null && config.isInsecureRaft())
        {
            // As an operator would with `corral certs`: the cluster's own CA signs each master's certificate.
            final java.nio.file.Path[] files = io.corral.codec.CertificateAuthority.openOrCreate(
                new File(dataDir, RAFT_TLS_DIR).toPath(), "corral-dev-raft-ca")
                .issueMaster(id, io.corral.codec.Protocol.host(config.peers().get(id)));
            config.raftTls(files[0], files[1], files[2]);
        }
        return new MasterNode(config);
    }

    /** Stops one master abruptly (as far as a JVM-internal node can be: its threads are stopped). */
    public void stopMaster(final MasterNode master)
    {
        master.close();
        masters.remove(master);
    }

    /** Starts master {@code id} again from its data directory. */
    public MasterNode restartMaster(final int id) throws IOException
    {
        final MasterNode master = startMaster(id);
        masters.add(master);
        return master;
    }

    /**
     * Replaces a master (say, one whose disk was lost) by a new one with a new id and an empty data
     * directory: a Raft membership change, as an operator would do it.
     */
    public MasterNode replaceMaster(final MasterNode old, final int newId, final int newPort) throws IOException
    {
        stopMaster(old);
        final StringJoiner peers = new StringJoiner(",");
        final java.util.Map<Integer, String> members = new java.util.LinkedHashMap<>();
        for (final MasterNode m : masters)
        {
            members.put(m.id(), m.address());
        }
        members.put(newId, "127.0.0.1:" + newPort);
        members.forEach((id, address) -> peers.add(id + "=" + address));
        final MasterNode added = startMaster(newId, peers.toString());
        masters.add(added);
        added.setMembers(members);
        return added;
    }

    public MasterNode leader()
    {
        for (final MasterNode m : masters)
        {
            if (m.isLeader())
            {
                return m;
            }
        }
        return null;
    }

    public List<MasterNode> masters()
    {
        return masters;
    }

    public List<AgentNode> agents()
    {
        return agents;
    }

    /** Comma-separated master addresses, for {@code --masters}. */
    public String mastersSpec()
    {
        return mastersSpec;
    }

    public String peersSpec()
    {
        return peersSpec;
    }

    /**
     * Stops the cluster in order, saying what it does: the tasks still running are killed (so
     * frameworks see KILLED, not LOST), then the agents, then the masters (together: each Raft
     * server takes about a second to close).
     */
    private static boolean stillLive(final io.corral.master.MasterView view, final List<MasterState.TaskView> tasks)
    {
        return tasks.stream().anyMatch(t ->
        {
            final MasterState.TaskView now = view.task(t.frameworkId(), t.taskId());
            return now != null && !MasterState.isTerminal(now.state());
        });
    }

    public void shutdown(final java.io.PrintStream progress) throws InterruptedException
    {
        final MasterNode leader = leader();
        if (leader != null)
        {
            final List<MasterState.TaskView> live = new ArrayList<>();
            for (final MasterState.TaskView t : leader.state().tasks())
            {
                if (!MasterState.isTerminal(t.state()))
                {
                    live.add(t);
                }
            }
            if (!live.isEmpty())
            {
                progress.println("corral dev: stopping: killing " + live.size() + " running task(s)");
                live.forEach(t -> leader.killTask(t.frameworkId(), t.taskId()));
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (System.nanoTime() < deadline && stillLive(leader.state(), live))
                {
                    Thread.sleep(50);
                }
            }
        }
        progress.println("corral dev: stopping " + agents.size() + " agent(s)");
        for (final AgentNode agent : agents)
        {
            agent.close();
        }
        agents.clear();
        progress.println("corral dev: stopping " + masters.size() + " master(s)");
        final List<Thread> closing = new ArrayList<>();
        for (final MasterNode master : masters)
        {
            final Thread t = new Thread(master::close, "corral-close-master-" + master.id());
            t.start();
            closing.add(t);
        }
        for (final Thread t : closing)
        {
            t.join();
        }
        masters.clear();
        progress.println("corral dev: stopped");
    }

    @Override
    public void close()
    {
        for (final AgentNode agent : agents)
        {
            agent.close();
        }
        agents.clear();
        for (final MasterNode master : masters)
        {
            master.close();
        }
        masters.clear();
    }
}
