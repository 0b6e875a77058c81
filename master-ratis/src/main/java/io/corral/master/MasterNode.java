package io.corral.master;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.Subscription;
import io.corral.codec.MasterInbound;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Protocol;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One master: a Ratis server (gRPC, log on disk) applying records to {@link MasterState}, an Aeron
 * endpoint for agents and frameworks, and one duty thread that owns every piece of mutable
 * leader state. Non-leaders answer requests with the leader's address.
 */
public final class MasterNode implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MasterNode.class);
    private static final RaftGroupId GROUP_ID =
        RaftGroupId.valueOf(UUID.nameUUIDFromBytes("corral-masters".getBytes(StandardCharsets.UTF_8)));

    private final MasterConfig config;
    /** Wall-clock time for the timestamps records carry (chosen when a record is made, never when applied). */
    private final org.agrona.concurrent.EpochClock clock = org.agrona.concurrent.SystemEpochClock.INSTANCE;
    private final MasterState state;
    private final MasterMetrics metrics;
    /** Work handed to the duty thread by other threads (the HTTP API). */
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands = new ManyToOneConcurrentLinkedQueue<>();
    private final RaftServer server;
    private final RaftClient client;
    private final java.util.function.Supplier<RaftClient> raftClients;
    private final Aeron aeron;
    private final Subscription subscription;
    private final Connections connections;
    /** Authenticated sessions with agents and frameworks; null when run with --insecure. */
    private final Sessions sessions;
    private final Duty duty;
    private final MasterStateMachine stateMachine;
    /** The last view the duty thread built, for a caller it cannot answer (it stopped). */
    private volatile MasterView lastView;
    /** Counts the duty thread publishes after each cycle that applied records (metrics read them). */
    private volatile Gauges gauges = new Gauges(0, 0, 0, new java.util.EnumMap<>(io.corral.codec.sbe.TaskState.class));

    /** What the metrics read: published by the duty thread, immutable. */
    record Gauges(long lastAppliedIndex, int agents, int frameworks,
        java.util.EnumMap<io.corral.codec.sbe.TaskState, Integer> tasks)
    {
    }
    private final AgentRunner runner;
    private final MasterHttp http;
    private final java.util.concurrent.atomic.AtomicLong snapshotCallIds = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean leader;
    private volatile boolean closing;
    private volatile long leaderTerm;
    /** How long this master's proposals have failed without a success (duty thread writes): /health reports it. */
    private volatile long proposalsFailingNs;
    /** When the duty thread last started a cycle (System.nanoTime): /health reports a stalled one. */
    private volatile long lastCycleNs = System.nanoTime();

    public MasterNode(final MasterConfig config) throws IOException
    {
        config.conclude();
        this.config = config;
        if (config.isInsecure())
        {
            LOG.warn("master {} runs INSECURE (--insecure): nobody is authenticated; anyone who can reach {} can " +
                "register agents, subscribe frameworks and take offers", config.id(), config.address());
        }
        else if (config.isInsecureRaft())
        {
            LOG.warn("master {} runs Raft WITHOUT TLS (--insecure-raft): anyone who can reach port {} can write " +
                "records to the cluster's log", config.id(), Protocol.port(config.address()) + Protocol.RAFT_PORT_OFFSET);
        }
        this.state = new MasterState(new ResourceVectors(config.resourceKinds()));
        state.operators(config.operators());
        if (!config.isInsecure() && config.operators().isEmpty())
        {
            LOG.warn("master {} has no --operators: nobody may set ACLs or quotas, or kill another principal's " +
                "tasks, until the masters are restarted with --operators NAME,...", config.id());
        }
        this.metrics = new MasterMetrics(this);
        final RaftGroup group = RaftGroup.valueOf(GROUP_ID, RaftSettings.peers(config.peers()));
        final RaftProperties properties = RaftSettings.properties(config);
        duty = new Duty();
        stateMachine = new MasterStateMachine(state, duty::onEvent, duty::leading, metrics::applied);
        // A master restarted on its data directory recovers its log; a new one formats it.
        final boolean existing = new java.io.File(config.dataDir(), GROUP_ID.getUuid().toString()).isDirectory();
        final org.apache.ratis.conf.Parameters parameters = RaftSettings.parameters(config);
        server = RaftServer.newBuilder().setServerId(peerId(config.id())).setGroup(group).setProperties(properties)
            .setParameters(parameters).setStateMachine(stateMachine)
            .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT).build();
        server.start();
        // Bounded retries: a proposal either commits within seconds or is known to have failed, so
        // a task the leader does not know 15 s after its accept never launches (the driver
        // reconciles such tasks and is told LOST); an endless retry could launch it much later.
        // It proposes only while this master leads, so it starts out addressing this master: a
        // client that still named the old leader spent its first requests timing out on it.
        raftClients = () -> RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
            .setRaftGroup(group).setLeaderId(peerId(config.id()))
            .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.retryUpToMaximumCountWithFixedSleep(5,
                TimeDuration.valueOf(200, TimeUnit.MILLISECONDS))).build();
        // For operators' admin calls (membership, leadership transfer, snapshots); proposals go
        // through the proposer's own client, which it replaces when Ratis closes it.
        client = raftClients.get();

        aeron = MediaDrivers.connect();
        subscription = aeron.addSubscription(Protocol.channel(config.address()), Protocol.STREAM_ID);
        connections = new Connections(aeron, metrics.endpointsRefused::inc);
        sessions = config.credentials() == null ? null :
            new Sessions(config.id(), config.credentials(), connections, metrics);
        duty.connect(sessions == null ? connections : sessions);
        // From here on the duty thread owns the state; entries Ratis committed meanwhile wait for it.
        stateMachine.handOff();
        runner = new AgentRunner(new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(100),
            TimeUnit.MILLISECONDS.toNanos(1)), io.corral.codec.DutyErrors.logOrExit(LOG, "master " + config.id(),
            metrics.dutyErrors::inc), null, duty);
        AgentRunner.startOnThread(runner);
        http = new MasterHttp(this, Protocol.host(config.address()),
            Protocol.port(config.address()) + Protocol.HTTP_PORT_OFFSET);
        LOG.info("master {} listening on {} (raft port {}{}, {} port {}), data in {}", config.id(), config.address(),
            Protocol.port(config.address()) + Protocol.RAFT_PORT_OFFSET, config.isInsecureRaft() ? ", no TLS" : ", mutual TLS",
            config.httpTls() != null ? "https" : "http", http.port(), config.dataDir());
    }

    private static RaftPeerId peerId(final int id)
    {
        return RaftSettings.peerId(id);
    }

    /** True when run with --insecure: no credentials, nobody authenticated. */
    public boolean insecure()
    {
        return config.isInsecure();
    }

    public int id()
    {
        return config.id();
    }

    public String address()
    {
        return config.address();
    }

    /** True once this node leads and its duties are running. */
    public boolean isLeader()
    {
        return leader;
    }

    public long term()
    {
        return leaderTerm;
    }

    MasterMetrics metrics()
    {
        return metrics;
    }

    /** Has the duty thread publish its latest latencies (a scrape), waiting up to 2 s for it. */
    void publishMetrics()
    {
        final java.util.concurrent.CompletableFuture<Boolean> done = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> done.complete(metricsPublished()));
        try
        {
            done.get(2, TimeUnit.SECONDS);
        }
        catch (final java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException ex)
        {
            // the duty thread is stuck or gone: the scrape shows what was published last
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private boolean metricsPublished()
    {
        metrics.publish(System.nanoTime(), true);
        return true;
    }

    Gauges gauges()
    {
        return gauges;
    }

    public ResourceVectors vectors()
    {
        return state.vectors();
    }

    /**
     * The replicated state as snapshot bytes ({@link MasterState#snapshotBytes}), made by the duty
     * thread: equal on masters that applied the same log. Null if the duty thread does not answer.
     */
    public byte[] snapshotBytes() throws InterruptedException
    {
        final java.util.concurrent.CompletableFuture<byte[]> bytes = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> bytes.complete(state.snapshotBytes()));
        try
        {
            return bytes.get(10, TimeUnit.SECONDS);
        }
        catch (final java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException ex)
        {
            return null;
        }
    }

    /**
     * An immutable copy of the replicated state as this master has applied it (every master has
     * one), built by the duty thread on request. If the duty thread does not answer within 10 s
     * (it has stopped), the last copy it built.
     */
    public MasterView state()
    {
        if (runner.isClosed())
        {
            final MasterView last = lastView;
            return last != null ? last : MasterView.empty(state.vectors());
        }
        final java.util.concurrent.CompletableFuture<MasterView> view = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> view.complete(state.view()));
        try
        {
            final MasterView built = view.get(10, TimeUnit.SECONDS);
            lastView = built;
            return built;
        }
        catch (final java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException ex)
        {
            final MasterView last = lastView;
            return last != null ? last : MasterView.empty(state.vectors());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for master " + config.id() + "'s state", ex);
        }
    }

    /**
     * Changes the quorum's membership (Raft joint consensus): e.g. to replace a master that lost
     * its disk, start the new one with the new member list, then call this with that list. The
     * leader catches the newcomer up, from a snapshot if its log was purged.
     */
    public void setMembers(final Map<Integer, String> members) throws IOException
    {
        final org.apache.ratis.protocol.RaftClientReply reply =
            client.admin().setConfiguration(RaftSettings.peers(members));
        if (!reply.isSuccess())
        {
            throw new IOException("membership change to " + members.keySet() + " failed: " + reply.getException());
        }
    }

    /**
     * The index the next entry of this master's Raft log gets: 0 while its log is empty. Ratis
     * does not count a pre-vote from a master with an empty log, so two masters of three, one of
     * them empty, cannot elect a leader (a follower started after the leader, and not yet sent an
     * entry when the leader stops): a cluster is ready once every master has an entry.
     */
    public long logNextIndex() throws IOException
    {
        return server.getDivision(GROUP_ID).getRaftLog().getNextIndex();
    }

    /** First index still in this master's Raft log: above 0 once a snapshot let it purge the start. */
    public long logStartIndex() throws IOException
    {
        return server.getDivision(GROUP_ID).getRaftLog().getStartIndex();
    }

    /** Asks Raft for a snapshot now (operators; tests); returns its log index. */
    public long takeSnapshot() throws IOException
    {
        final org.apache.ratis.protocol.SnapshotManagementRequest request =
            org.apache.ratis.protocol.SnapshotManagementRequest.newCreate(client.getId(), peerId(config.id()), GROUP_ID,
                snapshotCallIds.incrementAndGet(), 30_000);
        final org.apache.ratis.protocol.RaftClientReply reply = server.snapshotManagement(request);
        if (!reply.isSuccess())
        {
            throw new IOException("snapshot failed: " + reply.getException());
        }
        return reply.getLogIndex();
    }

    private DivisionInfo info()
    {
        try
        {
            return server.getDivision(GROUP_ID).getInfo();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /** The index the next entry appended to this master's Raft log gets (-1 if the division is not there). */
    private long nextLogIndex()
    {
        final org.apache.ratis.server.raftlog.RaftLog log = raftLog();
        return log == null ? -1 : log.getNextIndex();
    }

    /** Raft's commit index as this master knows it (-1 if the division is not there). */
    private long committedIndex()
    {
        final org.apache.ratis.server.raftlog.RaftLog log = raftLog();
        return log == null ? -1 : log.getLastCommittedIndex();
    }

    private org.apache.ratis.server.raftlog.RaftLog raftLog()
    {
        try
        {
            return server.getDivision(GROUP_ID).getRaftLog();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /** The Raft term this master is in (leader or not). */
    public long currentTerm()
    {
        final DivisionInfo info = info();
        return info == null ? 0 : info.getCurrentTerm();
    }

    /** The id of the master this one believes leads, or 0. */
    public int leaderId()
    {
        final DivisionInfo info = info();
        final RaftPeerId id = info == null ? null : info.getLeaderId();
        return id == null ? 0 : Integer.parseInt(id.toString().substring(1));
    }

    /**
     * Sets a role's weight and quota: checked by the leader against its allocator, then replicated.
     * Completes with null once committed, or with the reason it was refused (including "not the
     * leader", with the leader's address).
     */
    public java.util.concurrent.CompletableFuture<String> configureRole(final MasterState.Role role)
    {
        return configureRole(role, null);
    }

    /** As {@link #configureRole(MasterState.Role)} for {@code principal} (null: anyone), if the ACL lets it set quotas. */
    public java.util.concurrent.CompletableFuture<String> configureRole(final MasterState.Role role,
        final String principal)
    {
        final java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> duty.operator.configureRole(role, principal, result));
        return result;
    }

    /**
     * Replaces the authorization rules with {@code rules} for {@code principal} (null: anyone):
     * refused unless the current rules let it set ACLs, the new ones parse, and they still let it
     * (so nobody locks every operator out). Completes with null once committed, or why not.
     */
    public java.util.concurrent.CompletableFuture<String> setAcl(final String rules, final String principal)
    {
        final java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> duty.operator.setAcl(rules, principal, result));
        return result;
    }

    /**
     * An operator's kill (corral kill): the leader asks the task's agent to kill it. Completes with
     * null once sent, or why not.
     */
    public java.util.concurrent.CompletableFuture<String> killTask(final long frameworkId, final String taskId)
    {
        return killTask(frameworkId, taskId, null);
    }

    /**
     * As {@link #killTask(long, String)} for {@code principal} (null: anyone): refused, with a
     * reason that starts "not permitted", unless the task's framework is that principal's.
     */
    public java.util.concurrent.CompletableFuture<String> killTask(final long frameworkId, final String taskId,
        final String principal)
    {
        final java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> duty.operator.killTask(frameworkId, taskId, principal, result, duty.nowNs));
        return result;
    }

    /**
     * Where a task's sandbox is and, on a master with credentials, a token its agent accepts
     * ({@link io.corral.codec.HttpAuth#sandboxToken}): {@code refused} says why not instead (starting
     * "not the leader", "not permitted", "no task" or "unavailable").
     */
    public record SandboxGrant(String agentHttp, String token, long expiresAtSeconds, String refused)
    {
        static SandboxGrant refused(final String why)
        {
            return new SandboxGrant(null, null, 0, why);
        }
    }

    /**
     * A sandbox grant for {@code principal} (null: anyone): the leader checks that the task's
     * framework is that principal's or that the ACL lets it read the owner's sandboxes, then signs a
     * token with the secret of the principal the task's agent authenticated as.
     */
    public java.util.concurrent.CompletableFuture<SandboxGrant> sandbox(final long frameworkId, final String taskId,
        final String principal)
    {
        final java.util.concurrent.CompletableFuture<SandboxGrant> result = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> result.complete(duty.operator.sandbox(frameworkId, taskId, principal)));
        return result;
    }

    /** The cluster's settings this master runs with. */
    public MasterConfig config()
    {
        return config;
    }

    /**
     * The leader's resource books ({@link LeaderDuties#accounting}): allocated, offered, used by
     * live tasks, per kind. Completes with null on a master that does not lead.
     */
    public java.util.concurrent.CompletableFuture<long[][]> accounting()
    {
        final java.util.concurrent.CompletableFuture<long[][]> result = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> result.complete(duty.duties == null ? null : duty.duties.accounting()));
        return result;
    }

    /**
     * Asks Raft to hand leadership to master {@code toId} (an operator's planned move, and how
     * tests force elections). Throws with Raft's reason if the transfer did not happen.
     */
    public void transferLeadership(final int toId, final long timeoutMs) throws IOException
    {
        final org.apache.ratis.protocol.RaftClientReply reply = client.admin().transferLeadership(peerId(toId),
            timeoutMs);
        if (!reply.isSuccess())
        {
            throw new IOException("leadership transfer to master " + toId + " failed: " + reply.getException());
        }
    }

    /**
     * Fault injection (tests, chaos): closes the Raft client this master proposes through, as Ratis
     * closes an ordered client whose retries for a request ran out. Completes once done.
     */
    public java.util.concurrent.CompletableFuture<Void> closeProposalClientOnPurpose()
    {
        final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() ->
        {
            duty.proposer.closeClientOnPurpose();
            done.complete(null);
        });
        return done;
    }

    /** Fault injection (tests, chaos): while on, every proposal of this master fails at once. */
    public void failProposalsOnPurpose(final boolean on)
    {
        duty.proposer.failOnPurpose(on);
    }

    /** While leading, how long proposals have failed without a success in between, in ms (0: they commit). */
    public long proposalsFailingMs()
    {
        return leader ? TimeUnit.NANOSECONDS.toMillis(proposalsFailingNs) : 0;
    }

    /** How long ago the duty thread started its last cycle, in ms: large if it is stuck or gone. */
    public long dutyIdleMs()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastCycleNs);
    }

    /** Address of the leading master, or "" if none is known. */
    public String leaderAddress()
    {
        return config.peers().getOrDefault(leaderId(), "");
    }

    /** The {@code /api/v1/state} document of this master. */
    public Map<String, Object> stateDocument()
    {
        return MasterHttp.snapshot(this);
    }

    @Override
    public void close()
    {
        // Silent from here on: a master shutting down neither leads nor redirects anyone.
        closing = true;
        http.close();
        try
        {
            client.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("closing raft client", ex);
        }
        // The Raft server stops while the duty thread still owns the state: the snapshot Ratis
        // takes on stop, and entries it applies while stopping, go through their owner.
        try
        {
            server.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("closing raft server", ex);
        }
        runner.close();
        duty.proposer.close();
        stateMachine.ownerStopped();
        connections.close();
        subscription.close();
        MediaDrivers.release(aeron);
    }

    /** The duty cycle: apply committed entries, check leadership, run commands, poll Aeron, run leader duties. */
    private final class Duty implements Agent, MasterEndpoint.Leadership
    {
        private static final int FRAGMENT_LIMIT = 64;
        private final RecordWriter records = new RecordWriter(state.vectors());
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
        private final long stallNs = TimeUnit.MILLISECONDS.toNanos(Math.max(1, config.electionMinMs() / 2));

        /**
         * Tells the duties (if leading) that this thread stood still since it last looked: until
         * an entry written after now commits, nothing goes to a framework ahead of the log.
         */
        private void checkStall(final long now)
        {
            if (duties != null && now - lastProgressNs > stallNs)
            {
                duties.stalled(nextLogIndex(), now - lastProgressNs);
            }
            lastProgressNs = now;
        }

        /** Wires the outbound side once the connections exist (before the thread starts). */
        void connect(final Peers direct)
        {
            bundling = new BundlingPeers(direct, sessions == null ? endpoint -> true :
                endpoint -> sessions.principalAt(endpoint) != null);
            final Peers peers = bundling;
            proposer = new RaftProposer(config.proposeViaClient() ? RaftLogs.client(raftClients, metrics) :
                RaftLogs.local(server, peerId(config.id()), GROUP_ID), commands, metrics, () -> duties);
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
            if (closing)
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
                gauges = new Gauges(state.lastAppliedIndex(), state.agentCount(), state.frameworkCount(),
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
            final DivisionInfo info = info();
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
                duties = new LeaderDuties(term, config, state, outputs, committedIndex(), nowNs);
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

        /**
         * A leader whose proposals have failed for too long hands leadership to another master (in
         * turn, off the duty thread: the call blocks), or steps down if none takes it.
         */
        private void stepDownBecauseFailing(final long failingNs)
        {
            metrics.stepDowns.inc();
            LOG.error("master {}: proposals have failed for {} s while leading; giving up leadership", config.id(),
                TimeUnit.NANOSECONDS.toSeconds(failingNs));
            final java.util.List<Integer> others = new java.util.ArrayList<>(config.peers().keySet());
            others.remove(Integer.valueOf(config.id()));
            final Thread handOver = new Thread(() ->
            {
                for (final int other : others)
                {
                    try
                    {
                        if (client.admin().transferLeadership(peerId(other), config.electionMaxMs() * 10).isSuccess())
                        {
                            return;
                        }
                    }
                    catch (final IOException | RuntimeException ex)
                    {
                        LOG.warn("master {}: handing leadership to master {} failed: {}", config.id(), other,
                            ex.toString());
                    }
                }
                try
                {
                    // No one took it: step down, and let an election decide.
                    server.transferLeadership(new org.apache.ratis.protocol.TransferLeadershipRequest(client.getId(),
                        peerId(config.id()), GROUP_ID, snapshotCallIds.incrementAndGet(), null,
                        config.electionMaxMs() * 10));
                }
                catch (final IOException | RuntimeException ex)
                {
                    LOG.warn("master {}: stepping down failed: {}", config.id(), ex.toString());
                }
            }, "corral-master-" + config.id() + "-step-down");
            handOver.setDaemon(true);
            handOver.start();
        }

        @Override
        public LeaderDuties duties()
        {
            return duties;
        }

        @Override
        public int leaderId()
        {
            return MasterNode.this.leaderId();
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
            lastView = state.view();
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
            return "not the leader; the leader is " + (leaderAddress().isEmpty() ? "not known yet" : leaderAddress());
        }

        @Override
        public String roleName()
        {
            return "corral-master-" + config.id();
        }
    }
}
