package io.corral.benchmarks.scale;

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
 * Many agents in one JVM speaking the real wire protocol, running no processes: each has its own
 * endpoint (an Aeron subscription), registers, heartbeats at the real default interval, finds the
 * leader through NotLeader answers and re-registers after a failover, and answers RunTask with
 * STARTING and RUNNING at once and FINISHED after the task's time, each update resent every
 * second until acknowledged. One duty thread ({@link Agent}) for all of them.
 */
final class SimAgents implements Agent
{
    static final long HEARTBEAT_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long REGISTER_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long STATUS_RETRY_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long LEADER_SILENT_NS = TimeUnit.SECONDS.toNanos(3);

    private record Update(long frameworkId, String taskId, TaskState state, long uuidMsb, long uuidLsb,
        long dueNs)
    {
    }

    /** One simulated agent. */
    private final class Sim implements AgentInbound.Handler
    {
        final int index;
        final Subscription subscription;
        final FragmentAssembler assembler;
        String endpoint;
        long agentId;
        int master;
        boolean registered;
        long nextRegisterNs;
        long nextHeartbeatNs;
        long heartbeatSentNs;
        long lastHeardNs;
        /** Each task's updates not yet acknowledged, oldest first; each task's head is sent on its own. */
        final Map<String, ArrayDeque<Update>> pending = new java.util.LinkedHashMap<>();
        final Map<String, Long> nextStatusNs = new HashMap<>();
        final List<Update> finishing = new ArrayList<>();

        Sim(final int index)
        {
            this.index = index;
            subscription = aeron.addSubscription(Protocol.channel(host + ":0"), Protocol.STREAM_ID);
            assembler = new FragmentAssembler(new AgentInbound(this));
            master = index % masters.size();
        }

