package io.corral.chaos;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.corral.codec.AgentInbound;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.AgentRegisteredDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.KillTaskDecoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.RunTaskDecoder;
import io.corral.codec.sbe.StatusAckDecoder;
import io.corral.codec.sbe.TaskState;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.Agent;

/**
 * Many agents in one JVM speaking the real wire protocol (used by benchmarks/scale.sh and by
 * {@code ChaosRun --sim-agents}), running no processes: each registers
 * (under its own hostname), heartbeats at the real default interval, finds the leader through
 * NotLeader answers and re-registers after a failover, and answers RunTask with STARTING and
 * RUNNING at once and FINISHED after the task's time, each update resent (1 s doubling to 30 s, as the real agent) until
 * acknowledged. Agents are grouped {@code perEndpoint} to an endpoint (one Aeron subscription, as
 * agents behind one relay would be): the master sends to the endpoint, and each answer is routed
 * to its agent by agent id (by hostname for AgentRegistered, which a newcomer gets before it knows
 * its id). One duty thread ({@link Agent}) for all of them, and one publication to each master (an endpoint's own with one agent per endpoint).
 */
public final class SimAgents implements Agent
{
    static final long HEARTBEAT_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** As the real agent: registration retries from 0.5 s doubling to 8 s, jittered. */
    private static final long REGISTER_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long REGISTER_RETRY_MAX_NS = TimeUnit.SECONDS.toNanos(8);
    private static final long STATUS_RETRY_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long STATUS_RETRY_MAX_NS = TimeUnit.SECONDS.toNanos(30);
    private static final long LEADER_SILENT_NS = TimeUnit.SECONDS.toNanos(3);

    private record Update(long frameworkId, String taskId, TaskState state, long uuidMsb, long uuidLsb,
        long dueNs)
    {
    }

    /** A task's updates not yet acknowledged, and when the latest goes again. */
    private static final class Unacked
    {
        final String key;
        final ArrayDeque<Update> updates = new ArrayDeque<>(3);
        long nextNs = Long.MAX_VALUE;
        long waitNs = STATUS_RETRY_NS;
        /** In its sim's retry queue (once at most). */
        boolean queued;
        boolean done;

        Unacked(final String key)
        {
            this.key = key;
        }
    }

    /** One endpoint (subscription) and the agents behind it; routes what arrives to them. */
    private final class Endpoint implements AgentInbound.Handler
    {
        final Subscription subscription;
        final FragmentAssembler assembler;
        final List<Sim> sims = new ArrayList<>();
        /** This endpoint's sessions with the masters (one per master, shared by its agents), or a pass-through. */
        final io.corral.codec.Seal seal;
        /** When a session with each master was last given up (at most once per silence, not once per agent). */
        final long[] resetAtNs = new long[masters.size()];
        String address;
        /**
         * With one agent per endpoint, its own publication to each master (opened when first used),
         * as an agent on its own host has: a master budgets what it answers strangers per sending
         * publication, so 200 "hosts" sharing one publication were answered as one host (21 of 200
         * registered in 60 s).
         */
        final ExclusivePublication[] own = perEndpoint == 1 ? new ExclusivePublication[masters.size()] : null;

        ExclusivePublication publication(final int master)
        {
            if (own == null)
            {
                return SimAgents.this.publication(master);
            }
            return opened(own, master, "256k");
        }

        void close()
        {
            subscription.close();
            for (int i = 0; own != null && i < own.length; i++)
            {
                if (own[i] != null)
                {
                    own[i].close();
                }
            }
        }

        Endpoint()
        {
            subscription = aeron.addSubscription(Protocol.channel(host + ":0"), Protocol.STREAM_ID);
            final AgentInbound inbound = new AgentInbound(this);
            seal = credential == null ? io.corral.codec.Seal.insecure() :
                io.corral.codec.Seal.of(credential, reason -> refusal = reason, this::established);
            seal.bundling(true); // flushed after each cycle of its agents
            if (credential != null)
            {
                inbound.gate(seal);
            }
            assembler = new FragmentAssembler(inbound);
        }

