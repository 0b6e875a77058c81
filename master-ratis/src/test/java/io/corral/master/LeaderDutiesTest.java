package io.corral.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.corral.codec.sbe.AgentLostDecoder;
import io.corral.codec.sbe.AgentRegisteredDecoder;
import io.corral.codec.sbe.KillTaskDecoder;
import io.corral.codec.sbe.OfferDecoder;
import io.corral.codec.sbe.OfferRescindedDecoder;
import io.corral.codec.sbe.RunTaskDecoder;
import io.corral.codec.sbe.StatusAckDecoder;
import io.corral.codec.sbe.SubscribedDecoder;
import io.corral.codec.sbe.TaskState;
import org.junit.jupiter.api.Test;

/**
 * The leader's duties, driven message by message under a fake clock: no Raft, no Aeron, no
 * sleeping. Frames go in through the real inbound adapter and endpoint; proposals are committed
 * when the test says so, through the real apply code.
 */
class LeaderDutiesTest
{
    private static final long SECOND = 1_000_000_000L;
    private static final String AGENT = "127.0.0.1:40001";
    private static final String FRAMEWORK = "127.0.0.1:40002";

    private final RecordingPeers peers = new RecordingPeers();
    private final Frames frames = new Frames();
    private long now = 1_000 * SECOND;
    private InProcessLeader leader = new InProcessLeader(7, config(), peers, now);

    private static MasterConfig config()
    {
        return new MasterConfig().id(1).peers("1=127.0.0.1:40000").agentTimeoutMs(5_000).frameworkTimeoutMs(3_000)
            .reregistrationGraceMs(10_000).offerTimeoutMs(30_000);
    }

    /** One duty cycle after {@code nanos}: timers and batches, then what they proposed is committed. */
    private void after(final long nanos)
    {
        now += nanos;
        leader.cycle(now);
        leader.commit();
    }

    /**
     * The statuses the framework got, after checking that exactly one came since {@code told} and
     * that it says {@code state}.
     */
    private List<RecordingPeers.Status> oneMoreStatus(final int told, final TaskState state, final String why)
    {
        final List<RecordingPeers.Status> got = peers.statuses(FRAMEWORK);
        assertEquals(told + 1, got.size(), why + ": " + got);
        assertEquals(state, got.get(got.size() - 1).state(), why + ": " + got);
        return got;
    }

    private long registerAgent()
    {
        frames.registerAgent(0, AGENT, 4000, 4096).to(leader, 1);
        after(0);
        assertEquals(1, leader.state().agentCount(), "the registration was proposed and committed");
        return leader.state().agents().get(0).id();
    }

    private long subscribe(final long failoverTimeoutMs)
    {
        frames.subscribe(0, FRAMEWORK, failoverTimeoutMs).to(leader, 2);
        after(0);
        return leader.state().frameworks().get(0).id();
    }

    private OfferDecoder lastOffer()
    {
        final List<RecordingPeers.Sent> offers = peers.to(FRAMEWORK, OfferDecoder.TEMPLATE_ID);
        assertTrue(!offers.isEmpty(), "an offer was sent: " + peers.sent);
        return offers.get(offers.size() - 1).decode(new OfferDecoder());
    }

    /** Agent, framework, one task launched from the offer and committed. */
    private long[] launched(final String taskId)
    {
        final long agentId = registerAgent();
        final long frameworkId = subscribe(60_000);
        after(0);
        frames.accept(frameworkId, lastOffer().offerId(), taskId, 1000, 512).to(leader, 2);
        after(0);
        assertNotNull(leader.state().task(frameworkId, taskId), "the launch committed");
        return new long[] { agentId, frameworkId };
    }

    @Test
    void durationsFromFrameworksAreClampedNotOverflowed()
    {
        registerAgent();
        // 10^12 seconds: as nanoseconds it overflows a long, which removed the framework at once.
        final long huge = 1_000_000_000_000_000L;
        final long frameworkId = subscribe(huge);
        assertEquals(FrameworkControl.MAX_DURATION_MS, leader.state().framework(frameworkId).failoverTimeoutMs());
        frames.subscribe(frameworkId, FRAMEWORK, huge).to(leader, 2);
        leader.cycle(now);
        assertEquals(0, leader.pendingProposals(), "its heartbeat, the same huge value, replicates nothing");
        after(SECOND);

        // A decline for 10^12 seconds filters the agent for a year; a revive gives its resources back.
        final long offerId = lastOffer().offerId();
        final int offersBefore = peers.to(FRAMEWORK, OfferDecoder.TEMPLATE_ID).size();
        frames.decline(frameworkId, offerId, huge).to(leader, 2);
        after(SECOND);
        frames.heartbeat(registeredAgent()).to(leader, 1);
        frames.subscribe(frameworkId, FRAMEWORK, huge).to(leader, 2);
        after(SECOND);
        assertEquals(offersBefore, peers.to(FRAMEWORK, OfferDecoder.TEMPLATE_ID).size(), "filtered, not re-offered");
        frames.suppress(frameworkId, false, "").to(leader, 2);
        after(SECOND);
        assertTrue(peers.to(FRAMEWORK, OfferDecoder.TEMPLATE_ID).size() > offersBefore, "revived: offered again");

        // Silent for an hour: still there (its failover timeout is a year, not a negative number).
        after(3_600 * SECOND);
        after(SECOND);
        assertNotNull(leader.state().framework(frameworkId));
    }

    private long registeredAgent()
    {
        return leader.state().agents().get(0).id();
    }

