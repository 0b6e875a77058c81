package io.corral.cli;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.corral.master.MasterNode;
import io.corral.master.MasterState;
import io.corral.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proposals made to fail on purpose on a real quorum. A Ratis ordered client whose retries for one
 * request ran out is closed for good, and one such failure used to wedge a leader (every later
 * proposal failed at once) until it was restarted: now the client is replaced. A leader whose
 * proposals keep failing reports 503 on /health and hands leadership to another master.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FailingProposalsTest
{
    private static final Duration WAIT = Duration.ofSeconds(90);

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

    private static MasterState.Role role(final int weight)
    {
        final long none = Long.MAX_VALUE;
        return new MasterState.Role("r", weight, new long[4], new long[] { none, none, none, none });
    }

    private static boolean healthIs(final MasterNode m, final int status, final String containing)
    {
        try
        {
            final HttpResponse<String> health = MasterProbe.get(m, "/health");
            return health.statusCode() == status && health.body().contains(containing);
        }
        catch (final Exception ex)
        {
            return false;
        }
    }

    @Test
    void aClosedRaftClientIsReplacedAndALeaderThatCannotCommitSaysSoAndHandsOver() throws Exception
    {
        // Proposing through a Raft client (--propose-via client), the way that has a client to lose.
        cluster = LocalCluster.secured(dir.toFile(), 3, 0, LocalCluster.freeBasePort(3), 1, 256,
            c -> c.proposeViaClient(true), "");
        final MasterNode leader = cluster.awaitReady(60, TimeUnit.SECONDS);
        assertNull(leader.configureRole(role(2)).get(30, TimeUnit.SECONDS), "commits while all is well");

        // What Ratis does to an ordered client whose retries for one request ran out: it is closed.
        // The proposal in hand fails with the reason; the next goes through a new client and commits.
        leader.closeProposalClientOnPurpose().get(10, TimeUnit.SECONDS);
        final String failed = leader.configureRole(role(3)).get(30, TimeUnit.SECONDS);
        assertTrue(failed != null && failed.startsWith("not committed") && failed.contains("Closed"), failed);
        assertNull(leader.configureRole(role(4)).get(30, TimeUnit.SECONDS), "the leader commits again");
        assertEquals(1, MasterProbe.metric(leader, "corral_raft_clients_replaced_total"));

        // Proposals that keep failing: /health says so, and the master hands leadership over.
        leader.failProposalsOnPurpose(true);
        Await.until("/health reports the failing proposals", WAIT, () ->
        {
            leader.configureRole(role(5)); // a proposal to fail
            return healthIs(leader, 503, "proposals have failed") || !leader.isLeader();
        });
        Await.until("another master leads", WAIT, () -> cluster.leader() != null && cluster.leader() != leader);
        assertTrue(MasterProbe.metric(leader, "corral_leader_step_downs_total") >= 1);
        final MasterNode next = cluster.leader();
        assertNull(next.configureRole(role(6)).get(30, TimeUnit.SECONDS), "the new leader commits");
        leader.failProposalsOnPurpose(false);
        Await.until("the old leader is healthy as a follower", WAIT, () -> healthIs(leader, 200, "follower"));
        Await.until("the old leader applies what the new one committed", WAIT, () -> leader.state().roles().stream()
            .anyMatch(r -> r.name().equals("r") && r.weight() == 6));
    }
}
