package io.corral.master;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.corral.codec.Protocol;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/** How a master configures Ratis: peers (Raft port = the master's port + 1000), timeouts, snapshots, log. */
final class RaftSettings
{
    private RaftSettings()
    {
    }

    static RaftPeerId peerId(final int id)
    {
        return RaftPeerId.valueOf("m" + id);
    }

    /** The Raft peers of masters given as id → host:port (their Aeron address). */
    static List<RaftPeer> peers(final Map<Integer, String> masters)
    {
        final List<RaftPeer> peers = new ArrayList<>();
        masters.forEach((id, address) -> peers.add(RaftPeer.newBuilder().setId(peerId(id))
            .setAddress(Protocol.host(address) + ":" + (Protocol.port(address) + Protocol.RAFT_PORT_OFFSET)).build()));
        return peers;
    }

    /**
     * Ratis's TLS for a master's Raft server, its client and admin calls: mutual, from the PEM
     * files of {@link MasterConfig#tls} (none without them).
     */
    static org.apache.ratis.conf.Parameters parameters(final MasterConfig config)
    {
        final org.apache.ratis.conf.Parameters parameters = new org.apache.ratis.conf.Parameters();
        final java.nio.file.Path[] tls = config.raftTls();
        if (tls != null)
        {
            final org.apache.ratis.grpc.GrpcTlsConfig conf = new org.apache.ratis.grpc.GrpcTlsConfig(tls[1].toFile(),
                tls[0].toFile(), tls[2].toFile(), true);
            GrpcConfigKeys.Server.setTlsConf(parameters, conf);
            GrpcConfigKeys.Client.setTlsConf(parameters, conf);
            GrpcConfigKeys.Admin.setTlsConf(parameters, conf);
            GrpcConfigKeys.TLS.setConf(parameters, conf);
        }
        return parameters;
    }

    /** The host of a {@code host:port} address as a bind address ({@code [::1]} → {@code ::1}). */
    static String bindHost(final String address)
    {
        final String host = Protocol.host(address);
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    static RaftProperties properties(final MasterConfig config)
    {
        final RaftProperties properties = new RaftProperties();
        // Bound to the master's own address from --peers, never to every interface.
        GrpcConfigKeys.Server.setHost(properties, bindHost(config.address()));
        GrpcConfigKeys.Server.setPort(properties, Protocol.port(config.address()) + Protocol.RAFT_PORT_OFFSET);
        RaftServerConfigKeys.setStorageDir(properties, List.of(config.dataDir()));
        RaftServerConfigKeys.Rpc.setTimeoutMin(properties,
            TimeDuration.valueOf(config.electionMinMs(), TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(properties,
            TimeDuration.valueOf(config.electionMaxMs(), TimeUnit.MILLISECONDS));
        // Pre-vote (Ratis's default, set here so it stays so): a master that missed heartbeats
        // first asks whether it could win, so one that was only slow does not depose a healthy leader.
        RaftServerConfigKeys.LeaderElection.setPreVote(properties, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(properties, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(properties, config.snapshotEveryEntries());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(properties, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(properties, true);
        RaftServerConfigKeys.Log.setPurgeGap(properties, (int)Math.min(1024, config.snapshotEveryEntries()));
        RaftServerConfigKeys.Log.setSegmentSizeMax(properties, SizeInBytes.valueOf(config.logSegmentBytes()));
        return properties;
    }
}
