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
 * One simulated agent of {@link SimAgents}: registers, heartbeats, answers RunTask with STARTING,
 * RUNNING and (after the task's time) FINISHED, resends as the real agent does. Owned by the
 * simulator's duty thread.
 */
final class SimAgent
{
    private final SimAgents owner;
    final int index;
    final String hostname;
    /** As the real agent's checkpointed secret: proves its claim to its id when it registers again. */
    final String secret = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) +
        Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    final SimAgents.Endpoint home;
    final io.corral.codec.Backoff backoff;
    /** As the real agent: its own interval, or the leader's pacing if longer. */
    long heartbeatNs = SimAgents.HEARTBEAT_NS;
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
    final Map<String, SimAgents.Unacked> pending = new HashMap<>();
    /** Updates queued and not sent yet, in order; each with its task's unacknowledged list. */
    final ArrayDeque<SimAgents.Unacked> freshTask = new ArrayDeque<>();
    final ArrayDeque<SimAgents.Update> fresh = new ArrayDeque<>();
    /** Tasks whose unacknowledged updates go again at their {@code nextNs} (entries may be stale). */
    final java.util.PriorityQueue<SimAgents.Unacked> retries = new java.util.PriorityQueue<>(
        java.util.Comparator.comparingLong(u -> u.nextNs));
    /** FINISHED updates due later, in due order (every task runs as long). */
    final ArrayDeque<SimAgents.Update> finishing = new ArrayDeque<>();

    SimAgent(final SimAgents owner, final int index, final SimAgents.Endpoint home)
    {
        this.owner = owner;
        this.index = index;
        this.home = home;
        this.hostname = "sim-" + index;
        this.backoff = new io.corral.codec.Backoff(SimAgents.REGISTER_RETRY_NS, SimAgents.REGISTER_RETRY_MAX_NS, index);
        master = index % owner.masters.size();
        // Spread the first registrations over one retry interval, as agents started by hand would be.
        nextRegisterNs = System.nanoTime() + SimAgents.REGISTER_RETRY_NS * index / Math.max(1, owner.count);
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
        if (nowNs - lastHeardNs > Math.max(SimAgents.LEADER_SILENT_NS, 5 * heartbeatNs))
        {
            // The leader is gone: look for the new one (and say Hello to it afresh).
            registered = false;
            home.forget(master, nowNs);
            master = (master + 1) % owner.masters.size();
            return work;
        }
        if (nowNs >= nextHeartbeatNs)
        {
            owner.out.heartbeat.wrapAndApplyHeader(owner.out.buffer, 0, owner.out.header).agentId(agentId);
            if (home.seal.offer(home.publication(master), owner.out.buffer, Outbound.length(owner.out.heartbeat.encodedLength())))
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
            final SimAgents.Unacked u = freshTask.peek();
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
            final SimAgents.Unacked u = retries.poll();
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
            u.waitNs = Math.min(SimAgents.STATUS_RETRY_MAX_NS, u.waitNs * 2);
            u.queued = true;
            retries.add(u);
        }
        return work;
    }

    private boolean send(final SimAgents.Update next)
    {
        owner.out.statusUpdate.wrapAndApplyHeader(owner.out.buffer, 0, owner.out.header).agentId(agentId)
            .frameworkId(next.frameworkId()).uuidMsb(next.uuidMsb()).uuidLsb(next.uuidLsb())
            .state(next.state()).exitCode(0).timestampMs(System.currentTimeMillis())
            .taskId(next.taskId()).message("");
        return home.seal.offer(home.publication(master), owner.out.buffer, Outbound.length(owner.out.statusUpdate.encodedLength()));
    }

    private void queue(final SimAgents.Update update)
    {
        final SimAgents.Unacked u = pending.computeIfAbsent(update.frameworkId() + "/" + update.taskId(), SimAgents.Unacked::new);
        u.updates.add(update);
        fresh.add(update);
        freshTask.add(u);
    }

    /** Registration attempts in a row whose task list parts did not all go. */
    private int listsNotSent;

    private void register(final String endpoint)
    {
        owner.registrationsSent.incrementAndGet();
        home.seal.resetIfSilent(home.publication(master), SimAgents.LEADER_SILENT_NS); // a restarted master forgot it
        io.corral.codec.TaskListParts list = taskList();
        if (list != null && !list.sendBefore(home.seal, home.publication(master), owner.out, agentId))
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
        Protocol.putResources(owner.out.registerAgent.wrapAndApplyHeader(owner.out.buffer, 0, owner.out.header).agentId(agentId)
            .resources(), new long[] { owner.cpusMilli, owner.memMb, 0, 0 });
        owner.out.registerAgent.hostname(hostname).endpoint(endpoint).attributes("").httpEndpoint("")
            .customResources("").tasks(list == null ? "" : list.registration()).agentSecret(secret);
        home.seal.offer(home.publication(master), owner.out.buffer, Outbound.length(owner.out.registerAgent.encodedLength()));
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
        for (final SimAgents.Update f : finishing)
        {
            states.put(f.frameworkId() + "/" + f.taskId(), TaskState.RUNNING);
        }
        for (final SimAgents.Unacked u : pending.values())
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
        final long nowNs = owner.nowNs;
        heartbeatNs = Math.max(SimAgents.HEARTBEAT_NS, TimeUnit.MILLISECONDS.toNanos(intervalMs));
        backoff.reset();
        if (!registered)
        {
            registered = true;
            nextHeartbeatNs = nowNs + heartbeatNs;
            if (agentId != 0 && id != agentId)
            {
                owner.removed.incrementAndGet();
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
                for (final SimAgents.Unacked u : pending.values())
                {
                    u.nextNs = nowNs;
                    u.waitNs = SimAgents.STATUS_RETRY_NS;
                    u.queued = true;
                    retries.add(u);
                }
            }
            if (!owner.everRegistered[index])
            {
                owner.everRegistered[index] = true;
                owner.registeredCount.incrementAndGet();
            }
            if (nowNs >= owner.markNs && owner.registeredAfterMark[index] != owner.markNs)
            {
                owner.registeredAfterMark[index] = owner.markNs;
                owner.registeredSinceMark.incrementAndGet();
            }
        }
        else if (heartbeatSentNs != 0)
        {
            owner.heartbeatAck.recordValue(Math.max(0, nowNs - heartbeatSentNs));
            heartbeatSentNs = 0;
        }
        if (agentId != id)
        {
            owner.byAgentId.remove(agentId);
            owner.byAgentId.put(id, this);
        }
        agentId = id;
        lastHeardNs = nowNs;
        hint = -1;
        final int at = owner.masters.indexOf(leaderEndpoint);
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
        master = at >= 0 ? at : (master + 1) % owner.masters.size();
        registered = false;
        // Straight to a named leader; with none named yet, the usual retry interval.
        nextRegisterNs = at >= 0 ? owner.nowNs : owner.nowNs + backoff.nextDelayNs();
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
        if (owner.started.putIfAbsent(key, Boolean.TRUE) != null)
        {
            return; // a resent RunTask
        }
        owner.runTasks.incrementAndGet();
        final long nowNs = owner.nowNs;
        queue(update(frameworkId, taskId, TaskState.STARTING, nowNs));
        queue(update(frameworkId, taskId, TaskState.RUNNING, nowNs));
        finishing.add(update(frameworkId, taskId, TaskState.FINISHED, nowNs + owner.taskNs));
    }

    private SimAgents.Update update(final long frameworkId, final String taskId, final TaskState state, final long dueNs)
    {
        final long[] uuid = Protocol.uuid();
        return new SimAgents.Update(frameworkId, taskId, state, uuid[0], uuid[1], dueNs);
    }

    void onStatusAck(final StatusAckDecoder m)
    {
        final long frameworkId = m.frameworkId();
        final long msb = m.uuidMsb();
        final long lsb = m.uuidLsb();
        final String key = frameworkId + "/" + m.taskId();
        final SimAgents.Unacked u = pending.get(key);
        SimAgents.Update head = null;
        boolean ours = false;
        for (final SimAgents.Update x : u == null ? java.util.List.<SimAgents.Update>of() : u.updates)
        {
            ours |= x.uuidMsb() == msb && x.uuidLsb() == lsb;
        }
        // Acknowledged in order: this one and every older one of the task are done.
        while (ours && !u.updates.isEmpty() && head == null)
        {
            final SimAgents.Update first = u.updates.poll();
            if (first.uuidMsb() == msb && first.uuidLsb() == lsb)
            {
                head = first;
            }
            else if (first.state() == TaskState.FINISHED)
            {
                owner.finished.incrementAndGet();
            }
        }
        if (head != null)
        {
            u.waitNs = SimAgents.STATUS_RETRY_NS;
            if (u.updates.isEmpty())
            {
                u.done = true;
                pending.remove(key);
            }
            else if (u.queued)
            {
                // The rest go again a retry interval from now (re-queued under the new time).
                retries.remove(u);
                u.nextNs = owner.nowNs + SimAgents.STATUS_RETRY_NS;
                retries.add(u);
            }
            if (head.state() == TaskState.FINISHED)
            {
                owner.finished.incrementAndGet();
            }
        }
    }

}