        /**
         * A session with a master is made: the agents here that are registering with that master
         * send their registration now, as the real agent does. Waiting for the next retry (up to
         * 8 s) let the session go silent past {@code LEADER_SILENT_NS}, so the retry said Hello
         * again, and an agent alone on its endpoint never registered (66 of 200 in 120 s).
         */
        void established(final io.aeron.Publication publication)
        {
            for (int i = 0; i < sims.size(); i++)
            {
                final Sim sim = sims.get(i);
                if (!sim.registered && publication(sim.master) == publication)
                {
                    sim.nextRegisterNs = SimAgents.this.nowNs;
                }
            }
        }

        /**
         * A sim gave up on {@code master}. The session all of this endpoint's agents share with it
         * goes only if nothing sealed came from that master lately (it is gone or lost the session),
         * and once per silence: one slow agent must not cut off the other 99.
         */
        void forget(final int master, final long nowNs)
        {
            if (nowNs - resetAtNs[master] > LEADER_SILENT_NS && !seal.heardFrom(publication(master), LEADER_SILENT_NS))
            {
                resetAtNs[master] = nowNs;
                seal.reset(publication(master));
            }
        }

        int doWork(final long nowNs)
        {
            if (address == null)
            {
                address = subscription.resolvedEndpoint();
                if (address != null)
                {
                    seal.endpoint(address);
                }
                return address == null ? 0 : 1;
            }
            // As much per agent as when each had its own subscription: reading 64 messages a cycle for
            // 100 agents let the master's sends back up until they were dropped (no update finished).
            int work = subscription.poll(assembler, 16 * sims.size());
            for (int i = 0; i < sims.size(); i++)
            {
                work += sims.get(i).doWork(nowNs, address);
            }
            return work + seal.flush();
        }

        @Override
        public void onAgentRegistered(final AgentRegisteredDecoder m, final int sessionId)
        {
            final long id = m.agentId();
            final long intervalMs = m.heartbeatIntervalMs();
            final String leader = m.masterEndpoint();
            final Sim sim = byHostname.get(m.hostname());
            if (sim != null)
            {
                sim.onAgentRegistered(id, leader, intervalMs);
            }
        }

        @Override
        public void onNotLeader(final NotLeaderDecoder m, final int sessionId)
        {
            // Some agent here asked a master that does not lead: every agent here that is not
            // with the named leader goes to it (with none named: those not registered try the next).
            final int at = masters.indexOf(m.leaderEndpoint());
            final boolean sealed = !seal.secure() || seal.sealedInHand();
            for (final Sim sim : sims)
            {
                // Unsealed (anyone's word): taken by agents whose own leader is not answering, kept
                // by the others as a hint for when it misses an answer.
                if (sealed || !sim.registered || SimAgents.this.nowNs - sim.lastHeardNs > sim.heartbeatNs)
                {
                    sim.onNotLeader(at);
                }
                else if (at >= 0)
                {
                    sim.hint = at;
                }
            }
        }

        @Override
        public void onRunTask(final RunTaskDecoder m, final int sessionId)
        {
            final Sim sim = byAgentId.get(m.agentId());
            if (sim != null)
            {
                sim.onRunTask(m);
            }
        }

        @Override
        public void onKillTask(final KillTaskDecoder m, final int sessionId)
        {
        }

        @Override
        public void onStatusAck(final StatusAckDecoder m, final int sessionId)
        {
            final Sim sim = byAgentId.get(m.agentId());
            if (sim != null)
            {
                sim.onStatusAck(m);
            }
        }

        @Override
        public void onErrorReply(final ErrorReplyDecoder m, final int sessionId)
        {
            // "agent N is not registered: register again" (MasterEndpoint's words): N registers again.
            final String text = m.message();
            if (m.code() == ErrorCode.NOT_REGISTERED && text.startsWith("agent "))
            {
                final int end = text.indexOf(' ', 6);
                try
                {
                    final Sim sim = byAgentId.get(Long.parseLong(text.substring(6, end < 0 ? text.length() : end)));
                    if (sim != null)
                    {
                        sim.registered = false;
                        sim.nextRegisterNs = nowNs;
                    }
                }
                catch (final NumberFormatException ignored)
                {
                    // not an agent id: nothing to route
                }
            }
        }

        @Override
        public void onBadFrame(final int sessionId, final int templateId, final String problem)
        {
        }
    }

