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

    /**
     * @param basePort the first master listens on basePort, the next on basePort + 1, ...; Raft
     *                 uses those + 1000.
     */
    public LocalCluster(final File dataDir, final int masterCount, final int agentCount, final int basePort,
        final double agentCpus, final long agentMemMiB) throws IOException
    {
        final StringJoiner peers = new StringJoiner(",");
        final StringJoiner addresses = new StringJoiner(",");
        for (int i = 1; i <= masterCount; i++)
        {
            peers.add(i + "=127.0.0.1:" + (basePort + i - 1));
            addresses.add("127.0.0.1:" + (basePort + i - 1));
        }
        peersSpec = peers.toString();
        mastersSpec = addresses.toString();
        try
        {
            for (int i = 1; i <= masterCount; i++)
            {
                masters.add(new MasterNode(new MasterConfig().id(i).peers(peersSpec)
                    .dataDir(new File(dataDir, "master-" + i))
                    .electionTimeoutMs(MasterConfig.DEFAULT_ELECTION_MIN_MS, MasterConfig.DEFAULT_ELECTION_MAX_MS)));
            }
            for (int i = 1; i <= agentCount; i++)
            {
                agents.add(new AgentNode(new AgentConfig().masters(mastersSpec).cpus(agentCpus).memMiB(agentMemMiB)
                    .diskMiB(1024).hostname("agent-" + i).workDir(new File(dataDir, "agent-" + i))));
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            close();
            throw ex;
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
                leader.state().agents().size() >= agents.size())
            {
                return leader;
            }
            Thread.sleep(50);
        }
        throw new TimeoutException("cluster not ready after " + unit.toMillis(timeout) + " ms: leader=" + leader() +
            ", agents registered=" + agents.stream().filter(AgentNode::isRegistered).count() + "/" + agents.size());
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
