package io.corral.master;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.Subscription;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Protocol;
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
    private final MasterDuty duty;
    private final MasterStateMachine stateMachine;
    /** The last view the duty thread built, for a caller it cannot answer (it stopped). */
    private volatile MasterView lastView;

    /** What the metrics read: published by the duty thread, immutable. */
    record Gauges(long lastAppliedIndex, int agents, int frameworks,
        java.util.EnumMap<io.corral.codec.sbe.TaskState, Integer> tasks)
    {
    }
    private final AgentRunner runner;
    private final MasterHttp http;
    private final java.util.concurrent.atomic.AtomicLong snapshotCallIds = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean closing;

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
        duty = new MasterDuty(this, config, state, metrics, clock, commands);
        stateMachine = new MasterStateMachine(state, duty::onEvent, duty::leading, metrics::applied);
        // A master restarted on its data directory recovers its log; a new one formats it.
        final boolean existing = new java.io.File(config.dataDir(), GROUP_ID.getUuid().toString()).isDirectory();
        final org.apache.ratis.conf.Parameters parameters = RaftSettings.parameters(config);
        server = RaftServer.newBuilder().setServerId(RaftSettings.peerId(config.id())).setGroup(group).setProperties(properties)
            .setParameters(parameters).setStateMachine(stateMachine)
            .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT).build();
        server.start();
        // Bounded retries: a proposal either commits within seconds or is known to have failed, so
        // a task the leader does not know 15 s after its accept never launches (the driver
        // reconciles such tasks and is told LOST); an endless retry could launch it much later.
        // It proposes only while this master leads, so it starts out addressing this master: a
        // client that still named the old leader spent its first requests timing out on it.
        raftClients = () -> RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
            .setRaftGroup(group).setLeaderId(RaftSettings.peerId(config.id()))
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
        duty.connect(sessions == null ? connections : sessions, stateMachine, subscription, connections, sessions,
            config.proposeViaClient() ? RaftLogs.client(raftClients, metrics) :
            RaftLogs.local(server, RaftSettings.peerId(config.id()), GROUP_ID));
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
        return duty.isLeader();
    }

    public long term()
    {
        return duty.leaderTerm();
    }

    MasterMetrics metrics()
    {
        return metrics;
    }

    /** Has the duty thread publish its latest latencies (a scrape), waiting up to 2 s for it. */
    void publishMetrics()
    {
        // (the duty thread stuck or gone: the scrape shows what was published last)
        ask(() ->
        {
            metrics.publish(System.nanoTime(), true);
            return Boolean.TRUE;
        }, 2, () -> Boolean.FALSE);
    }

    Gauges gauges()
    {
        return duty.gauges();
    }

    /** True once {@link #close} began: the duty thread then only applies what Ratis still commits. */
    boolean closing()
    {
        return closing;
    }

    /** The duty thread's last view, kept for callers once it has stopped. */
    void keepLastView(final MasterView view)
    {
        lastView = view;
    }

    public ResourceVectors vectors()
    {
        return state.vectors();
    }

    /**
     * The replicated state as snapshot bytes ({@link MasterState#snapshotBytes}), made by the duty
     * thread: equal on masters that applied the same log. Null if the duty thread does not answer.
     */
    public byte[] snapshotBytes()
    {
        return ask(state::snapshotBytes, 10, () -> null);
    }

    /**
     * An immutable copy of the replicated state as this master has applied it (every master has
     * one), built by the duty thread on request. If the duty thread does not answer within 10 s
     * (it has stopped), the last copy it built.
     */
    public MasterView state()
    {
        final MasterView built = ask(state::view, 10, this::lastView);
        lastView = built;
        return built;
    }

    /** The last view the duty thread built (an empty one if none): for when it does not answer. */
    private MasterView lastView()
    {
        final MasterView last = lastView;
        return last != null ? last : MasterView.empty(state.vectors());
    }

    /**
     * The authorization rules as this master applied them (immutable), read on the duty thread
     * without copying every agent and task as {@link #state()} does (HTTP reads check them each).
     */
    Acl acl()
    {
        return ask(state::acl, 10, () -> lastView().acl());
    }

    /** True if this master's state holds framework {@code id}, read on the duty thread without copying the state. */
    public boolean knowsFramework(final long id)
    {
        return ask(() -> state.framework(id) != null, 10, () -> lastView().framework(id) != null);
    }

    /**
     * {@code question} answered on the duty thread (it owns the state; the answer must be
     * immutable), or {@code otherwise} if that thread has stopped or does not answer in time.
     */
    private <T> T ask(final java.util.function.Supplier<T> question, final long seconds,
        final java.util.function.Supplier<T> otherwise)
    {
        if (runner.isClosed())
        {
            return otherwise.get();
        }
        try
        {
            return onDuty(question).get(seconds, TimeUnit.SECONDS);
        }
        catch (final java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException ex)
        {
            return otherwise.get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return otherwise.get();
        }
    }

    /** {@code work} run on the duty thread; its answer completes the future. */
    private <T> java.util.concurrent.CompletableFuture<T> onDuty(final java.util.function.Supplier<T> work)
    {
        final java.util.concurrent.CompletableFuture<T> answer = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> answer.complete(work.get()));
        return answer;
    }

    /** {@code work} run on the duty thread, which completes the future itself (once committed, say). */
    private <T> java.util.concurrent.CompletableFuture<T> onDutyLater(
        final java.util.function.Consumer<java.util.concurrent.CompletableFuture<T>> work)
    {
        final java.util.concurrent.CompletableFuture<T> result = new java.util.concurrent.CompletableFuture<>();
        commands.offer(() -> work.accept(result));
        return result;
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
            org.apache.ratis.protocol.SnapshotManagementRequest.newCreate(client.getId(), RaftSettings.peerId(config.id()), GROUP_ID,
                snapshotCallIds.incrementAndGet(), 30_000);
        final org.apache.ratis.protocol.RaftClientReply reply = server.snapshotManagement(request);
        if (!reply.isSuccess())
        {
            throw new IOException("snapshot failed: " + reply.getException());
        }
        return reply.getLogIndex();
    }

    DivisionInfo info()
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
    long nextLogIndex()
    {
        final org.apache.ratis.server.raftlog.RaftLog log = raftLog();
        return log == null ? -1 : log.getNextIndex();
    }

    /** Raft's commit index as this master knows it (-1 if the division is not there). */
    long committedIndex()
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
        return onDutyLater(result -> duty.operator().configureRole(role, principal, result));
    }

    /**
     * Replaces the authorization rules with {@code rules} for {@code principal} (null: anyone):
     * refused unless the current rules let it set ACLs, the new ones parse, and they still let it
     * (so nobody locks every operator out). Completes with null once committed, or why not.
     */
    public java.util.concurrent.CompletableFuture<String> setAcl(final String rules, final String principal)
    {
        return onDutyLater(result -> duty.operator().setAcl(rules, principal, result));
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
        return onDutyLater(result -> duty.operator().killTask(frameworkId, taskId, principal, result, duty.nowNs()));
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
        return onDuty(() -> duty.operator().sandbox(frameworkId, taskId, principal));
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
        return onDuty(() -> duty.duties() == null ? null : duty.duties().accounting());
    }

    /**
     * Asks Raft to hand leadership to master {@code toId} (an operator's planned move, and how
     * tests force elections). Throws with Raft's reason if the transfer did not happen.
     */
    public void transferLeadership(final int toId, final long timeoutMs) throws IOException
    {
        final org.apache.ratis.protocol.RaftClientReply reply = client.admin().transferLeadership(RaftSettings.peerId(toId),
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
        return onDuty(() ->
        {
            duty.proposer().closeClientOnPurpose();
            return (Void)null;
        });
    }

    /** Fault injection (tests, chaos): while on, every proposal of this master fails at once. */
    public void failProposalsOnPurpose(final boolean on)
    {
        duty.proposer().failOnPurpose(on);
    }

    /** While leading, how long proposals have failed without a success in between, in ms (0: they commit). */
    public long proposalsFailingMs()
    {
        return duty.isLeader() ? TimeUnit.NANOSECONDS.toMillis(duty.proposalsFailingNs()) : 0;
    }

    /** How long ago the duty thread started its last cycle, in ms: large if it is stuck or gone. */
    public long dutyIdleMs()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - duty.lastCycleNs());
    }

    /**
     * Hands leadership to another master, in turn, off the duty thread (the calls block); steps
     * down if none takes it. For a leader whose proposals have failed for too long.
     */
    void handOverLeadership()
    {
        final java.util.List<Integer> others = new java.util.ArrayList<>(config.peers().keySet());
        others.remove(Integer.valueOf(config.id()));
        final Thread handOver = new Thread(() ->
        {
            for (final int other : others)
            {
                try
                {
                    if (client.admin().transferLeadership(RaftSettings.peerId(other), config.electionMaxMs() * 10).isSuccess())
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
                    RaftSettings.peerId(config.id()), GROUP_ID, snapshotCallIds.incrementAndGet(), null,
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
        duty.proposer().close();
        stateMachine.ownerStopped();
        connections.close();
        subscription.close();
        MediaDrivers.release(aeron);
    }
}
