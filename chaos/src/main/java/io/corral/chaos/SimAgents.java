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
    static final long REGISTER_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(500);
    static final long REGISTER_RETRY_MAX_NS = TimeUnit.SECONDS.toNanos(8);
    static final long STATUS_RETRY_NS = TimeUnit.SECONDS.toNanos(1);
    static final long STATUS_RETRY_MAX_NS = TimeUnit.SECONDS.toNanos(30);
    static final long LEADER_SILENT_NS = TimeUnit.SECONDS.toNanos(3);

    record Update(long frameworkId, String taskId, TaskState state, long uuidMsb, long uuidLsb,
        long dueNs)
    {
    }

    /** A task's updates not yet acknowledged, and when the latest goes again. */
    static final class Unacked
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
    final class Endpoint implements AgentInbound.Handler
    {
        final Subscription subscription;
        final FragmentAssembler assembler;
        final List<SimAgent> sims = new ArrayList<>();
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
                final SimAgent sim = sims.get(i);
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
            final SimAgent sim = byHostname.get(m.hostname());
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
            for (final SimAgent sim : sims)
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
            final SimAgent sim = byAgentId.get(m.agentId());
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
            final SimAgent sim = byAgentId.get(m.agentId());
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
                    final SimAgent sim = byAgentId.get(Long.parseLong(text.substring(6, end < 0 ? text.length() : end)));
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


    final Aeron aeron;
    private final String host;
    final List<String> masters;
    final long cpusMilli;
    final long memMb;
    final long taskNs;
    final Outbound out = new Outbound();
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final Map<String, SimAgent> byHostname = new HashMap<>();
    final org.agrona.collections.Long2ObjectHashMap<SimAgent> byAgentId = new org.agrona.collections.Long2ObjectHashMap<>();
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

    final Map<String, Boolean> started = new HashMap<>();
    /** Owned by the duty thread. */
    final boolean[] everRegistered;
    final long[] registeredAfterMark;
    /** Set by the harness (a leader kill): agents registering after it are counted again. */
    volatile long markNs = Long.MAX_VALUE;
    public final AtomicLong registeredSinceMark = new AtomicLong();
    public final AtomicLong registeredCount = new AtomicLong();
    public final AtomicLong registrationsSent = new AtomicLong();
    public final AtomicLong removed = new AtomicLong();
    public final AtomicLong runTasks = new AtomicLong();
    public final AtomicLong finished = new AtomicLong();
    public final Recorder heartbeatAck = new Recorder(3);
    final int count;
    long nowNs;

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
            final SimAgent sim = new SimAgent(this, i, home);
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