    /** One simulated agent. */
    private final class Sim
    {
        final int index;
        final String hostname;
        /** As the real agent's checkpointed secret: proves its claim to its id when it registers again. */
        final String secret = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) +
            Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
        final Endpoint home;
        final io.corral.codec.Backoff backoff;
        /** As the real agent: its own interval, or the leader's pacing if longer. */
        long heartbeatNs = HEARTBEAT_NS;
        long agentId;
        int master;
        boolean registered;
        long nextRegisterNs;
        long nextHeartbeatNs;
        long heartbeatSentNs;
        long lastHeardNs;
        /** The master an unsealed redirect named while this agent's leader answered (-1: none). */
        int hint = -1;
        /**
         * Each task's updates not yet acknowledged, oldest first. As the real agent: a new update goes
         * at once, without waiting for the one before it to be acknowledged; when the oldest has
         * waited its backoff (1 s doubling to 30 s), the task's latest goes again.
         */
        final Map<String, Unacked> pending = new HashMap<>();
        /** Updates queued and not sent yet, in order; each with its task's unacknowledged list. */
        final ArrayDeque<Unacked> freshTask = new ArrayDeque<>();
        final ArrayDeque<Update> fresh = new ArrayDeque<>();
        /** Tasks whose unacknowledged updates go again at their {@code nextNs} (entries may be stale). */
        final java.util.PriorityQueue<Unacked> retries = new java.util.PriorityQueue<>(
            java.util.Comparator.comparingLong(u -> u.nextNs));
        /** FINISHED updates due later, in due order (every task runs as long). */
        final ArrayDeque<Update> finishing = new ArrayDeque<>();

        Sim(final int index, final Endpoint home)
        {
            this.index = index;
            this.home = home;
            this.hostname = "sim-" + index;
            this.backoff = new io.corral.codec.Backoff(REGISTER_RETRY_NS, REGISTER_RETRY_MAX_NS, index);
            master = index % masters.size();
            // Spread the first registrations over one retry interval, as agents started by hand would be.
            nextRegisterNs = System.nanoTime() + REGISTER_RETRY_NS * index / Math.max(1, count);
        }

