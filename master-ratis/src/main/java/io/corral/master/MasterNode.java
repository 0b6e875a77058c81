package io.corral.master;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.Subscription;
import io.corral.codec.MasterInbound;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.AcceptDecoder;
import io.corral.codec.sbe.AcknowledgeDecoder;
import io.corral.codec.sbe.AgentHeartbeatDecoder;
import io.corral.codec.sbe.DeclineDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.KillDecoder;
import io.corral.codec.sbe.ReconcileDecoder;
import io.corral.codec.sbe.RegisterAgentDecoder;
import io.corral.codec.sbe.StatusUpdateDecoder;
import io.corral.codec.sbe.SubscribeDecoder;
import io.corral.codec.sbe.TeardownDecoder;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
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
    private final MasterState state;
    private final MasterMetrics metrics;
    /** Work handed to the duty thread by other threads (the HTTP API). */
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands = new ManyToOneConcurrentLinkedQueue<>();
    private final RaftServer server;
    private final RaftClient client;
    private final Aeron aeron;
    private final Subscription subscription;
    private final Connections connections;
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
    private volatile long leaderTerm;
    /** When the duty thread last started a cycle (System.nanoTime): /health reports a stalled one. */
    private volatile long lastCycleNs = System.nanoTime();

    public MasterNode(final MasterConfig config) throws IOException
    {
        config.conclude();
        this.config = config;
        this.state = new MasterState(new ResourceVectors(config.resourceKinds()));
        this.metrics = new MasterMetrics(this);
        final List<RaftPeer> peers = new ArrayList<>();
        config.peers().forEach((id, address) -> peers.add(RaftPeer.newBuilder().setId(peerId(id))
            .setAddress(Protocol.host(address) + ":" + (Protocol.port(address) + Protocol.RAFT_PORT_OFFSET)).build()));
        final RaftGroup group = RaftGroup.valueOf(GROUP_ID, peers);
        final RaftProperties properties = new RaftProperties();
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
        RaftServerConfigKeys.Log.setSegmentSizeMax(properties,
            org.apache.ratis.util.SizeInBytes.valueOf(config.logSegmentBytes()));
        duty = new Duty();
        stateMachine = new MasterStateMachine(state, duty::onEvent);
        // A master restarted on its data directory recovers its log; a new one formats it.
        final boolean existing = new java.io.File(config.dataDir(), GROUP_ID.getUuid().toString()).isDirectory();
        server = RaftServer.newBuilder().setServerId(peerId(config.id())).setGroup(group).setProperties(properties)
            .setStateMachine(stateMachine)
            .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT).build();
        server.start();
        // Bounded retries: a proposal either commits within seconds or is known to have failed, so
        // a task the leader does not know 15 s after its accept never launches (the driver
        // reconciles such tasks and is told LOST); an endless retry could launch it much later.
        client = RaftClient.newBuilder().setProperties(properties).setRaftGroup(group)
            .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.retryUpToMaximumCountWithFixedSleep(5,
                TimeDuration.valueOf(200, TimeUnit.MILLISECONDS))).build();

        aeron = MediaDrivers.connect();
        subscription = aeron.addSubscription(Protocol.channel(config.address()), Protocol.STREAM_ID);
        connections = new Connections(aeron);
        // From here on the duty thread owns the state; entries Ratis committed meanwhile wait for it.
        stateMachine.handOff();
        runner = new AgentRunner(new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(100),
            TimeUnit.MILLISECONDS.toNanos(1)), io.corral.codec.DutyErrors.logOrExit(LOG, "master " + config.id(),
            metrics.dutyErrors::inc), null, duty);
        AgentRunner.startOnThread(runner);
        http = new MasterHttp(this, Protocol.host(config.address()),
            Protocol.port(config.address()) + Protocol.HTTP_PORT_OFFSET);
        LOG.info("master {} listening on {} (raft port {}, http port {}), data in {}", config.id(), config.address(),
            Protocol.port(config.address()) + Protocol.RAFT_PORT_OFFSET, http.port(), config.dataDir());
    }

    private static RaftPeerId peerId(final int id)
    {
        return RaftPeerId.valueOf("m" + id);
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
        final List<RaftPeer> peers = new ArrayList<>();
        members.forEach((id, address) -> peers.add(RaftPeer.newBuilder().setId(peerId(id))
            .setAddress(Protocol.host(address) + ":" + (Protocol.port(address) + Protocol.RAFT_PORT_OFFSET)).build()));
        final org.apache.ratis.protocol.RaftClientReply reply = client.admin().setConfiguration(peers);
        if (!reply.isSuccess())
        {
            throw new IOException("membership change to " + members.keySet() + " failed: " + reply.getException());
        }
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
        final java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> duty.configureRole(role, result));
        return result;
    }

    /**
     * An operator's kill (corral kill): the leader asks the task's agent to kill it. Completes with
     * null once sent, or why not.
     */
    public java.util.concurrent.CompletableFuture<String> killTask(final long frameworkId, final String taskId)
    {
        final java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> duty.killTask(frameworkId, taskId, result));
        return result;
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
        stateMachine.ownerStopped();
        connections.close();
        subscription.close();
        MediaDrivers.release(aeron);
    }

    /** The duty cycle: poll Aeron, apply committed events, check leadership, run leader duties. */
    private final class Duty implements Agent, MasterInbound.Handler
    {
        private final MasterInbound inbound = new MasterInbound(this);
        /** Messages larger than one Aeron frame (an accept of many tasks) arrive in fragments. */
        private final io.aeron.FragmentAssembler assembler = new io.aeron.FragmentAssembler(inbound);
        private final Outbound out = new Outbound();
        private final Map<Integer, String> endpointBySession = new HashMap<>();
        private LeaderDuties duties;
        private long nowNs;
        private long nextRoleCheckNs;

        @Override
        public int doWork()
        {
            nowNs = System.nanoTime();
            lastCycleNs = nowNs;
            int work = 0;
            // Committed entries first (applied here, by the state's owner), then who leads.
            final long appliedBefore = state.appliedRecords();
            work += stateMachine.drain();
            if (nowNs >= nextRoleCheckNs)
            {
                nextRoleCheckNs = nowNs + TimeUnit.MILLISECONDS.toNanos(20);
                checkRole();
            }
            Runnable command;
            while ((command = commands.poll()) != null)
            {
                command.run();
                work++;
            }
            if (state.appliedRecords() != appliedBefore)
            {
                gauges = new Gauges(state.lastAppliedIndex(), state.agentCount(), state.frameworkCount(),
                    state.taskCounts());
            }
            metrics.publish(nowNs, false);
            work += subscription.poll(assembler, 64);
            if (duties != null)
            {
                work += duties.doWork(nowNs);
            }
            work += connections.retry(nowNs);
            return work;
        }

        private void checkRole()
        {
            final DivisionInfo info = info();
            final boolean leading = info != null && info.isLeader() && info.isLeaderReady();
            final long term = info == null ? 0 : info.getCurrentTerm();
            if (leading && (duties == null || duties.term() != term))
            {
                duties = new LeaderDuties(term, config, state, connections, out, this::propose, metrics, nowNs);
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

        void killTask(final long frameworkId, final String taskId,
            final java.util.concurrent.CompletableFuture<String> result)
        {
            if (duties == null)
            {
                result.complete("not the leader; the leader is " + (leaderAddress().isEmpty() ? "not known yet" :
                    leaderAddress()));
                return;
            }
            final MasterState.Task task = state.task(frameworkId, taskId);
            if (task == null || MasterState.isTerminal(task.state))
            {
                result.complete(task == null ? "task '" + taskId + "' of framework " + frameworkId + " is unknown" :
                    "task '" + taskId + "' has already ended (" + task.state + ")");
                return;
            }
            duties.onKill(frameworkId, taskId, null, nowNs);
            result.complete(null);
        }

        void configureRole(final MasterState.Role role, final java.util.concurrent.CompletableFuture<String> result)
        {
            if (duties == null)
            {
                result.complete("not the leader; the leader is " + (leaderAddress().isEmpty() ? "not known yet" :
                    leaderAddress()));
                return;
            }
            final String problem = duties.checkRole(role);
            if (problem != null)
            {
                result.complete(problem);
                return;
            }
            MasterState.encodeRole(out, role, state.vectors());
            final Message message = Message.valueOf(ByteString.copyFrom(out.buffer.byteArray(), 0,
                Outbound.length(out.roleConfigured.encodedLength())));
            client.async().send(message).whenComplete((reply, ex) -> result.complete(
                ex == null && reply != null && reply.isSuccess() ? null :
                    "not committed: " + (ex != null ? ex.getMessage() : reply.getException())));
        }

        private void propose(final Outbound records, final int length)
        {
            propose(records, length, null);
        }

        private void propose(final Outbound records, final int length, final Runnable onFailure)
        {
            final Message message = Message.valueOf(ByteString.copyFrom(records.buffer.byteArray(), 0, length));
            final long proposedNs = System.nanoTime();
            final LeaderDuties proposedBy = duties;
            client.async().send(message).whenComplete((reply, ex) ->
            {
                if (ex != null || reply == null || !reply.isSuccess())
                {
                    metrics.proposalsFailed.inc();
                    LOG.warn("proposal failed: {}", ex != null ? ex.toString() : reply);
                    if (onFailure != null)
                    {
                        commands.offer(() ->
                        {
                            if (duties != null && duties == proposedBy)
                            {
                                onFailure.run();
                            }
                        });
                    }
                }
                else
                {
                    metrics.committed(System.nanoTime() - proposedNs);
                }
            });
        }

        @Override
        public void onClose()
        {
            // Leader duties end with the thread; anything applied after this (shutdown) only changes state.
            duties = null;
            leader = false;
        }

        /** What an applied record did (called by the state machine on this thread, as it applies). */
        void onEvent(final MasterEvent event)
        {
            if (duties != null)
            {
                duties.onEvent(event, nowNs);
            }
        }

        @Override
        public String roleName()
        {
            return "corral-master-" + config.id();
        }

        /** Not the leader: tell the sender who is, or that there is none yet. */
        private boolean redirected(final String replyTo)
        {
            if (duties != null)
            {
                return false;
            }
            final DivisionInfo info = info();
            final RaftPeerId leaderId = info == null ? null : info.getLeaderId();
            int id = 0;
            String endpoint = "";
            if (leaderId != null)
            {
                id = Integer.parseInt(leaderId.toString().substring(1));
                endpoint = config.peers().getOrDefault(id, "");
            }
            connections.send(replyTo, out, out.encodeNotLeader(id, endpoint), nowNs);
            return true;
        }

        private String endpointOfAgent(final long agentId)
        {
            final MasterState.Agent agent = state.agent(agentId);
            return agent == null ? null : agent.endpoint();
        }

        private String endpointOfFramework(final long frameworkId)
        {
            final MasterState.Framework framework = state.framework(frameworkId);
            return framework == null ? null : framework.endpoint();
        }

        private void error(final String replyTo, final ErrorCode code, final int inReplyTo, final String message)
        {
            metrics.requestsRefused.inc();
            connections.send(replyTo, out, out.encodeError(code, inReplyTo, message), nowNs);
        }

        @Override
        public void onRegisterAgent(final RegisterAgentDecoder m, final int sessionId)
        {
            final long agentId = m.agentId();
            final String hostname = m.hostname();
            final String endpoint = m.endpoint();
            final String attributes = m.attributes();
            final String http = m.httpEndpoint();
            final String custom = m.customResources();
            final String taskList = m.tasks();
            endpointBySession.put(sessionId, endpoint);
            if (redirected(endpoint))
            {
                return;
            }
            String problem = null;
            long[] resources;
            try
            {
                resources = state.vectors().read(m.resources(), custom);
            }
            catch (final IllegalArgumentException ex)
            {
                problem = ex.getMessage();
                resources = state.vectors().vector(0);
            }
            for (final long r : resources)
            {
                if (r < 0)
                {
                    problem = "negative resources";
                }
            }
            if (problem == null && resources[0] <= 0 && resources[1] <= 0)
            {
                problem = "an agent must offer some cpus or mem";
            }
            if (problem != null)
            {
                error(endpoint, ErrorCode.MALFORMED, RegisterAgentDecoder.TEMPLATE_ID, "registration refused: " + problem);
                return;
            }
            final MasterState.Agent known = agentId == 0 ? null : state.agent(agentId);
            if (known != null)
            {
                duties.agentReported(agentId, taskList, nowNs);
            }
            if (known != null && known.endpoint().equals(endpoint) && java.util.Arrays.equals(known.resources(), resources) &&
                known.attributes().equals(attributes) && known.httpEndpoint().equals(http))
            {
                // Re-registration (e.g. after a leader change): nothing to replicate.
                duties.acknowledgeAgent(known, nowNs);
                return;
            }
            final long id = duties.idForAgent(agentId, endpoint);
            MasterState.emitAgent(out, id, resources, System.currentTimeMillis(), hostname, endpoint, attributes, http,
                state.vectors());
            propose(out, Outbound.length(out.agentAdmitted.encodedLength()));
        }

        @Override
        public void onAgentHeartbeat(final AgentHeartbeatDecoder m, final int sessionId)
        {
            final MasterState.Agent agent = state.agent(m.agentId());
            if (agent == null)
            {
                final String replyTo = endpointBySession.get(sessionId);
                error(replyTo, ErrorCode.NOT_REGISTERED, AgentHeartbeatDecoder.TEMPLATE_ID,
                    "agent " + m.agentId() + " is not registered: register again");
                return;
            }
            endpointBySession.put(sessionId, agent.endpoint());
            if (!redirected(agent.endpoint()))
            {
                duties.acknowledgeAgent(agent, nowNs);
            }
        }

        @Override
        public void onStatusUpdate(final StatusUpdateDecoder m, final int sessionId)
        {
            final long agentId = m.agentId();
            final String endpoint = endpointOfAgent(agentId);
            if (endpoint == null)
            {
                m.skipTaskId();
                m.skipMessage();
                error(endpointBySession.get(sessionId), ErrorCode.NOT_REGISTERED, StatusUpdateDecoder.TEMPLATE_ID,
                    "agent " + agentId + " is not registered: register again");
                return;
            }
            if (redirected(endpoint))
            {
                return;
            }
            duties.onStatusUpdate(agentId, m.frameworkId(), m.uuidMsb(), m.uuidLsb(), m.state(), m.exitCode(),
                m.timestampMs(), m.taskId(), m.message(), nowNs);
        }

        @Override
        public void onSubscribe(final SubscribeDecoder m, final int sessionId)
        {
            final long frameworkId = m.frameworkId();
            final long failoverTimeoutMs = m.failoverTimeoutMs();
            final String name = m.name();
            final String role = m.role();
            final String endpoint = m.endpoint();
            final String principal = m.principal();
            endpointBySession.put(sessionId, endpoint);
            if (redirected(endpoint))
            {
                return;
            }
            final java.util.Set<String> seen = new java.util.HashSet<>();
            for (final String r : role.split(",", -1))
            {
                if (!r.trim().matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}") || !seen.add(r.trim()))
                {
                    error(endpoint, ErrorCode.MALFORMED, SubscribeDecoder.TEMPLATE_ID, "role '" + r +
                        "' is invalid or repeated: use letters, digits, '_', '.', '-'");
                    return;
                }
            }
            if (failoverTimeoutMs < 0)
            {
                error(endpoint, ErrorCode.MALFORMED, SubscribeDecoder.TEMPLATE_ID, "failover timeout must not be negative");
                return;
            }
            final MasterState.Framework known = frameworkId == 0 ? null : state.framework(frameworkId);
            if (known != null && known.endpoint().equals(endpoint) && known.role().equals(role) &&
                known.name().equals(name) && known.failoverTimeoutMs() == failoverTimeoutMs &&
                known.principal().equals(principal))
            {
                // The framework's heartbeat, or a re-subscription after a leader change.
                duties.acknowledgeFramework(known, nowNs);
                return;
            }
            final long id = duties.idForFramework(frameworkId, endpoint);
            out.frameworkAdded.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(id)
                .timestampMs(System.currentTimeMillis()).failoverTimeoutMs(failoverTimeoutMs).name(name).role(role)
                .endpoint(endpoint).principal(principal);
            propose(out, Outbound.length(out.frameworkAdded.encodedLength()));
        }

        private String frameworkEndpointOrRefuse(final long frameworkId, final int sessionId, final int template)
        {
            final String endpoint = endpointOfFramework(frameworkId);
            if (endpoint == null)
            {
                error(endpointBySession.get(sessionId), ErrorCode.NOT_REGISTERED, template,
                    "framework " + frameworkId + " is not subscribed: subscribe first");
                return null;
            }
            return redirected(endpoint) ? null : endpoint;
        }

        @Override
        public void onAccept(final AcceptDecoder m, final int sessionId)
        {
            final String endpoint = frameworkEndpointOrRefuse(m.frameworkId(), sessionId, AcceptDecoder.TEMPLATE_ID);
            if (endpoint != null)
            {
                duties.onAccept(m, endpoint, nowNs);
            }
        }

        @Override
        public void onDecline(final DeclineDecoder m, final int sessionId)
        {
            final String endpoint = frameworkEndpointOrRefuse(m.frameworkId(), sessionId, DeclineDecoder.TEMPLATE_ID);
            if (endpoint != null)
            {
                duties.onDecline(m.frameworkId(), m.offerId(), m.refuseMillis(), endpoint, nowNs);
            }
        }

        @Override
        public void onKill(final KillDecoder m, final int sessionId)
        {
            final long frameworkId = m.frameworkId();
            final String taskId = m.taskId();
            final String endpoint = frameworkEndpointOrRefuse(frameworkId, sessionId, KillDecoder.TEMPLATE_ID);
            if (endpoint != null)
            {
                duties.onKill(frameworkId, taskId, endpoint, nowNs);
            }
        }

        @Override
        public void onAcknowledge(final AcknowledgeDecoder m, final int sessionId)
        {
            final long frameworkId = m.frameworkId();
            final long msb = m.uuidMsb();
            final long lsb = m.uuidLsb();
            final String taskId = m.taskId();
            if (frameworkEndpointOrRefuse(frameworkId, sessionId, AcknowledgeDecoder.TEMPLATE_ID) != null)
            {
                duties.onAcknowledge(frameworkId, taskId, msb, lsb, nowNs);
            }
        }

        @Override
        public void onTeardown(final TeardownDecoder m, final int sessionId)
        {
            if (frameworkEndpointOrRefuse(m.frameworkId(), sessionId, TeardownDecoder.TEMPLATE_ID) != null)
            {
                out.frameworkRemoved.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(m.frameworkId())
                    .timestampMs(System.currentTimeMillis());
                propose(out, Outbound.length(out.frameworkRemoved.encodedLength()));
            }
        }

        @Override
        public void onSuppress(final io.corral.codec.sbe.SuppressDecoder m, final int sessionId)
        {
            final long frameworkId = m.frameworkId();
            final boolean suppress = m.suppress() != 0;
            final String roles = m.roles();
            final String endpoint = frameworkEndpointOrRefuse(frameworkId, sessionId,
                io.corral.codec.sbe.SuppressDecoder.TEMPLATE_ID);
            if (endpoint != null)
            {
                duties.onSuppress(frameworkId, suppress, roles, endpoint, nowNs);
            }
        }

        @Override
        public void onReconcile(final ReconcileDecoder m, final int sessionId)
        {
            final long frameworkId = m.frameworkId();
            final List<String> taskIds = new ArrayList<>();
            for (final ReconcileDecoder.TasksDecoder t : m.tasks())
            {
                taskIds.add(t.taskId());
            }
            if (frameworkEndpointOrRefuse(frameworkId, sessionId, ReconcileDecoder.TEMPLATE_ID) != null)
            {
                duties.onReconcile(frameworkId, taskIds, nowNs);
            }
        }

        @Override
        public void onBadFrame(final int sessionId, final int templateId, final String problem)
        {
            final String replyTo = endpointBySession.get(sessionId);
            metrics.badFrames.inc();
            LOG.warn("master {}: bad frame from session {} ({}): {}", config.id(), sessionId,
                replyTo == null ? "sender unknown, no reply possible" : replyTo, problem);
            error(replyTo, templateId >= 0 && templateId < 20 || templateId >= 50 ? ErrorCode.UNKNOWN_MESSAGE :
                ErrorCode.MALFORMED, Math.max(0, templateId), "bad frame: " + problem);
        }
    }
}