    @Test
    void aKillIsSentAgainWhenTheTasksAgentRegistersAgainUntilTheTaskEnds()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 1, 1).to(leader, 1);
        after(0);
        // The kill may have gone to an agent with no session with this leader yet (it was just
        // elected): it is dropped there, so it goes again when the agent registers again.
        frames.kill(ids[1], "t1").to(leader, 2);
        after(0);
        assertEquals(1, peers.count(AGENT, KillTaskDecoder.TEMPLATE_ID));
        frames.registerAgent(ids[0], AGENT, 4000, 4096).to(leader, 1);
        after(0);
        assertEquals(2, peers.count(AGENT, KillTaskDecoder.TEMPLATE_ID), "sent again on re-registration");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.KILLED, 2, 2).to(leader, 1);
        after(0);
        frames.registerAgent(ids[0], AGENT, 4000, 4096).to(leader, 1);
        after(0);
        assertEquals(2, peers.count(AGENT, KillTaskDecoder.TEMPLATE_ID), "not once the task has ended");
    }

    @Test
    void anAgentIsAdmittedOnceAndItsRepeatedRegistrationReplicatesNothing()
    {
        final long agentId = registerAgent();
        assertEquals(1, peers.count(AGENT, AgentRegisteredDecoder.TEMPLATE_ID), "told it is registered");
        assertEquals(agentId, peers.to(AGENT, AgentRegisteredDecoder.TEMPLATE_ID).get(0)
            .decode(new AgentRegisteredDecoder()).agentId());

        frames.registerAgent(agentId, AGENT, 4000, 4096).to(leader, 1);
        leader.cycle(now);
        assertEquals(0, leader.pendingProposals(), "the same registration again changes nothing");
        assertEquals(2, peers.count(AGENT, AgentRegisteredDecoder.TEMPLATE_ID), "but it is answered");

        frames.registerAgent(0, AGENT, 4000, 4096).to(leader, 1);
        after(0);
        assertEquals(1, leader.state().agentCount(), "a retried first registration is not a second agent");
    }

    @Test
    void aLargeClusterIsToldToHeartbeatLessOftenAndGivenLongerBeforeRemoval()
    {
        final int agents = 12_000; // at 10,000 heartbeats a second: every 1.2 s, removed after 6 s
        for (int i = 0; i < agents; i++)
        {
            frames.registerAgent(0, "127.0.0.1:" + (10_000 + i), 1000, 1024).to(leader, 1);
        }
        after(0);
        assertEquals(agents, leader.state().agentCount());
        final List<RecordingPeers.Sent> firstAnswers = peers.to("127.0.0.1:10000", AgentRegisteredDecoder.TEMPLATE_ID);
        assertEquals(0, firstAnswers.get(0).decode(new AgentRegisteredDecoder()).heartbeatIntervalMs(),
            "the first agents of a small cluster keep their own interval");

        final long[] ids = leader.agentIds();
        for (final long id : ids)
        {
            frames.heartbeat(id).to(leader, 1);
        }
        final List<RecordingPeers.Sent> answers = peers.to("127.0.0.1:10000", AgentRegisteredDecoder.TEMPLATE_ID);
        assertEquals(1200, answers.get(answers.size() - 1).decode(new AgentRegisteredDecoder()).heartbeatIntervalMs());

        after(SECOND * 11 / 2);
        assertEquals(agents, leader.state().agentCount(), "5.5 s of silence is less than five paced intervals");
        after(SECOND);
        assertEquals(0, leader.state().agentCount(), "6.5 s is more: all are removed");
    }

    @Test
    void aNewLeaderTellsEachKnownAgentEndpointOnceThatItLeads()
    {
        frames.registerAgent(0, AGENT, 1000, 1024).to(leader, 1);
        frames.registerAgent(0, "127.0.0.1:40009", 1000, 1024).to(leader, 1);
        after(0);
        assertEquals(2, leader.state().agentCount());
        assertEquals(0, peers.count(AGENT, io.corral.codec.sbe.NotLeaderDecoder.TEMPLATE_ID));

        leader.newTerm(now);

        final List<RecordingPeers.Sent> told = peers.to(AGENT, io.corral.codec.sbe.NotLeaderDecoder.TEMPLATE_ID);
        assertEquals(1, told.size(), "one announcement per endpoint");
        final io.corral.codec.sbe.NotLeaderDecoder m = told.get(0).decode(new io.corral.codec.sbe.NotLeaderDecoder());
        assertEquals(1, m.leaderId());
        assertEquals("127.0.0.1:40000", m.leaderEndpoint(), "it names this master, so agents register here at once");
        assertEquals(1, peers.count("127.0.0.1:40009", io.corral.codec.sbe.NotLeaderDecoder.TEMPLATE_ID));
    }

    @Test
    void retriesOfARegistrationBeingCommittedAreNotProposedAgain()
    {
        for (int i = 0; i < 5; i++)
        {
            frames.registerAgent(0, AGENT, 4000, 4096).to(leader, 1);
        }
        assertEquals(1, leader.pendingProposals(), "five retries before the commit: one proposal");
        leader.refuseProposals();
        frames.registerAgent(0, AGENT, 4000, 4096).to(leader, 1);
        assertEquals(1, leader.pendingProposals(), "after Raft refused it, the next retry proposes again");
        leader.commit();
        assertEquals(1, leader.state().agentCount());
        assertEquals(1, peers.count(AGENT, AgentRegisteredDecoder.TEMPLATE_ID), "the commit answers the agent");
    }

    @Test
    void aSubscribedFrameworkIsOfferedTheAgentsResources()
    {
        registerAgent();
        final long frameworkId = subscribe(0);
        assertEquals(1, peers.count(FRAMEWORK, SubscribedDecoder.TEMPLATE_ID));
        after(0);
        final OfferDecoder offer = lastOffer();
        assertEquals(frameworkId, offer.frameworkId());
        assertEquals(4000, offer.resources().cpus());
        assertEquals(7, offer.offerId() >>> 32, "the offer id carries the term");
    }

    @Test
    void anAgentThatStopsHeartbeatingIsRemovedAndItsOffersRescinded()
    {
        final long agentId = registerAgent();
        subscribe(60_000);
        after(0);
        final long offerId = lastOffer().offerId();
        for (int i = 0; i < 3; i++)
        {
            // The framework keeps heartbeating; the agent heartbeats twice, then stops.
            frames.subscribe(leader.state().frameworks().get(0).id(), FRAMEWORK, 60_000).to(leader, 2);
            if (i < 2)
            {
                frames.heartbeat(agentId).to(leader, 1);
            }
            after(2 * SECOND);
        }
        assertNotNull(leader.state().agent(agentId), "alive while it heartbeats (4 s of 5 s)");
        after(4 * SECOND);
        assertNull(leader.state().agent(agentId), "removed once it missed its heartbeats");
        final List<RecordingPeers.Sent> rescinded = peers.to(FRAMEWORK, OfferRescindedDecoder.TEMPLATE_ID);
        assertEquals(1, rescinded.size(), "its offer was rescinded");
        assertEquals(offerId, rescinded.get(0).decode(new OfferRescindedDecoder()).offerId());
        assertEquals(agentId, peers.to(FRAMEWORK, AgentLostDecoder.TEMPLATE_ID).get(0)
            .decode(new AgentLostDecoder()).agentId(), "the framework is told the agent is lost");
        assertEquals(0, leader.leader().accounting()[0][0], "nothing is left allocated");
    }

    @Test
    void aMasterBehindOnItsInboundRemovesNobodyUntilItHasReadWhatWasSent()
    {
        final long agentId = registerAgent();
        final long readAt = now;
        // 20 s pass while the master has not caught up with its inbound since readAt: the
        // agent's heartbeats may be waiting there, so it is not judged by them yet.
        now += 20 * SECOND;
        leader.cycle(now, readAt + 4 * SECOND);
        leader.commit();
        assertNotNull(leader.state().agent(agentId), "not removed while its heartbeats may be unread");
        // The master catches up: no heartbeat was there after all.
        now += SECOND;
        leader.cycle(now, now);
        leader.commit();
        assertNull(leader.state().agent(agentId), "removed once the master has read all it was sent");
    }

    @Test
    void runTaskIsResentUntilTheAgentConfirmsTheTask()
    {
        final long[] ids = launched("t1");
        assertEquals(1, peers.count(AGENT, RunTaskDecoder.TEMPLATE_ID), "sent once the launch committed");
        after(SECOND);
        assertEquals(1, peers.count(AGENT, RunTaskDecoder.TEMPLATE_ID), "not resent before 2 s");
        after(SECOND + SECOND / 2);
        assertEquals(2, peers.count(AGENT, RunTaskDecoder.TEMPLATE_ID), "resent: the agent has not confirmed it");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.STARTING, 1, 1).to(leader, 1);
        after(0);
        after(5 * SECOND);
        assertEquals(2, peers.count(AGENT, RunTaskDecoder.TEMPLATE_ID), "no more resends once STARTING");
    }

    /**
     * The race the one-owner design removes: a task's consecutive updates, applied in one batch
     * before the leader forwarded any of them, each go out with their own state and uuid (the
     * old code read the live task and could send update N's uuid with update N+1's state).
     */
    @Test
    void consecutiveUpdatesAreForwardedEachWithItsOwnState()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.STARTING, 1, 1).to(leader, 1);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.FINISHED, 3, 3).to(leader, 1);
        after(0);
        final List<RecordingPeers.Status> got = peers.statuses(FRAMEWORK);
        assertEquals(List.of(TaskState.STARTING, TaskState.RUNNING, TaskState.FINISHED),
            got.stream().map(RecordingPeers.Status::state).toList());
        assertEquals(List.of(1L, 2L, 3L), got.stream().map(RecordingPeers.Status::uuidMsb).toList(),
            "each state under its own uuid");
        assertEquals(TaskState.FINISHED, leader.state().task(ids[1], "t1").state);

        frames.acknowledge(ids[1], "t1", 2, 2).to(leader, 2);
        final RecordingPeers.Sent ack = peers.to(AGENT, StatusAckDecoder.TEMPLATE_ID).get(0);
        assertEquals(2, ack.decode(new StatusAckDecoder()).uuidMsb(), "the framework's ack is relayed to the agent");
    }

    @Test
    void aFrameworkGoneLongerThanItsFailoverTimeoutIsRemovedAndItsTasksKilled()
    {
        final long agentId = registerAgent();
        frames.subscribe(0, FRAMEWORK, 1_000).to(leader, 2);
        after(0);
        final long frameworkId = leader.state().frameworks().get(0).id();
        after(0);
        frames.accept(frameworkId, lastOffer().offerId(), "t1", 1000, 512).to(leader, 2);
        after(0);
        frames.statusUpdate(agentId, frameworkId, "t1", TaskState.RUNNING, 1, 1).to(leader, 1);
        after(0);
        for (int i = 0; i < 2; i++)
        {
            frames.heartbeat(agentId).to(leader, 1);
            after(2 * SECOND);
        }
        assertNotNull(leader.state().framework(frameworkId), "within 3 s + 1 s failover of its last heartbeat");
        frames.heartbeat(agentId).to(leader, 1);
        after(SECOND);
        assertNull(leader.state().framework(frameworkId), "removed after its timeout and failover timeout");
        final List<RecordingPeers.Sent> kills = peers.to(AGENT, KillTaskDecoder.TEMPLATE_ID);
        assertEquals(1, kills.size(), "its running task is killed on the agent");
        assertEquals("t1", kills.get(0).decode(new KillTaskDecoder()).taskId());

        // That kill may have died with this leader: the next one sends it again, and does not count
        // the task's resources against a framework the allocator no longer has.
        leader.newTerm(now);
        after(0);
        assertEquals(2, peers.to(AGENT, KillTaskDecoder.TEMPLATE_ID).size(), "the new leader kills it again");
        assertEquals(0, leader.leader().accounting()[0][0], "nothing is allocated to the removed framework");
    }

    /**
     * Admission: with room for one launch in flight, an accept of two launches proposes one; the
     * second waits on the leader (no record, no new offers) until the agent confirms the first;
     * then it is proposed.
     */
    @Test
    void launchesBeyondTheInFlightBoundWaitAndHoldBackOffers()
    {
        leader = new InProcessLeader(7, config().maxLaunchesInFlight(1), peers, now);
        final long agentId = registerAgent();
        final long frameworkId = subscribe(60_000);
        after(0);
        frames.accept(frameworkId, lastOffer().offerId(), List.of("t1", "t2"), 1000, 512).to(leader, 2);
        after(0);
        assertNotNull(leader.state().task(frameworkId, "t1"), "the first launch committed");
        assertNull(leader.state().task(frameworkId, "t2"), "t1 is not confirmed yet: t2 waits, nothing proposed");
        final int offersBefore = peers.count(FRAMEWORK, OfferDecoder.TEMPLATE_ID);
        after(3 * SECOND);
        assertEquals(offersBefore, peers.count(FRAMEWORK, OfferDecoder.TEMPLATE_ID),
            "no offers while a launch waits, though a full pass was due");

        frames.statusUpdate(agentId, frameworkId, "t1", TaskState.STARTING, 1, 1).to(leader, 1);
        after(0);
        after(0);
        assertNotNull(leader.state().task(frameworkId, "t2"), "t1 confirmed: t2 is proposed and committed");
        final List<RecordingPeers.Sent> runs = peers.to(AGENT, RunTaskDecoder.TEMPLATE_ID);
        assertEquals("t2", runs.get(runs.size() - 1).decode(new RunTaskDecoder()).taskId(), "its agent is told to run it");
        after(2 * SECOND);
        assertEquals(offersBefore, peers.count(FRAMEWORK, OfferDecoder.TEMPLATE_ID),
            "t2 in flight takes the room for one launch: still no offers");
        frames.statusUpdate(agentId, frameworkId, "t2", TaskState.STARTING, 2, 2).to(leader, 1);
        after(0);
        after(2 * SECOND);
        assertTrue(peers.count(FRAMEWORK, OfferDecoder.TEMPLATE_ID) > offersBefore, "t2 confirmed: offers flow again");
    }

    @Test
    void runTaskResendsBackOff()
    {
        launched("t1");
        for (int i = 0; i < 8; i++)
        {
            after(SECOND);
        }
        // sent at 0, resent at 2 s and 6 s (delays 2, 4, then 8 s)
        assertEquals(3, peers.count(AGENT, RunTaskDecoder.TEMPLATE_ID), "resent at 2 s and 6 s, not every 2 s");
    }

    @Test
    void aLaunchWhoseRecordRaftRefusedGivesItsResourcesAndIdBack()
    {
        registerAgent();
        final long frameworkId = subscribe(60_000);
        after(0);
        frames.accept(frameworkId, lastOffer().offerId(), "t1", 1000, 512).to(leader, 2);
        now += 1;
        leader.cycle(now);
        assertEquals(1, leader.pendingProposals(), "the launch was proposed");
        leader.refuseProposals();
        final long[][] books = leader.leader().accounting();
        assertEquals(books[1][0], books[0][0], "its cpus are free again: all that is allocated is on offer");
        assertEquals(0, books[2][0], "no task uses any");
        after(0);
        frames.accept(frameworkId, lastOffer().offerId(), "t1", 1000, 512).to(leader, 2);
        after(0);
        assertNotNull(leader.state().task(frameworkId, "t1"), "the same task id can launch again");
    }

    @Test
    void aNewLeaderRecoversRunningTasksAndResendsRunTaskForStagingOnes()
    {
        final long[] ids = launched("staging");
        final int sentBefore = peers.count(AGENT, RunTaskDecoder.TEMPLATE_ID);
        leader.newTerm(now);
        assertEquals(1000, leader.leader().accounting()[0][0], "the task's cpus are allocated again");
        assertEquals(1000, leader.leader().accounting()[2][0], "and used by it");
        after(SECOND / 4);
        assertEquals(sentBefore + 1, peers.count(AGENT, RunTaskDecoder.TEMPLATE_ID),
            "a task still STAGING gets its RunTask again from the new leader");
        assertTrue(leader.state().task(ids[1], "staging") != null);
    }

    /**
     * Issue 27's status path: STARTING and RUNNING reach the framework before any commit (the
     * agent keeps them until acknowledged); an end only once the log holds it; a resent update
     * is delivered again, never proposed again.
     */
    @Test
    void intermediateStatesGoAheadOfTheLogAndAnEndOnlyOnceCommitted()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.STARTING, 1, 1).to(leader, 1);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        assertEquals(List.of(TaskState.STARTING, TaskState.RUNNING),
            peers.statuses(FRAMEWORK).stream().map(RecordingPeers.Status::state).toList(), "forwarded before commit");
        assertEquals(1, leader.pendingProposals(), "and proposed, coalesced: one record for the cycle");
        assertEquals(TaskState.STAGING, leader.state().task(ids[1], "t1").state, "not committed yet");

        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1); // resent, unacknowledged
        leader.cycle(now);
        assertEquals(3, peers.statuses(FRAMEWORK).size(), "a resend is delivered again");
        assertEquals(1, leader.pendingProposals(), "and not proposed again");
        leader.commit();
        assertEquals(TaskState.RUNNING, leader.state().task(ids[1], "t1").state, "the log has caught up");
        assertEquals(3, peers.statuses(FRAMEWORK).size(), "its commit forwards nothing again");

        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.FINISHED, 3, 3).to(leader, 1);
        leader.cycle(now);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.FINISHED, 3, 3).to(leader, 1); // resent before commit
        leader.cycle(now);
        assertEquals(3, peers.statuses(FRAMEWORK).size(), "an end waits for its commit");
        assertEquals(1, leader.pendingProposals(), "proposed once");
        leader.commit();
        final List<RecordingPeers.Status> got = peers.statuses(FRAMEWORK);
        assertEquals(4, got.size());
        assertEquals(TaskState.FINISHED, got.get(3).state());
        assertEquals(TaskState.FINISHED, leader.state().task(ids[1], "t1").state);
        assertEquals(0, leader.badRecords());
    }

    /**
     * A leader forwarded RUNNING and lost office before it committed: the new one does not know it
     * from the log, so it answers no reconciliation for the task until the agent is heard, learns
     * RUNNING from the agent's task list, replicates it, and answers RUNNING (never STAGING
     * after the framework was told RUNNING).
     */
    @Test
    void aNewLeaderLearnsStatesTheLogLacksFromTheAgentsTaskList()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.STARTING, 1, 1).to(leader, 1);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        leader.refuseProposals(); // the leader lost office before the states were committed
        leader.newTerm(now);
        assertEquals(TaskState.STAGING, leader.state().task(ids[1], "t1").state);
        final int told = peers.statuses(FRAMEWORK).size();

        frames.reconcile(ids[1], "t1").to(leader, 2);
        after(0);
        assertEquals(told, peers.statuses(FRAMEWORK).size(), "its agent has not been heard: no answer yet");

        frames.registerAgent(ids[0], AGENT, 4000, 4096, "1\n" + ids[1] + "/t1\tRUNNING").to(leader, 1);
        after(0);
        assertEquals(TaskState.RUNNING, leader.state().task(ids[1], "t1").state, "learned and replicated");
        assertEquals(told, peers.statuses(FRAMEWORK).size(), "nothing forwarded again for it");

        frames.reconcile(ids[1], "t1").to(leader, 2);
        after(0);
        oneMoreStatus(told, TaskState.RUNNING, "the reconciliation, from what the agent listed");
        after(5 * SECOND);
        assertEquals(0, leader.badRecords());
    }

    /**
     * The chaos checker's finding: a new leader behind on applying what the old one committed
     * told a framework RUNNING after the old leader had told it FINISHED (the RUNNING entry came
     * before the end in the log, the new leader applied both after taking office and forwarded
     * each). An earlier leader's STARTING or RUNNING waits until the state has caught up, and
     * goes only if still the task's state; a resend of one while catching up is not forwarded
     * ahead of the log either.
     */
    @Test
    void aNewLeaderBehindOnTheLogTellsNoStateThatTheLogEndsLaterOn()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.STARTING, 1, 1).to(leader, 1);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.FINISHED, 3, 3).to(leader, 1);
        leader.cycle(now);
        assertEquals(2, leader.pendingProposals(), "RUNNING, then FINISHED, in the log");
        final int told = peers.statuses(FRAMEWORK).size();
        leader.newTermBeforeApplying(now); // (the old leader committed both and told FINISHED)

        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1); // resent to the new leader
        leader.cycle(now);
        assertEquals(told, peers.statuses(FRAMEWORK).size(), "nothing ahead of the log while catching up");
        frames.reconcile(ids[1], "t1").to(leader, 2);
        leader.cycle(now);
        assertEquals(told, peers.statuses(FRAMEWORK).size(), "no reconciliation from a state that is behind");

        leader.commit(); // the old leader's entries
        after(0); // and the resend's record
        final List<TaskState> since = peers.statuses(FRAMEWORK).stream().skip(told).map(RecordingPeers.Status::state)
            .toList();
        assertEquals(List.of(TaskState.FINISHED, TaskState.FINISHED), since,
            "the end again (unacknowledged) and the reconciliation's answer; never RUNNING after it");
        assertEquals(TaskState.FINISHED, leader.state().task(ids[1], "t1").state);
        assertTrue(peers.to(AGENT, StatusAckDecoder.TEMPLATE_ID).stream()
            .anyMatch(a -> a.decode(new StatusAckDecoder()).uuidMsb() == 2), "the stale resend is acknowledged");
        assertEquals(0, leader.badRecords());
    }

    /**
     * LeaderChurnTest's hang: leaders changed quickly, so the last committed entries were Raft's
     * own (each term's first entry), not records. A new leader waiting to have applied up to the
     * commit index must count those, or it waits for ever: no reconciliation answered, no task
     * list read, no work offered.
     */
    @Test
    void aNewLeaderWhoseLastCommittedEntryIsRaftsOwnIsCaughtUpOnceItIsApplied()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.FINISHED, 2, 2).to(leader, 1);
        after(0);
        final int told = peers.statuses(FRAMEWORK).size();
        leader.newTermBeforeRaftEntry(now);
        frames.reconcile(ids[1], "t1").to(leader, 2);
        leader.cycle(now);
        assertEquals(told, peers.statuses(FRAMEWORK).size(), "waits while the entry is not applied");
        leader.passRaftEntry();
        leader.cycle(now);
        oneMoreStatus(told, TaskState.FINISHED, "answered once applied, with no record committed since");
    }

    /** An earlier leader's RUNNING that is still the task's state is sent once the new leader has caught up. */
    @Test
    void aNewLeaderSendsAnEarlierLeadersRunningOnceCaughtUpIfStillTheTasksState()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        final int told = peers.statuses(FRAMEWORK).size();
        leader.newTermBeforeApplying(now);
        leader.commit();
        assertEquals(told, peers.statuses(FRAMEWORK).size(), "held until the cycle");
        leader.cycle(now);
        final List<RecordingPeers.Status> got = oneMoreStatus(told, TaskState.RUNNING,
            "the old leader may have died before it told the framework");
        assertEquals(2, got.get(got.size() - 1).uuidMsb(), "under the agent's uuid: its acknowledgement reaches the agent");
        after(0);
        assertEquals(told + 1, peers.statuses(FRAMEWORK).size(), "once");
    }

    /**
     * The chaos checker's other finding: a leader paused (SIGSTOP) long enough for another to be
     * elected read, on waking, an agent's RUNNING that had arrived before the pause and forwarded
     * it, after the new leader had told the framework the task FINISHED. After a stall nothing
     * goes ahead of the log, nor is sent again, until an entry written after it commits.
     */
    @Test
    void afterAStallNothingGoesAheadOfTheLogUntilAnEntryWrittenSinceCommits()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        after(0);
        final int told = peers.statuses(FRAMEWORK).size();
        leader.stalled(now + 2 * SECOND, 2 * SECOND);
        assertEquals(1, leader.pendingProposals(), "an empty record, to learn whether this master still leads");

        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1); // resent, from before the pause
        frames.reconcile(ids[1], "t1").to(leader, 2);
        leader.cycle(now);
        assertEquals(told, peers.statuses(FRAMEWORK).size(), "not sent again, no answer, while unproven");

        leader.commit(); // it still leads
        leader.cycle(now);
        oneMoreStatus(told, TaskState.RUNNING, "the reconciliation is answered once the log is caught up");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        assertEquals(told + 2, peers.statuses(FRAMEWORK).size(), "and a resend is delivered again as before");
        assertEquals(0, leader.badRecords(), "the empty record applies cleanly");
    }

    /**
     * The long chaos run's finding: after a stall a STARTING went to the log (not ahead), the
     * leader caught up, the agent's RUNNING went ahead, and then the STARTING committed and was
     * forwarded after it. A committed state older than one the framework was told is superseded.
     */
    @Test
    void aStateCommittedAfterALaterOneWentAheadIsNotForwarded()
    {
        final long[] ids = launched("t1");
        final int told = peers.statuses(FRAMEWORK).size();
        leader.stalled(now, 2 * SECOND);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.STARTING, 1, 1).to(leader, 1);
        leader.cycle(now);
        assertEquals(2, leader.pendingProposals(), "the empty record, then STARTING (not sent ahead)");
        leader.commitFirst(1); // the empty record: caught up
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        leader.commit();
        leader.cycle(now);
        assertEquals(List.of(TaskState.RUNNING), peers.statuses(FRAMEWORK).stream().skip(told)
            .map(RecordingPeers.Status::state).toList(), "never STARTING after RUNNING");
        assertTrue(peers.to(AGENT, StatusAckDecoder.TEMPLATE_ID).stream()
            .anyMatch(a -> a.decode(new StatusAckDecoder()).uuidMsb() == 1), "the superseded STARTING is acknowledged");
        assertEquals(TaskState.RUNNING, leader.state().task(ids[1], "t1").state);
    }

    /** While catching up, a STARTING coalesced away by its RUNNING is acknowledged when resent, not dropped forever. */
    @Test
    void aCoalescedAwayUpdateIsAcknowledgedWhenResent()
    {
        final long[] ids = launched("t1");
        leader.stalled(now, 2 * SECOND);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.STARTING, 1, 1).to(leader, 1);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        after(0);
        assertEquals(TaskState.RUNNING, leader.state().task(ids[1], "t1").state);
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.STARTING, 1, 1).to(leader, 1); // resent, never acknowledged
        after(0);
        assertTrue(peers.to(AGENT, StatusAckDecoder.TEMPLATE_ID).stream()
            .anyMatch(a -> a.decode(new StatusAckDecoder()).uuidMsb() == 1), "acknowledged: the agent stops resending");
        assertEquals(0, leader.badRecords());
    }

    /**
     * The long chaos run's last finding: a new leader answered a reconciliation STAGING for a task
     * the framework had been told RUNNING, because the agent's first word to it was a heartbeat
     * (no task list). Until an agent registers with this leader, its heartbeats are answered
     * "register again", and reconciliation says nothing of its tasks.
     */
    @Test
    void aNewLeaderAsksAnAgentThatOnlyHeartbeatsToRegisterWithItsTaskList()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        leader.refuseProposals(); // the leader lost office before RUNNING committed
        leader.newTerm(now);
        final int told = peers.statuses(FRAMEWORK).size();
        final int errors = peers.count(AGENT, io.corral.codec.sbe.ErrorReplyDecoder.TEMPLATE_ID);
        frames.heartbeat(ids[0]).to(leader, 1);
        frames.reconcile(ids[1], "t1").to(leader, 2);
        after(0);
        assertEquals(errors + 1, peers.count(AGENT, io.corral.codec.sbe.ErrorReplyDecoder.TEMPLATE_ID),
            "the heartbeat is answered: register again");
        assertEquals(told, peers.statuses(FRAMEWORK).size(), "no answer from a log that lacks RUNNING");

        frames.registerAgent(ids[0], AGENT, 4000, 4096, "1\n" + ids[1] + "/t1\tRUNNING").to(leader, 1);
        after(0);
        final int acked = peers.count(AGENT, AgentRegisteredDecoder.TEMPLATE_ID);
        frames.heartbeat(ids[0]).to(leader, 1);
        frames.reconcile(ids[1], "t1").to(leader, 2);
        after(0);
        assertEquals(acked + 1, peers.count(AGENT, AgentRegisteredDecoder.TEMPLATE_ID), "now its heartbeats are answered");
        final List<RecordingPeers.Status> got = peers.statuses(FRAMEWORK);
        assertEquals(TaskState.RUNNING, got.get(got.size() - 1).state(), "and reconciliation says RUNNING");
    }

    /**
     * The long chaos run's next finding: the agent registered while the new leader caught up (its
     * list waited), the catch-up ended on an entry of Raft's own (no event, nothing run), and a
     * reconciliation read before the duty cycle was answered from the log (STAGING) ahead of the
     * waiting list (RUNNING). What waited for the catch-up now goes before any answer.
     */
    @Test
    void aReconciliationRightAfterTheCatchUpIsAnsweredAfterTheListsThatWaited()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        leader.refuseProposals(); // RUNNING went ahead of the log, and the leader lost office
        leader.newTermBeforeRaftEntry(now);
        frames.registerAgent(ids[0], AGENT, 4000, 4096, "1\n" + ids[1] + "/t1\tRUNNING").to(leader, 1);
        leader.cycle(now);
        final int told = peers.statuses(FRAMEWORK).size();
        leader.passRaftEntry(); // caught up, with no event
        frames.reconcile(ids[1], "t1").to(leader, 2); // read before the next duty cycle
        oneMoreStatus(told, TaskState.RUNNING, "answered RUNNING, as the agent listed");
    }

    /**
     * The 200-endpoint scale run's finding: frameworks busy accepting were removed because their
     * Subscribe heartbeats came late. Any call of the framework's own keeps it; silence still
     * removes it.
     */
    @Test
    void aFrameworkThatKeepsCallingIsNotRemovedForALateHeartbeat()
    {
        registerAgent();
        frames.subscribe(0, FRAMEWORK, 0).to(leader, 2);
        after(0);
        final long frameworkId = leader.state().frameworks().get(0).id();
        for (int i = 0; i < 5; i++)
        {
            frames.acknowledge(frameworkId, "t" + i, 1, 1).to(leader, 2); // no Subscribe: calls only
            after(2 * SECOND);
            assertNotNull(leader.state().framework(frameworkId), "alive while it calls (" + (2 * i + 2) + " s)");
        }
        after(2 * SECOND);
        after(2 * SECOND);
        assertNull(leader.state().framework(frameworkId), "silent past its timeout: removed");
    }

    /** A task list of {@code others} tasks the masters do not know, with t1 RUNNING first: several parts. */
    private static io.corral.codec.TaskListParts longList(final long frameworkId, final int others)
    {
        final StringBuilder lines = new StringBuilder().append(frameworkId).append("/t1\tRUNNING");
        for (int i = 0; i < others; i++)
        {
            lines.append('\n').append(frameworkId).append("/other-task-").append(i).append("\tRUNNING");
        }
        return io.corral.codec.TaskListParts.of(others + 1, lines);
    }

    /**
     * The long chaos run's finding: an agent with thousands of tasks sent no list at all (it did
     * not fit one message), so a new leader answered reconciliation from its log (STAGING) for
     * tasks the framework had been told RUNNING. The list now goes in parts before the
     * registration, and the leader learns from all of it.
     */
    @Test
    void aNewLeaderLearnsFromATaskListSentInParts()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        leader.refuseProposals(); // RUNNING went ahead of the log, and the leader lost office
        leader.newTerm(now);
        final io.corral.codec.TaskListParts list = longList(ids[1], 5_000);
        assertTrue(list.before().size() >= 3, "several parts: " + list.before().size());
        for (int part = 0; part < list.before().size(); part++)
        {
            frames.agentTasks(ids[0], part, list.before().get(part)).to(leader, 1);
        }
        frames.registerAgent(ids[0], AGENT, 4000, 4096, list.registration()).to(leader, 1);
        after(0);
        assertEquals(TaskState.RUNNING, leader.state().task(ids[1], "t1").state, "learned from the first part");
        final int told = peers.statuses(FRAMEWORK).size();
        frames.reconcile(ids[1], "t1").to(leader, 2);
        after(0);
        oneMoreStatus(told, TaskState.RUNNING, "reconciliation says RUNNING, not STAGING");
        assertEquals(0, leader.badRecords());
    }

    /**
     * A registration whose list says parts went before it that did not arrive here (sent to an
     * earlier leader, say) is refused: taken as whole, the list would make the tasks in the missing
     * parts LOST. Nothing changes; the agent's next registration, whole, is taken.
     */
    @Test
    void aRegistrationMissingPartsOfItsListIsRefusedAndChangesNothing()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        after(0);
        leader.newTerm(now);
        final io.corral.codec.TaskListParts list = longList(ids[1], 5_000);
        final int errors = peers.count(AGENT, io.corral.codec.sbe.ErrorReplyDecoder.TEMPLATE_ID);
        final int acked = peers.count(AGENT, AgentRegisteredDecoder.TEMPLATE_ID);
        for (int part = 1; part < list.before().size(); part++) // part 0 went elsewhere
        {
            frames.agentTasks(ids[0], part, list.before().get(part)).to(leader, 1);
        }
        frames.registerAgent(ids[0], AGENT, 4000, 4096, list.registration()).to(leader, 1);
        after(0);
        assertTrue(peers.count(AGENT, io.corral.codec.sbe.ErrorReplyDecoder.TEMPLATE_ID) > errors, "told why");
        assertEquals(acked, peers.count(AGENT, AgentRegisteredDecoder.TEMPLATE_ID), "not registered");
        assertEquals(TaskState.RUNNING, leader.state().task(ids[1], "t1").state, "t1 not made LOST");

        for (int part = 0; part < list.before().size(); part++)
        {
            frames.agentTasks(ids[0], part, list.before().get(part)).to(leader, 1);
        }
        frames.registerAgent(ids[0], AGENT, 4000, 4096, list.registration()).to(leader, 1);
        after(0);
        assertEquals(acked + 1, peers.count(AGENT, AgentRegisteredDecoder.TEMPLATE_ID), "the whole list is taken");
        assertEquals(TaskState.RUNNING, leader.state().task(ids[1], "t1").state);
    }

    /**
     * And the one after it: an agent registered with a new leader while the launch of its task was
     * still in entries the leader had not applied; its report found no task and was lost, and
     * reconciliation answered STAGING. Reports that arrive while catching up are read once caught up.
     */
    @Test
    void anAgentsReportWhileCatchingUpIsReadOnceCaughtUp()
    {
        final long agentId = registerAgent();
        final long frameworkId = subscribe(60_000);
        after(0);
        frames.accept(frameworkId, lastOffer().offerId(), "t1", 1000, 512).to(leader, 2);
        leader.cycle(now);
        assertEquals(1, leader.pendingProposals(), "the launch, not applied here yet");
        leader.newTermBeforeApplying(now);
        frames.registerAgent(agentId, AGENT, 4000, 4096, "1\n" + frameworkId + "/t1\tRUNNING").to(leader, 1);
        frames.reconcile(frameworkId, "t1").to(leader, 2);
        leader.cycle(now);
        leader.commit(); // the launch
        after(0);
        after(0);
        final List<RecordingPeers.Status> got = peers.statuses(FRAMEWORK);
        assertTrue(!got.isEmpty(), "the reconciliation was answered");
        assertEquals(TaskState.RUNNING, got.get(got.size() - 1).state(), "RUNNING, as the agent reported: " + got);
        assertEquals(TaskState.RUNNING, leader.state().task(frameworkId, "t1").state, "and replicated");
        assertEquals(0, leader.badRecords());
    }

    /**
     * The same answer by another way: the agent listed the task FINISHED (its end unacknowledged,
     * not in the new leader's log yet) and the log had it STAGING; the framework had been told
     * RUNNING ahead. Reconciliation waits for the end to commit instead of answering STAGING.
     */
    @Test
    void aTaskItsAgentReportsEndedIsNotReconciledFromTheLogsOlderState()
    {
        final long[] ids = launched("t1");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.RUNNING, 2, 2).to(leader, 1);
        leader.cycle(now);
        leader.refuseProposals(); // RUNNING went ahead; the leader lost office before it committed
        leader.newTerm(now);
        final int told = peers.statuses(FRAMEWORK).size();
        frames.registerAgent(ids[0], AGENT, 4000, 4096, "1\n" + ids[1] + "/t1\tFINISHED").to(leader, 1);
        frames.reconcile(ids[1], "t1").to(leader, 2);
        after(0);
        assertEquals(told, peers.statuses(FRAMEWORK).size(), "no STAGING from the log while the end is on its way");
        frames.statusUpdate(ids[0], ids[1], "t1", TaskState.FINISHED, 3, 3).to(leader, 1); // resent
        after(0);
        frames.reconcile(ids[1], "t1").to(leader, 2);
        after(0);
        final List<TaskState> since = peers.statuses(FRAMEWORK).stream().skip(told).map(RecordingPeers.Status::state)
            .toList();
        assertEquals(List.of(TaskState.FINISHED, TaskState.FINISHED), since, "the end, then the answer");
    }

    @Test
    void aPassMakesOnlyTheOffersWhoseLaunchesFitAndTheOtherAgentsFollowAsOffersAreAnswered()
    {
        leader = new InProcessLeader(7, config().maxLaunchesInFlight(32), peers, now);
        for (int i = 0; i < 10; i++)
        {
            frames.registerAgent(0, "127.0.0.1:" + (41_000 + i), 4000, 4096).to(leader, 10 + i);
        }
        after(0);
        assertEquals(10, leader.state().agentCount());
        final long frameworkId = subscribe(60_000);
        after(0);
        after(0);
        final List<RecordingPeers.Sent> first = peers.to(FRAMEWORK, OfferDecoder.TEMPLATE_ID);
        assertEquals(2, first.size(), "32 launches in hand at most, 16 tasks an offer expected: two offers, not ten");
        final java.util.Set<Long> offered = new java.util.HashSet<>();
        int answered = 0;
        for (int round = 0; round < 20 && offered.size() < 10; round++)
        {
            final List<RecordingPeers.Sent> sent = peers.to(FRAMEWORK, OfferDecoder.TEMPLATE_ID);
            for (final RecordingPeers.Sent offer : sent.subList(answered, sent.size()))
            {
                final OfferDecoder o = offer.decode(new OfferDecoder());
                offered.add(o.agentId());
                frames.decline(frameworkId, o.offerId(), 0).to(leader, 2);
            }
            answered = sent.size();
            after(0);
        }
        assertEquals(10, offered.size(), "every agent was offered once the first offers were answered");
    }
}
