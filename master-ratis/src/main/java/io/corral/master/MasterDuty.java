package io.corral.master;

import java.util.concurrent.TimeUnit;

import io.aeron.Subscription;
import io.corral.codec.MasterInbound;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.apache.ratis.server.DivisionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A master's duty thread, the owner of its mutable state: each cycle applies committed entries,
 * checks who leads, runs commands other threads queued, reads the Aeron endpoint, runs the leader
 * duties (while leading), and sends what the cycle gathered. What other threads may read of it
 * (whether it leads, in which term, when it last cycled, counts for the metrics) it publishes in
 * volatile fields it alone writes.
 */
final class MasterDuty implements Agent, Leadership
{
    private static final Logger LOG = LoggerFactory.getLogger(MasterNode.class);
    private static final int FRAGMENT_LIMIT = 64;

    private final MasterNode node;
    private final MasterConfig config;
    private final MasterState state;
    private final MasterMetrics metrics;
    /** Wall-clock time for the timestamps records carry (chosen when a record is made, never when applied). */
    private final EpochClock clock;
    /** Work handed to this thread by other threads (the HTTP API). */
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands;
    private final RecordWriter records;
    private MasterStateMachine stateMachine;
    private Subscription subscription;
    private Connections connections;
    /** Authenticated sessions with agents and frameworks; null when run with --insecure. */
    private Sessions sessions;

    private Outputs outputs;
    private RaftProposer proposer;
    /** Kills, sandboxes, ACLs and roles asked for over HTTP. */
    private OperatorCommands operator;
    /** What the cycle sends, gathered per endpoint and sent as one frame each when it ends. */
    private BundlingPeers bundling;
    private MasterEndpoint endpoint;
    private io.aeron.FragmentAssembler assembler;
    /**
     * The assembler, with the clock looked at before each message: a pause can stop this
     * thread in the middle of a poll, and the messages read after it must not go ahead of the
     * log (a check at the cycle's start alone let the chaos run see RUNNING after FINISHED).
     */
    private final io.aeron.logbuffer.FragmentHandler pausable = (buffer, offset, length, header) ->
    {
        checkStall(System.nanoTime());
        assembler.onFragment(buffer, offset, length, header);
    };
    /** When this thread last showed it was running: a cycle's start, each message read. */
    private long lastProgressNs = System.nanoTime();
    private LeaderDuties duties;
    private long nowNs;
    /** The last cycle start by which every inbound message had been read. */
    private long heardUpToNs = System.nanoTime();
    private long nextRoleCheckNs;
    /** A gap between cycles this long could have seen another master elected (half the shortest election timeout). */
    private final long stallNs;

    /** Published for other threads; written only here. */
    private volatile boolean leader;
    private volatile long leaderTerm;
    /** How long this master's proposals have failed without a success: /health reports it. */
    private volatile long proposalsFailingNs;
    /** When this thread last started a cycle (System.nanoTime): /health reports a stalled one. */
    private volatile long lastCycleNs = System.nanoTime();
    /** Counts published after each cycle that applied records (metrics read them). */
    private volatile MasterNode.Gauges gauges =
        new MasterNode.Gauges(0, 0, 0, new java.util.EnumMap<>(io.corral.codec.sbe.TaskState.class));

    MasterDuty(final MasterNode node, final MasterConfig config, final MasterState state, final MasterMetrics metrics,
        final EpochClock clock, final ManyToOneConcurrentLinkedQueue<Runnable> commands)
    {
        this.node = node;
        this.config = config;
        this.state = state;
        this.metrics = metrics;
        this.clock = clock;
        this.commands = commands;
        this.records = new RecordWriter(state.vectors());
        this.stallNs = TimeUnit.MILLISECONDS.toNanos(Math.max(1, config.electionMinMs() / 2));
    }

    boolean isLeader()
    {
        return leader;
    }

    long leaderTerm()
    {
        return leaderTerm;
    }

    long proposalsFailingNs()
    {
        return proposalsFailingNs;
    }

    long lastCycleNs()
    {
        return lastCycleNs;
    }

    MasterNode.Gauges gauges()
    {
        return gauges;
    }

    /** The operator's commands (on this thread only). */
    OperatorCommands operator()
    {
        return operator;
    }

    /** The proposer (on this thread only, but for the fault-injection switch, which is thread-safe). */
    RaftProposer proposer()
    {
        return proposer;
    }

    /** The time of the current cycle (on this thread only). */
    long nowNs()
    {
        return nowNs;
    }


    /**
     * Tells the duties (if leading) that this thread stood still since it last looked: until
     * an entry written after now commits, nothing goes to a framework ahead of the log.
     */
    private void checkStall(final long now)
    {
        if (duties != null && now - lastProgressNs > stallNs)
        {
            duties.stalled(node.nextLogIndex(), now - lastProgressNs);
        }
        lastProgressNs = now;
    }