        int doWork(final long nowNs, final String endpoint)
        {
            int work = 0;
            if (!registered)
            {
                if (nowNs >= nextRegisterNs)
                {
                    nextRegisterNs = nowNs + backoff.nextDelayNs();
                    register(endpoint);
                    work++;
                }
                return work;
            }
            if (hint >= 0 && nowNs - lastHeardNs > heartbeatNs)
            {
                final int at = hint;
                hint = -1;
                onNotLeader(at);
                return work;
            }
            if (nowNs - lastHeardNs > Math.max(LEADER_SILENT_NS, 5 * heartbeatNs))
            {
                // The leader is gone: look for the new one (and say Hello to it afresh).
                registered = false;
                home.forget(master, nowNs);
                master = (master + 1) % masters.size();
                return work;
            }
            if (nowNs >= nextHeartbeatNs)
            {
                out.heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId);
                if (home.seal.offer(home.publication(master), out.buffer, Outbound.length(out.heartbeat.encodedLength())))
                {
                    nextHeartbeatNs = nowNs + heartbeatNs; // (back-pressured: again next cycle)
                    heartbeatSentNs = nowNs;
                }
                work++;
            }
            while (!finishing.isEmpty() && nowNs >= finishing.peek().dueNs())
            {
                queue(finishing.poll());
            }
            // New updates at once, in order (not waiting for the previous one's acknowledgement).
            while (!fresh.isEmpty())
            {
                final Unacked u = freshTask.peek();
                if (!u.done && !send(fresh.peek()))
                {
                    return work; // back-pressured: the rest go next cycle
                }
                fresh.poll();
                freshTask.poll();
                work++;
                if (!u.queued && !u.done)
                {
                    u.nextNs = nowNs + u.waitNs;
                    u.queued = true;
                    retries.add(u);
                }
            }
            // A task whose oldest update waited its backoff: its latest again (as the real agent's
            // StatusStream: an older one resent after a later one was forwarded takes the task backwards).
            while (!retries.isEmpty() && retries.peek().nextNs <= nowNs)
            {
                final Unacked u = retries.poll();
                u.queued = false;
                if (u.done)
                {
                    continue;
                }
                if (!u.updates.isEmpty() && send(u.updates.peekLast()))
                {
                    work++;
                }
                u.nextNs = nowNs + u.waitNs;
                u.waitNs = Math.min(STATUS_RETRY_MAX_NS, u.waitNs * 2);
                u.queued = true;
                retries.add(u);
            }
            return work;
        }

        private boolean send(final Update next)
        {
            out.statusUpdate.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId)
                .frameworkId(next.frameworkId()).uuidMsb(next.uuidMsb()).uuidLsb(next.uuidLsb())
                .state(next.state()).exitCode(0).timestampMs(System.currentTimeMillis())
                .taskId(next.taskId()).message("");
            return home.seal.offer(home.publication(master), out.buffer, Outbound.length(out.statusUpdate.encodedLength()));
        }

        private void queue(final Update update)
        {
            final Unacked u = pending.computeIfAbsent(update.frameworkId() + "/" + update.taskId(), Unacked::new);
            u.updates.add(update);
            fresh.add(update);
            freshTask.add(u);
        }

        /** Registration attempts in a row whose task list parts did not all go. */
        private int listsNotSent;

        private void register(final String endpoint)
        {
            registrationsSent.incrementAndGet();
            home.seal.resetIfSilent(home.publication(master), LEADER_SILENT_NS); // a restarted master forgot it
            io.corral.codec.TaskListParts list = taskList();
            if (list != null && !list.sendBefore(home.seal, home.publication(master), out, agentId))
            {
                // Neither may the registration go (the next attempt sends all), unless this has
                // gone on for a while: then "not listed", as the real agent does.
                if (++listsNotSent < io.corral.codec.TaskListParts.ATTEMPTS_BEFORE_UNLISTED)
                {
                    return;
                }
                list = null;
            }
            listsNotSent = 0;
            Protocol.putResources(out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId)
                .resources(), new long[] { cpusMilli, memMb, 0, 0 });
            out.registerAgent.hostname(hostname).endpoint(endpoint).attributes("").httpEndpoint("")
                .customResources("").tasks(list == null ? "" : list.registration()).agentSecret(secret);
            home.seal.offer(home.publication(master), out.buffer, Outbound.length(out.registerAgent.encodedLength()));
        }

        /**
         * As the real agent's: the tasks it runs or has unacknowledged updates for, each with its
         * latest state ("framework/task<TAB>STATE"), so that a new leader learns the STARTING and
         * RUNNING its log lacks (they went to frameworks ahead of the log). Without it a new leader
         * answered a reconciliation STAGING for a task its framework had been told RUNNING.
         */
        private io.corral.codec.TaskListParts taskList()
        {
            final Map<String, TaskState> states = new java.util.LinkedHashMap<>();
            for (final Update f : finishing)
            {
                states.put(f.frameworkId() + "/" + f.taskId(), TaskState.RUNNING);
            }
            for (final Unacked u : pending.values())
            {
                if (!u.updates.isEmpty())
                {
                    states.put(u.key, u.updates.peekLast().state());
                }
            }
            final StringBuilder sb = new StringBuilder();
            for (final Map.Entry<String, TaskState> e : states.entrySet())
            {
                sb.append(sb.length() == 0 ? "" : "\n").append(e.getKey()).append('\t').append(e.getValue());
                if (sb.length() > io.corral.codec.TaskListParts.MAX_CHARS)
                {
                    return null; // too many to list: "not listed", as the real agent says it
                }
            }
            return io.corral.codec.TaskListParts.of(states.size(), sb);
        }

        void onAgentRegistered(final long id, final String leaderEndpoint, final long intervalMs)
        {
            final long nowNs = SimAgents.this.nowNs;
            heartbeatNs = Math.max(HEARTBEAT_NS, TimeUnit.MILLISECONDS.toNanos(intervalMs));
            backoff.reset();
            if (!registered)
            {
                registered = true;
                nextHeartbeatNs = nowNs + heartbeatNs;
                if (agentId != 0 && id != agentId)
                {
                    removed.incrementAndGet();
                    pending.values().forEach(u -> u.done = true);
                    pending.clear();
                    finishing.clear();
                    fresh.clear();
                    freshTask.clear();
                    retries.clear();
                }
                else if (!pending.isEmpty())
                {
                    // Back with a (new) leader: each task's latest unacknowledged update goes again now, as the real agent's.
                    retries.clear();
                    for (final Unacked u : pending.values())
                    {
                        u.nextNs = nowNs;
                        u.waitNs = STATUS_RETRY_NS;
                        u.queued = true;
                        retries.add(u);
                    }
                }
                if (!everRegistered[index])
                {
                    everRegistered[index] = true;
                    registeredCount.incrementAndGet();
                }
                if (nowNs >= markNs && registeredAfterMark[index] != markNs)
                {
                    registeredAfterMark[index] = markNs;
                    registeredSinceMark.incrementAndGet();
                }
            }
            else if (heartbeatSentNs != 0)
            {
                heartbeatAck.recordValue(Math.max(0, nowNs - heartbeatSentNs));
                heartbeatSentNs = 0;
            }
            if (agentId != id)
            {
                byAgentId.remove(agentId);
                byAgentId.put(id, this);
            }
            agentId = id;
            lastHeardNs = nowNs;
            hint = -1;
            final int at = masters.indexOf(leaderEndpoint);
            if (at >= 0)
            {
                master = at;
            }
        }

        void onNotLeader(final int at)
        {
            if (at >= 0 ? master == at : registered)
            {
                return; // already with the named leader, or (none named) fine as it is
            }
            master = at >= 0 ? at : (master + 1) % masters.size();
            registered = false;
            // Straight to a named leader; with none named yet, the usual retry interval.
            nextRegisterNs = at >= 0 ? nowNs : nowNs + backoff.nextDelayNs();
        }

        void onRunTask(final RunTaskDecoder m)
        {
            final long frameworkId = m.frameworkId();
            m.options();
            final String taskId = m.taskId();
            m.skipCommand();
            m.skipEnv();
            m.skipHealthCommand();
            final String key = frameworkId + "/" + taskId;
            if (started.putIfAbsent(key, Boolean.TRUE) != null)
            {
                return; // a resent RunTask
            }
            runTasks.incrementAndGet();
            final long nowNs = SimAgents.this.nowNs;
            queue(update(frameworkId, taskId, TaskState.STARTING, nowNs));
            queue(update(frameworkId, taskId, TaskState.RUNNING, nowNs));
            finishing.add(update(frameworkId, taskId, TaskState.FINISHED, nowNs + taskNs));
        }

        private Update update(final long frameworkId, final String taskId, final TaskState state, final long dueNs)
        {
            final long[] uuid = Protocol.uuid();
            return new Update(frameworkId, taskId, state, uuid[0], uuid[1], dueNs);
        }

        void onStatusAck(final StatusAckDecoder m)
        {
            final long frameworkId = m.frameworkId();
            final long msb = m.uuidMsb();
            final long lsb = m.uuidLsb();
            final String key = frameworkId + "/" + m.taskId();
            final Unacked u = pending.get(key);
            Update head = null;
            boolean ours = false;
            for (final Update x : u == null ? java.util.List.<Update>of() : u.updates)
            {
                ours |= x.uuidMsb() == msb && x.uuidLsb() == lsb;
            }
            // Acknowledged in order: this one and every older one of the task are done.
            while (ours && !u.updates.isEmpty() && head == null)
            {
                final Update first = u.updates.poll();
                if (first.uuidMsb() == msb && first.uuidLsb() == lsb)
                {
                    head = first;
                }
                else if (first.state() == TaskState.FINISHED)
                {
                    finished.incrementAndGet();
                }
            }
            if (head != null)
            {
                u.waitNs = STATUS_RETRY_NS;
                if (u.updates.isEmpty())
                {
                    u.done = true;
                    pending.remove(key);
                }
                else if (u.queued)
                {
                    // The rest go again a retry interval from now (re-queued under the new time).
                    retries.remove(u);
                    u.nextNs = nowNs + STATUS_RETRY_NS;
                    retries.add(u);
                }
                if (head.state() == TaskState.FINISHED)
                {
                    finished.incrementAndGet();
                }
            }
        }

    }

    private final Aeron aeron;
    private final String host;
    private final List<String> masters;
    private final long cpusMilli;
    private final long memMb;
    private final long taskNs;
    private final Outbound out = new Outbound();
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final Map<String, Sim> byHostname = new HashMap<>();
    private final org.agrona.collections.Long2ObjectHashMap<Sim> byAgentId = new org.agrona.collections.Long2ObjectHashMap<>();
    private final int perEndpoint;
    /**
     * One publication to each master for every simulated agent: a publication per endpoint put
     * 1,500 of them in the simulator's own driver at 50,000 agents, and its per-publication
     * work swamped it (10,000 agents no longer registered). A large term, so a burst of status
     * updates is not refused for back-pressure at once (a refused send is retried next cycle).
     */
    private final ExclusivePublication[] publications;

    private ExclusivePublication publication(final int master)
    {
        return opened(publications, master, "16m");
    }

    /** The publication to {@code master} in {@code table}, opened with a term of {@code termLength} on first use. */
    private ExclusivePublication opened(final ExclusivePublication[] table, final int master, final String termLength)
    {
        ExclusivePublication publication = table[master];
        if (publication == null)
        {
            publication = aeron.addExclusivePublication(Protocol.channel(masters.get(master)) + "|term-length=" +
                termLength, Protocol.STREAM_ID);
            table[master] = publication;
        }
        return publication;
    }

    /** The principal and secret the simulated agents authenticate with (null: the masters run --insecure). */
    private io.corral.codec.Credentials.Credential credential;
    /** The last reason a master gave for refusing the credential, or null. */
    public volatile String refusal;

    /** Authenticate as {@code credential} (masters run with credentials); before the agent starts. */
    public SimAgents credential(final io.corral.codec.Credentials.Credential credential)
    {
        this.credential = credential;
        return this;
    }

    private final Map<String, Boolean> started = new HashMap<>();
    /** Owned by the duty thread. */
    private final boolean[] everRegistered;
    private final long[] registeredAfterMark;
    /** Set by the harness (a leader kill): agents registering after it are counted again. */
    volatile long markNs = Long.MAX_VALUE;
    public final AtomicLong registeredSinceMark = new AtomicLong();
    public final AtomicLong registeredCount = new AtomicLong();
    public final AtomicLong registrationsSent = new AtomicLong();
    public final AtomicLong removed = new AtomicLong();
    public final AtomicLong runTasks = new AtomicLong();
    public final AtomicLong finished = new AtomicLong();
    public final Recorder heartbeatAck = new Recorder(3);
    private final int count;
    private long nowNs;

    /** Counts agents registering (again) from now on, e.g. after a leader kill. */
    public void mark()
    {
        registeredSinceMark.set(0);
        markNs = System.nanoTime();
    }

    public SimAgents(final Aeron aeron, final String host, final List<String> masters, final int count, final int perEndpoint,
        final long cpusMilli, final long memMb, final long taskMs)
    {
        this.perEndpoint = Math.max(1, perEndpoint);
        this.publications = new ExclusivePublication[masters.size()];
        this.aeron = aeron;
        this.host = host;
        this.masters = masters;
        this.count = count;
        this.cpusMilli = cpusMilli;
        this.memMb = memMb;
        this.taskNs = TimeUnit.MILLISECONDS.toNanos(taskMs);
        everRegistered = new boolean[count];
        registeredAfterMark = new long[count];
    }

    @Override
    public void onStart()
    {
        for (int i = 0; i < count; i++)
        {
            if (i % perEndpoint == 0)
            {
                endpoints.add(new Endpoint());
            }
            final Endpoint home = endpoints.get(endpoints.size() - 1);
            final Sim sim = new Sim(i, home);
            home.sims.add(sim);
            byHostname.put(sim.hostname, sim);
        }
    }

    @Override
    public int doWork()
    {
        nowNs = System.nanoTime();
        int work = 0;
        for (int i = 0; i < endpoints.size(); i++)
        {
            work += endpoints.get(i).doWork(nowNs);
        }
        return work;
    }

    @Override
    public void onClose()
    {
        endpoints.forEach(Endpoint::close);
        for (final ExclusivePublication p : publications)
        {
            if (p != null)
            {
                p.close();
            }
        }
    }

    @Override
    public String roleName()
    {
        return "corral-sim-agents";
    }
}
