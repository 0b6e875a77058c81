package io.corral.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.corral.codec.CertificateAuthority;
import io.corral.codec.Protocol;
import io.corral.master.MasterNode;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Raft port of a quorum started as {@code corral dev} starts it (credentials, so Raft on mutual
 * TLS with the cluster's own CA), tried as a stranger would: a plain Ratis client with the public
 * group id, and one holding a certificate of another CA, can neither propose nor even ask for the
 * group's information, and the replicated state does not change; a client with a certificate the
 * cluster's CA signed can (so the refusals are TLS's doing). Raft and HTTP listen on the master's
 * own address only: another loopback address gets no connection.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RaftDoorTest
{
    /** The group id any copy of Corral's source names. */
    private static final RaftGroupId GROUP_ID =
        RaftGroupId.valueOf(UUID.nameUUIDFromBytes("corral-masters".getBytes(StandardCharsets.UTF_8)));

    @TempDir
    Path dir;

    private LocalCluster cluster;

    @AfterEach
    void stop()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private RaftClient client(final Parameters parameters)
    {
        final List<RaftPeer> peers = new ArrayList<>();
        for (final MasterNode m : cluster.masters())
        {
            peers.add(RaftPeer.newBuilder().setId(RaftPeerId.valueOf("m" + m.id()))
                .setAddress(Protocol.host(m.address()) + ":" + (Protocol.port(m.address()) + Protocol.RAFT_PORT_OFFSET))
                .build());
        }
        return RaftClient.newBuilder().setProperties(new RaftProperties()).setParameters(parameters)
            .setRaftGroup(RaftGroup.valueOf(GROUP_ID, peers))
            .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
                TimeDuration.valueOf(100, TimeUnit.MILLISECONDS))).build();
    }

    private static Parameters tls(final Path cert, final Path key, final Path ca)
    {
        final Parameters parameters = new Parameters();
        final GrpcTlsConfig conf = new GrpcTlsConfig(key.toFile(), cert.toFile(), ca.toFile(), true);
        GrpcConfigKeys.Client.setTlsConf(parameters, conf);
        GrpcConfigKeys.Admin.setTlsConf(parameters, conf);
        GrpcConfigKeys.TLS.setConf(parameters, conf);
        return parameters;
    }

    /** Tries what a stranger would: the group's information, then a write. */
    private static void refused(final RaftClient stranger, final MasterNode leader)
    {
        assertThrows(Exception.class, () -> stranger.getGroupManagementApi(RaftPeerId.valueOf("m" + leader.id()))
            .info(GROUP_ID), "the group's information is refused");
        assertThrows(Exception.class, () ->
        {
            final var reply = stranger.io().send(Message.valueOf("not a record"));
            if (!reply.isSuccess())
            {
                throw reply.getException();
            }
        }, "a write is refused");
    }

    @Test
    void aRatisClientWithoutTheClustersCertificateCannotConnectOrPropose() throws Exception
    {
        cluster = LocalCluster.secured(dir.toFile(), 3, 0, LocalCluster.freeBasePort(3), 1, 256, c -> { }, "");
        final MasterNode leader = cluster.awaitReady(60, TimeUnit.SECONDS);
        final byte[] before = leader.snapshotBytes();

        try (RaftClient plain = client(new Parameters()))
        {
            refused(plain, leader);
        }
        final Path other = dir.resolve("other-ca");
        final CertificateAuthority stranger = CertificateAuthority.openOrCreate(other, "stranger");
        final Path[] strangerFiles = stranger.issue(other, "stranger", "127.0.0.1");
        try (RaftClient signedElsewhere = client(tls(strangerFiles[0], strangerFiles[1], stranger.certificateFile())))
        {
            refused(signedElsewhere, leader);
        }
        // Nothing reached the log: every master's replicated state is what it was.
        for (final MasterNode m : cluster.masters())
        {
            assertArrayEquals(before, m.snapshotBytes(), "master " + m.id() + "'s state changed");
        }

        // The control: a certificate the cluster's own CA signed gets the group's information.
        final Path raftTls = dir.resolve(LocalCluster.RAFT_TLS_DIR);
        final CertificateAuthority ours = CertificateAuthority.openOrCreate(raftTls, "ignored");
        final Path[] insider = ours.issue(dir.resolve("insider"), "insider", "127.0.0.1");
        try (RaftClient member = client(tls(insider[0], insider[1], ours.certificateFile())))
        {
            assertEquals(GROUP_ID, member.getGroupManagementApi(RaftPeerId.valueOf("m" + leader.id())).info(GROUP_ID)
                .getGroup().getGroupId());
        }
        assertEquals(false, ((java.util.Map<?, ?>)leader.stateDocument().get("master")).get("insecureRaft"),
            "/api/v1/state says Raft runs on TLS");
    }

    @Test
    void raftAndHttpListenOnTheMastersOwnAddressOnly() throws Exception
    {
        cluster = LocalCluster.secured(dir.toFile(), 3, 0, LocalCluster.freeBasePort(3), 1, 256, c -> { }, "");
        cluster.awaitReady(60, TimeUnit.SECONDS);
        final MasterNode m = cluster.masters().get(0);
        for (final int offset : new int[] { Protocol.RAFT_PORT_OFFSET, Protocol.HTTP_PORT_OFFSET })
        {
            final int port = Protocol.port(m.address()) + offset;
            assertTrue(connects("127.0.0.1", port), "port " + port + " answers on the master's address");
            // Every 127/8 address reaches this host: a socket bound to all interfaces would answer here too.
            assertFalse(connects("127.0.0.2", port), "port " + port + " must not listen on every interface");
        }
    }

    private static boolean connects(final String host, final int port)
    {
        try (Socket s = new Socket())
        {
            s.connect(new InetSocketAddress(host, port), 2_000);
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