        int doWork(final long nowNs)
        {
            if (endpoint == null)
            {
                endpoint = subscription.resolvedEndpoint();
                return endpoint == null ? 0 : 1;
            }
            int work = subscription.poll(assembler, 16);
            if (!registered)
            {
                if (nowNs >= nextRegisterNs)
                {
                    nextRegisterNs = nowNs + REGISTER_RETRY_NS;
                    register();
                    work++;
                }
                return work;
            }
            if (nowNs - lastHeardNs > LEADER_SILENT_NS)
            {
                // The leader is gone: look for the new one.
                registered = false;
                master = (master + 1) % masters.size();
                return work;
            }
            if (nowNs >= nextHeartbeatNs)
            {
                nextHeartbeatNs = nowNs + HEARTBEAT_NS;
                heartbeatSentNs = nowNs;
                out.heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId);
                out.offer(publication(master), Outbound.length(out.heartbeat.encodedLength()));
                work++;
            }
            for (int i = finishing.size() - 1; i >= 0; i--)
            {
                if (nowNs >= finishing.get(i).dueNs())
                {
                    queue(finishing.remove(i));
                }
            }
            for (final Map.Entry<String, ArrayDeque<Update>> e : pending.entrySet())
            {
                if (nowNs < nextStatusNs.getOrDefault(e.getKey(), 0L))
                {
                    continue;
                }
                final Update u = e.getValue().peek();
                nextStatusNs.put(e.getKey(), nowNs + STATUS_RETRY_NS);
                out.statusUpdate.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId)
                    .frameworkId(u.frameworkId()).uuidMsb(u.uuidMsb()).uuidLsb(u.uuidLsb()).state(u.state())
                    .exitCode(0).timestampMs(System.currentTimeMillis()).taskId(u.taskId()).message("");
                out.offer(publication(master), Outbound.length(out.statusUpdate.encodedLength()));
                work++;
            }
            return work;
        }

        private void queue(final Update update)
        {
            pending.computeIfAbsent(update.frameworkId() + "/" + update.taskId(), k -> new ArrayDeque<>(3)).add(update);
        }

        private void register()
        {
            registrationsSent.incrementAndGet();
            Protocol.putResources(out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId)
                .resources(), new long[] { cpusMilli, memMb, 0, 0 });
            out.registerAgent.hostname("sim-" + index).endpoint(endpoint).attributes("").httpEndpoint("")
                .customResources("").tasks("");
            out.offer(publication(master), Outbound.length(out.registerAgent.encodedLength()));
        }

        @Override
        public void onAgentRegistered(final AgentRegisteredDecoder m, final int sessionId)
        {
            final long id = m.agentId();
            final long nowNs = SimAgents.this.nowNs;
            if (!registered)
            {
                registered = true;
                nextHeartbeatNs = nowNs + HEARTBEAT_NS;
                if (agentId != 0 && id != agentId)
                {
                    removed.incrementAndGet();
                    pending.clear();
                    nextStatusNs.clear();
                    finishing.clear();
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
            agentId = id;
            lastHeardNs = nowNs;
            final String leaderEndpoint = m.masterEndpoint();
            final int at = masters.indexOf(leaderEndpoint);
            if (at >= 0)
            {
                master = at;
            }
        }

        @Override
        public void onNotLeader(final NotLeaderDecoder m, final int sessionId)
        {
            final String hint = m.leaderEndpoint();
            final int at = masters.indexOf(hint);
            master = at >= 0 ? at : (master + 1) % masters.size();
            registered = false;
            // Straight to a named leader; with none named yet, the usual retry interval.
            nextRegisterNs = at >= 0 ? nowNs : nowNs + REGISTER_RETRY_NS;
        }

        @Override
        public void onRunTask(final RunTaskDecoder m, final int sessionId)
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

        @Override
        public void onKillTask(final KillTaskDecoder m, final int sessionId)
        {
        }

        @Override
        public void onStatusAck(final StatusAckDecoder m, final int sessionId)
        {
            final long frameworkId = m.frameworkId();
            final long msb = m.uuidMsb();
            final long lsb = m.uuidLsb();
            final String key = frameworkId + "/" + m.taskId();
            final ArrayDeque<Update> updates = pending.get(key);
            final Update head = updates == null ? null : updates.peek();
            if (head != null && head.uuidMsb() == msb && head.uuidLsb() == lsb)
            {
                updates.poll();
                nextStatusNs.remove(key);
                if (updates.isEmpty())
                {
                    pending.remove(key);
                }
                if (head.state() == TaskState.FINISHED)
                {
                    finished.incrementAndGet();
                }
            }
        }

        @Override
        public void onErrorReply(final ErrorReplyDecoder m, final int sessionId)
        {
            if (m.code() == ErrorCode.NOT_REGISTERED)
            {
                registered = false;
                nextRegisterNs = nowNs;
            }
        }

        @Override
        public void onBadFrame(final int sessionId, final int templateId, final String problem)
        {
        }
    }

    private final Aeron aeron;
    private final String host;
    private final List<String> masters;
    private final long cpusMilli;
    private final long memMb;
    private final long taskNs;
    private final Outbound out = new Outbound();
    private final List<Sim> sims = new ArrayList<>();
    private final Map<Integer, ExclusivePublication> publications = new HashMap<>();
    private final Map<String, Boolean> started = new HashMap<>();
    /** Owned by the duty thread. */
    private final boolean[] everRegistered;
    private final long[] registeredAfterMark;
    /** Set by the harness (a leader kill): agents registering after it are counted again. */
    volatile long markNs = Long.MAX_VALUE;
    final AtomicLong registeredSinceMark = new AtomicLong();
    final AtomicLong registeredCount = new AtomicLong();
    final AtomicLong registrationsSent = new AtomicLong();
    final AtomicLong removed = new AtomicLong();
    final AtomicLong runTasks = new AtomicLong();
    final AtomicLong finished = new AtomicLong();
    final Recorder heartbeatAck = new Recorder(3);
    private final int count;
    private long nowNs;

    /** Counts agents registering (again) from now on, e.g. after a leader kill. */
    void mark()
    {
        registeredSinceMark.set(0);
        markNs = System.nanoTime();
    }

    SimAgents(final Aeron aeron, final String host, final List<String> masters, final int count, final long cpusMilli,
        final long memMb, final long taskMs)
    {
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

    private ExclusivePublication publication(final int master)
    {
        return publications.computeIfAbsent(master,
            m -> aeron.addExclusivePublication(Protocol.channel(masters.get(m)), Protocol.STREAM_ID));
    }

    @Override
    public void onStart()
    {
        for (int i = 0; i < count; i++)
        {
            sims.add(new Sim(i));
        }
    }

    @Override
    public int doWork()
    {
        nowNs = System.nanoTime();
        int work = 0;
        for (int i = 0; i < sims.size(); i++)
        {
            work += sims.get(i).doWork(nowNs);
        }
        return work;
    }

    @Override
    public void onClose()
    {
        sims.forEach(s -> s.subscription.close());
        publications.values().forEach(ExclusivePublication::close);
    }

    @Override
    public String roleName()
    {
        return "corral-sim-agents";
    }
}