    /**
     * Wires the inbound and outbound sides once the state machine, the Aeron endpoint and the Raft
     * log exist (before the thread starts): {@code direct} sends (sealed, if {@code sessions}).
     */
    void connect(final Peers direct, final MasterStateMachine stateMachine, final Subscription subscription,
        final Connections connections, final Sessions sessions, final RaftProposer.RaftLog log)
    {
        this.stateMachine = stateMachine;
        this.subscription = subscription;
        this.connections = connections;
        this.sessions = sessions;
        bundling = new BundlingPeers(direct, sessions == null ? endpoint -> true :
            endpoint -> sessions.principalAt(endpoint) != null);
        final Peers peers = bundling;
        proposer = new RaftProposer(log, commands, metrics, () -> duties);
        outputs = new Outputs(new AgentPublisher(peers, state.vectors()), new FrameworkPublisher(peers, state.vectors()),
            records, proposer, metrics, clock);
        endpoint = new MasterEndpoint(config.id(), state, outputs, this, sessions);
        operator = new OperatorCommands(state, config, sessions, records, proposer, () -> duties, this::notLeader);
        final MasterInbound inbound = new MasterInbound(endpoint);
        inbound.gate(sessions);
        // Messages larger than one Aeron frame (an accept of many tasks) arrive in fragments.
        assembler = new io.aeron.FragmentAssembler(inbound);
    }

    @Override
    public int doWork()
    {
        nowNs = System.nanoTime();
        // This thread may have stood still (a paused process, a long GC) for long enough that
        // another master was elected meanwhile; what arrived during the pause (an agent's
        // RUNNING of a task the new leader has since told ended) is about to be read.
        checkStall(nowNs);
        lastCycleNs = nowNs;
        int work = 0;
        // Committed entries first (applied here, by the state's owner), then who leads.
        final long appliedBefore = state.appliedRecords();
        final long indexBefore = state.lastAppliedIndex();
        work += stateMachine.drain();
        if (state.lastAppliedIndex() != indexBefore)
        {
            metrics.applyRounds.inc();
        }
        if (node.closing())
        {
            // Only the state's owner is still needed (Ratis applies and snapshots while stopping).
            stepDown();
            return work + runCommands();
        }
        if (nowNs >= nextRoleCheckNs)
        {
            nextRoleCheckNs = nowNs + TimeUnit.MILLISECONDS.toNanos(20);
            checkRole();
        }
        work += runCommands();
        if (state.appliedRecords() != appliedBefore)
        {
            gauges = new MasterNode.Gauges(state.lastAppliedIndex(), state.agentCount(), state.frameworkCount(),
                state.taskCounts());
        }
        metrics.publish(nowNs, false);
        endpoint.cycle(nowNs);
        if (sessions != null)
        {
            sessions.cycle(nowNs);
        }
        final int fragments = subscription.poll(pausable, FRAGMENT_LIMIT);
        work += fragments;
        if (fragments < FRAGMENT_LIMIT)
        {
            heardUpToNs = nowNs; // everything that had arrived by the cycle's start is read
        }
        if (duties != null)
        {
            work += duties.doWork(nowNs, heardUpToNs);
        }
        work += proposer.sendWaiting();
        work += bundling.flush(nowNs);
        work += connections.retry(nowNs);
        work += connections.closeIdle(nowNs);
        metrics.publicationsOpen = connections.open();
        metrics.publicationsProvisional = connections.provisional();
        return work;
    }

    private int runCommands()
    {
        int work = 0;
        Runnable command;
        while ((command = commands.poll()) != null)
        {
            command.run();
            work++;
        }
        return work;
    }

    private void checkRole()
    {
        final DivisionInfo info = node.info();
        final boolean leading = info != null && info.isLeader() && info.isLeaderReady();
        final long term = info == null ? 0 : info.getCurrentTerm();
        final long failingNs = proposer.failingForNs(nowNs);
        proposalsFailingNs = failingNs;
        if (leading && failingNs > RaftProposer.FAILING_TOO_LONG_NS && nowNs >= nextStepDownNs)
        {
            nextStepDownNs = nowNs + RaftProposer.FAILING_TOO_LONG_NS;
            stepDownBecauseFailing(failingNs);
        }
        if (leading && (duties == null || duties.term() != term))
        {
            duties = new LeaderDuties(term, config, state, outputs, node.committedIndex(), nowNs);
            leaderTerm = term;
            leader = true;
        }
        else if (!leading && duties != null)
        {
            LOG.info("master {} stepped down from term {}", config.id(), duties.term());
            duties = null;
            leader = false;
        }
    }

    private long nextStepDownNs;

    /** A leader whose proposals have failed for too long hands leadership on ({@link MasterNode#handOverLeadership}). */
    private void stepDownBecauseFailing(final long failingNs)
    {
        metrics.stepDowns.inc();
        LOG.error("master {}: proposals have failed for {} s while leading; giving up leadership", config.id(),
            TimeUnit.NANOSECONDS.toSeconds(failingNs));
        node.handOverLeadership();
    }

    @Override
    public LeaderDuties duties()
    {
        return duties;
    }

    @Override
    public int leaderId()
    {
        return node.leaderId();
    }

    @Override
    public String leaderEndpoint()
    {
        return config.peers().getOrDefault(leaderId(), "");
    }

    private void stepDown()
    {
        duties = null;
        leader = false;
    }

    @Override
    public void onClose()
    {
        // Leader duties end with the thread; anything applied after this (shutdown) only changes state.
        stepDown();
        node.keepLastView(state.view());
    }

    /** True while this master has leader duties (asked by the state machine on this thread). */
    boolean leading()
    {
        return duties != null;
    }

    /** What an applied record did (called by the state machine on this thread, as it applies). */
    void onEvent(final MasterEvent event)
    {
        if (duties != null)
        {
            duties.onEvent(event, nowNs);
        }
    }

    private String notLeader()
    {
        return "not the leader; the leader is " + (node.leaderAddress().isEmpty() ? "not known yet" : node.leaderAddress());
    }

    @Override
    public String roleName()
    {
        return "corral-master-" + config.id();
    }
}
