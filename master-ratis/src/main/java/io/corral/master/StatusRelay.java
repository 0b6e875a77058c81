package io.corral.master;

import java.util.ArrayList;
import java.util.List;

import io.corral.codec.Protocol;
import io.corral.codec.sbe.TaskState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's status path, Mesos-shaped: an agent's STARTING or RUNNING goes to the framework at
 * once (the agent keeps it and resends it until the framework's acknowledgement comes back, and
 * reports its tasks' states when it registers again, so a new leader learns them without the
 * log); it is also proposed, coalesced per task per cycle, and not waited for. A terminal update
 * is proposed and goes to the framework only once committed: what a framework is told ended, and
 * acknowledges, survives any leader change. A resent update (same uuid) is never proposed twice:
 * one already forwarded is delivered again while it is still the task's latest (acknowledged for
 * the framework once a later one went), one being committed is dropped. The framework's
 * acknowledgement goes back to the agent. Also reconciliation and the statuses the master makes
 * up itself (TASK_ERROR for a refused launch). Part of the leader's duties, owned by the duty
 * thread.
 */
final class StatusRelay
{
    private static final Logger LOG = LoggerFactory.getLogger(StatusRelay.class);
    private static final int ACKNOWLEDGED_REMEMBERED = 100_000;
    private static final long[] NO_UUID = new long[2];

    private final io.corral.codec.LogThrottle unknownLog = new io.corral.codec.LogThrottle(10_000_000_000L);
    private final MasterState state;
    private final TaskControl tasks;
    private final Outputs outputs;
    private final AgentPublisher toAgents;
    private final FrameworkPublisher toFrameworks;
    private final MasterMetrics metrics;
    private final List<TaskControl.Update> statuses = new ArrayList<>();
    private static final int MAX_FREE_UPDATES = 16_384;
    /** Updates proposed and free to carry another one (no object per status update). */
    private final java.util.ArrayDeque<TaskControl.Update> free = new java.util.ArrayDeque<>();
    private final java.util.function.BiConsumer<MasterState.Task, TaskControl.Update> addStatus =
        (task, update) -> statuses.add(update);
    /** This cycle's STARTING or RUNNING updates to propose, the latest per task (a terminal one replaces them). */
    private final java.util.IdentityHashMap<MasterState.Task, TaskControl.Update> intermediate =
        new java.util.IdentityHashMap<>();
    /**
     * States this leader forwarded and the log does not hold yet (leader-local, like Mesos's
     * master's task states): a later update lower than one of these is stale, and reconciliation
     * answers with it.
     */
    private final java.util.IdentityHashMap<MasterState.Task, TaskState> forwardedAhead =
        new java.util.IdentityHashMap<>();
    /** Tasks whose agent reported them ended while this leader's log has them live: reconciliation waits. */
    private final java.util.IdentityHashMap<MasterState.Task, Boolean> endReported = new java.util.IdentityHashMap<>();
    /** Terminal updates proposed and not yet applied: a resend of one is dropped, not proposed again. */
    private final UuidBook beingCommitted = new UuidBook(ACKNOWLEDGED_REMEMBERED, false);
    /** The launch path: an agent's first update confirms its launch (no more RunTask). */
    private java.util.function.ObjLongConsumer<MasterState.Task> confirmed = (t, nowNs) -> { };
    /** Updates the framework has acknowledged (soft state): an agent's duplicate of one is dropped. */
    private final UuidBook acknowledgedByFramework = new UuidBook(ACKNOWLEDGED_REMEMBERED, false);
    /** Updates forwarded and not yet acknowledged, with the agent each came from: where an ack goes. */
    private final UuidBook forwarded = new UuidBook(ACKNOWLEDGED_REMEMBERED);
    /**
     * The last log index an earlier leader may have written when this one took office (Raft's
     * commit index then: leader-ready means this term's first entry is committed, so every
     * earlier entry is at or below it). Until the state has applied it, the state is behind what
     * frameworks may have been told: an earlier leader forwarded STARTING and RUNNING ahead of its
     * log and ends once committed, so a STARTING or RUNNING from those entries may already be
     * followed, in the framework's eyes, by an end further on in them.
     */
    private long catchUpIndex;
    /** STARTING or RUNNING from entries at or below {@link #catchUpIndex}, latest per task: sent once caught up, if still the latest. */
    private final java.util.IdentityHashMap<MasterState.Task, MasterEvent.TaskStateChanged> heldBack =
        new java.util.IdentityHashMap<>();
    /** Reconciliations asked for while catching up: answered once caught up (from a state that is no longer behind). */
    private final List<java.util.function.LongConsumer> reconcileWhenCaughtUp = new ArrayList<>();

    StatusRelay(final MasterState state, final Outputs outputs)
    {
        this.state = state;
        this.tasks = state.taskControl();
        this.outputs = outputs;
        this.toAgents = outputs.toAgents();
        this.toFrameworks = outputs.toFrameworks();
        this.metrics = outputs.metrics();
    }

    /**
     * Entries up to {@code index} were written by earlier leaders: until they are applied, no
     * STARTING or RUNNING goes to a framework ahead of the log, those entries' own STARTING and
     * RUNNING wait, and reconciliation waits (see {@link #catchUpIndex}).
     */
    void catchUpTo(final long index)
    {
        catchUpIndex = index;
    }

    long catchUpIndex()
    {
        return catchUpIndex;
    }

    private Runnable whenCaughtUp = () -> { };
    private boolean callWhenCaughtUp;

    /** What runs once caught up, before held-back updates and waiting reconciliations (when {@link #callWhenCaughtUp()}). */
    void whenCaughtUp(final Runnable action)
    {
        this.whenCaughtUp = action;
    }

    /** Asks for the {@link #whenCaughtUp} action once caught up. */
    void callWhenCaughtUp()
    {
        callWhenCaughtUp = true;
    }

    /** True while entries of earlier leaders (or from before a stall) are still to be applied. */
    boolean catchingUp()
    {
        return state.lastAppliedIndex() < catchUpIndex;
    }

    /** Called when an agent's update shows it has a task (its launch needs no more RunTask). */
    void onConfirmed(final java.util.function.ObjLongConsumer<MasterState.Task> confirmed)
    {
        this.confirmed = confirmed;
    }

    void onStatusUpdate(final long agentId, final long frameworkId, final long msb, final long lsb,
        final TaskState taskState, final int exitCode, final long timestampMs, final String taskId,
        final String message, final long nowNs)
    {
        onStatusUpdate(agentId, frameworkId, msb, lsb, taskState, exitCode, timestampMs, tasks.get(frameworkId, taskId),
            taskId, message, nowNs);
    }

    /** As above, for {@code task}, already looked up (null if the state does not hold it). */
    void onStatusUpdate(final long agentId, final long frameworkId, final long msb, final long lsb,
        final TaskState taskState, final int exitCode, final long timestampMs, final MasterState.Task task,
        final String taskId, final String message, final long nowNs)
    {
        sendHeldBack(nowNs); // (caught up since the last cycle: those first, then this one)
        final Result checked = tasks.checkUpdate(agentId, frameworkId, taskId, task);
        if (checked.refused() && checked.code() == io.corral.codec.sbe.ErrorCode.NOT_PERMITTED)
        {
            // Another agent's task: changes nothing; counted, the sender told, and its update
            // acknowledged so that it stops resending it (an agent that came back under a new id
            // resends its old tasks' updates: those tasks were LOST with the old id).
            metrics.authRefused(MasterMetrics.AuthRefusal.NOT_YOURS);
            final MasterState.Agent sender = state.agent(agentId);
            toAgents.error(sender == null ? null : sender.endpoint(), checked.code(),
                io.corral.codec.sbe.StatusUpdateDecoder.TEMPLATE_ID, checked.reason(), nowNs);
            sendStatusAck(agentId, frameworkId, taskId, msb, lsb, nowNs);
            return;
        }
        if (checked.refused())
        {
            // Nothing to record: acknowledge so the agent stops retrying, and say why in the log.
            // (a resend of a task dropped from the finished-task history, say: one line per 10 s)
            if (unknownLog.allow(nowNs))
            {
                LOG.warn("status update {} for unknown task {}/{} from agent {}{}", taskState, frameworkId, taskId,
                    agentId, unknownLog.leftOut());
            }
            sendStatusAck(agentId, frameworkId, taskId, msb, lsb, nowNs);
            return;
        }
        final boolean hasUuid = msb != 0 || lsb != 0;
        final MasterState.Framework framework = state.framework(frameworkId);
        if (hasUuid && acknowledgedByFramework.contains(msb, lsb))
        {
            sendStatusAck(agentId, frameworkId, taskId, msb, lsb, nowNs); // nothing more to tell anyone
            return;
        }
        confirmed.accept(task, nowNs);
        if (hasUuid && forwarded.contains(msb, lsb) && framework != null)
        {
            // Sent to the framework and not acknowledged: delivered again (never proposed again) while
            // it is still the task's latest state; once a later one was sent, the framework has that,
            // and this one is acknowledged for it. Redelivering an older update after a newer one
            // would take the task backwards in the framework's eyes (the chaos checker caught a
            // STARTING after FINISHED): an agent's pipelined updates make that possible, Mesos's
            // one-at-a-time stream did not.
            if (!MasterState.isTerminal(task.state) && catchingUp())
            {
                return; // the log may end the task further on: not sent again until caught up (the agent resends)
            }
            if (MasterState.isTerminal(task.state) ? task.lastUuidMsb == msb && task.lastUuidLsb == lsb :
                taskState == latest(task))
            {
                redeliver(framework, task, msb, lsb, taskState, exitCode, message, timestampMs, nowNs);
            }
            else
            {
                sendStatusAck(agentId, frameworkId, taskId, msb, lsb, nowNs);
            }
            return;
        }
        if (MasterState.isTerminal(task.state))
        {
            if (hasUuid && task.lastUuidMsb == msb && task.lastUuidLsb == lsb && framework != null)
            {
                // The committed end, resent: its acknowledgement has not come back; deliver it again.
                redeliver(framework, task, msb, lsb, task.state, task.exitCode, task.message, task.updatedAtMs, nowNs);
            }
            else
            {
                sendStatusAck(agentId, frameworkId, taskId, msb, lsb, nowNs); // after the end: stale
            }
            return;
        }
        if (hasUuid && beingCommitted.contains(msb, lsb))
        {
            return; // proposed and not applied yet: its commit forwards it
        }
        if (!MasterState.isTerminal(taskState) && taskState.value() < latest(task).value())
        {
            sendStatusAck(agentId, frameworkId, taskId, msb, lsb, nowNs); // superseded: the framework has a newer one
            return;
        }
        final TaskControl.Update update = pooled().set(frameworkId, agentId, msb, lsb, taskState, exitCode,
            timestampMs, task.taskId, message).idBytes(task.taskIdUtf8);
        if (MasterState.isTerminal(taskState))
        {
            intermediate.remove(task); // the end is what the log needs
            if (hasUuid)
            {
                beingCommitted.put(msb, lsb, 0);
            }
            statuses.add(update);
            return;
        }
        // STARTING or RUNNING: to the framework now, to the log when the cycle ends (not waited for).
        final TaskControl.Update replaced = intermediate.put(task, update);
        if (catchingUp() && framework != null)
        {
            if (replaced != null && (replaced.uuidMsb() != 0 || replaced.uuidLsb() != 0))
            {
                // Coalesced away (this cycle proposes only the task's latest): a resend of it is
                // superseded, acknowledged then, no longer dropped as being committed.
                beingCommitted.remove(replaced.uuidMsb(), replaced.uuidLsb());
            }
            // The log may hold an end for this task that a framework was told already (a resend of
            // an update an earlier leader forwarded): this one goes out only once committed, when
            // the state knows whether it is stale.
            if (hasUuid)
            {
                beingCommitted.put(msb, lsb, 0);
            }
            return;
        }
        if (framework == null)
        {
            // Its framework is gone (its tasks are being killed): recorded, nobody to tell.
            sendStatusAck(agentId, frameworkId, taskId, msb, lsb, nowNs);
            return;
        }
        forwardedAhead.put(task, taskState);
        if (hasUuid)
        {
            forwarded.put(msb, lsb, agentId);
        }
        toFrameworks.forward(framework.endpoint(), task, msb, lsb, taskState, exitCode, message, timestampMs, nowNs);
        metrics.statusUpdatesForwarded.inc();
    }

    private void redeliver(final MasterState.Framework framework, final MasterState.Task task, final long msb,
        final long lsb, final TaskState s, final int exitCode, final String message, final long timestampMs,
        final long nowNs)
    {
        forwarded.put(msb, lsb, task.agentId);
        toFrameworks.forward(framework.endpoint(), task, msb, lsb, s, exitCode, message, timestampMs, nowNs);
        metrics.statusUpdatesForwarded.inc();
    }

    /**
     * A registering agent's word on a task's state (from its task list) that this leader's log
     * does not hold: taken as forwarded (the framework heard it from the agent, or will when the
     * agent resends it) and proposed without a uuid (nothing for anyone to acknowledge).
     */
    void reported(final MasterState.Task task, final TaskState reported)
    {
        if (MasterState.isTerminal(reported) && !MasterState.isTerminal(task.state))
        {
            // Ended on the agent, the end not in this leader's log yet (on its way: the agent resends
            // it until acknowledged), and the framework may have been told RUNNING ahead of the
            // log: reconciliation waits for the end rather than answer the log's older state.
            endReported.put(task, Boolean.TRUE);
            return;
        }
        final TaskState ahead = forwardedAhead.get(task);
        if (MasterState.isTerminal(reported) || MasterState.isTerminal(task.state) ||
            reported.value() <= task.state.value() || ahead != null && reported.value() <= ahead.value())
        {
            return;
        }
        forwardedAhead.put(task, reported);
        if (!intermediate.containsKey(task))
        {
            intermediate.put(task, new TaskControl.Update(task.frameworkId, task.agentId, 0, 0, reported, 0,
                outputs.clock().time(), task.taskId, "reported by the agent when it registered"));
        }
    }

    private TaskControl.Update pooled()
    {
        final TaskControl.Update reused = free.poll();
        return reused != null ? reused : new TaskControl.Update(0, 0, 0, 0, TaskState.STAGING, 0, 0, "", "");
    }

    /** The state a framework was last told of this task by this leader or the log, whichever is further. */
    TaskState latest(final MasterState.Task task)
    {
        final TaskState ahead = forwardedAhead.get(task);
        return ahead != null && !MasterState.isTerminal(task.state) && ahead.value() > task.state.value() ? ahead :
            task.state;
    }

    /** A master-made LOST for a task its agent no longer has; replicated like an agent's update. */
    void lost(final MasterState.TaskView task, final String message)
    {
        final long[] uuid = Protocol.uuid();
        statuses.add(new TaskControl.Update(task.frameworkId(), task.agentId(), uuid[0], uuid[1], TaskState.LOST, 0,
            outputs.clock().time(), task.taskId(), message));
    }

    /**
     * A framework acknowledged an update: relayed to the agent it came from, which then stops
     * resending it. The task id stays in {@code taskId}'s bytes (no String): an update this leader
     * forwarded is found by its uuid; only one an earlier leader forwarded needs the task looked up.
     */
    void onAcknowledge(final long frameworkId, final org.agrona.DirectBuffer taskId, final long msb, final long lsb,
        final long nowNs)
    {
        long agentId = forwarded.get(msb, lsb);
        if (agentId == Long.MIN_VALUE)
        {
            final MasterState.Task task = state.task(frameworkId, taskId.getStringWithoutLengthUtf8(0, taskId.capacity()));
            if (task == null)
            {
                return;
            }
            agentId = task.agentId;
        }
        // (kept in forwarded: a repeated acknowledgement, after a redelivery, finds its agent the same way)
        acknowledgedByFramework.put(msb, lsb, 0);
        final MasterState.Agent agent = state.agent(agentId);
        toAgents.statusAck(agent == null ? null : agent.endpoint(), agentId, frameworkId, taskId, msb, lsb, nowNs);
    }

    /**
     * A committed state change: an end goes to the framework now (unless stale, its framework is
     * gone or it already acknowledged it: then the agent is acknowledged here); a STARTING or
     * RUNNING this leader forwarded ahead of the log is not sent again. True if it was forwarded.
     */
    boolean forward(final MasterEvent.TaskStateChanged e, final long nowNs)
    {
        final MasterState.Task task = e.task();
        final MasterState.Framework framework = state.framework(task.frameworkId);
        final boolean withUuid = e.uuidMsb() != 0 || e.uuidLsb() != 0;
        if (withUuid)
        {
            beingCommitted.remove(e.uuidMsb(), e.uuidLsb());
        }
        final TaskState ahead = forwardedAhead.get(task);
        if (ahead != null && (MasterState.isTerminal(task.state) || ahead.value() <= task.state.value()))
        {
            forwardedAhead.remove(task); // the log has caught up
        }
        if (MasterState.isTerminal(task.state))
        {
            endReported.remove(task);
        }
        final boolean alreadyAcknowledged = withUuid && acknowledgedByFramework.contains(e.uuidMsb(), e.uuidLsb());
        if (e.outcome() == MasterEvent.Outcome.STALE || framework == null || alreadyAcknowledged)
        {
            // Nothing to tell a framework (superseded update, or the framework is gone):
            // acknowledge so the agent stops resending.
            if (withUuid)
            {
                sendStatusAck(task.agentId, task.frameworkId, task.taskId, e.uuidMsb(), e.uuidLsb(), nowNs);
            }
            return false;
        }
        if (!MasterState.isTerminal(e.state()) && (!withUuid || forwarded.contains(e.uuidMsb(), e.uuidLsb())))
        {
            return false; // went ahead of the log (or an agent's report at registration): told already
        }
        if (!MasterState.isTerminal(e.state()) && latest(task).value() > e.state().value())
        {
            // The framework was told a later state ahead of the log (a STARTING proposed while this
            // leader could not go ahead, committed after the agent's RUNNING went out): superseded.
            if (withUuid)
            {
                sendStatusAck(task.agentId, task.frameworkId, task.taskId, e.uuidMsb(), e.uuidLsb(), nowNs);
            }
            return false;
        }
        if (e.index() <= catchUpIndex)
        {
            // An earlier leader's entry: its STARTING or RUNNING may be followed by an end further on
            // (that leader told the framework both): held back until the state has caught up.
            if (!MasterState.isTerminal(e.state()))
            {
                heldBack.put(task, e.copy()); // (e is reused once read)
                return false;
            }
            heldBack.remove(task);
        }
        else
        {
            sendHeldBack(nowNs);
        }
        // An end, or a change this leader did not forward (an earlier leader's, committed now):
        // (re)deliver it; the framework's acknowledgement is relayed to the agent.
        deliver(framework, e, nowNs);
        return true;
    }

    /** A committed change to its framework, booked by uuid (if any) so that the framework's ack finds the agent. */
    private void deliver(final MasterState.Framework framework, final MasterEvent.TaskStateChanged e, final long nowNs)
    {
        final MasterState.Task task = e.task();
        if (e.uuidMsb() != 0 || e.uuidLsb() != 0)
        {
            forwarded.put(e.uuidMsb(), e.uuidLsb(), task.agentId);
        }
        toFrameworks.forward(framework.endpoint(), task, e.uuidMsb(), e.uuidLsb(), e.state(), e.exitCode(), e.message(),
            e.timestampMs(), nowNs);
        metrics.statusUpdatesForwarded.inc();
    }

    /**
     * Reconciliation as in Mesos: the latest state of each named task (LOST if the master does not
     * know it), or with no names, of every task of the framework that has not ended. These carry no
     * uuid: they need no acknowledgement.
     */
    void onReconcile(final long frameworkId, final List<String> taskIds,
        final java.util.function.BiPredicate<Long, String> launching, final java.util.function.LongPredicate agentHeard,
        final long nowNs)
    {
        if (catchingUp())
        {
            // The state is behind what frameworks were told (an end further on in the log): no
            // answer from it yet.
            reconcileWhenCaughtUp.add(at -> onReconcile(frameworkId, taskIds, launching, agentHeard, at));
            return;
        }
        // Caught up since the last cycle (on an entry that made no event, say): what waited for
        // it (agents' task lists, with the states the log lacks) goes before this answer.
        sendHeldBack(nowNs);
        if (taskIds.isEmpty())
        {
            for (final MasterState.Task t : tasks.each())
            {
                if (t.frameworkId == frameworkId && !MasterState.isTerminal(t.state) && agentHeard.test(t.agentId) &&
                    !endReported.containsKey(t))
                {
                    sendTaskStatus(frameworkId, t.agentId, t.taskId, latest(t), t.exitCode, t.message, false, nowNs);
                }
            }
            return;
        }
        for (final String taskId : taskIds)
        {
            final MasterState.Task t = state.task(frameworkId, taskId);
            final TaskState ended;
            if (t == null && launching.test(frameworkId, taskId))
            {
                sendTaskStatus(frameworkId, 0, taskId, TaskState.STAGING, 0,
                    "reconciliation: the launch is being committed", false, nowNs);
            }
            else if (t == null && (ended = tasks.forgotten(frameworkId, taskId)) != null)
            {
                sendTaskStatus(frameworkId, 0, taskId, ended, 0,
                    "reconciliation: the task ended and was dropped from the master's finished-task history", false,
                    nowNs);
            }
            else if (t == null)
            {
                sendTaskStatus(frameworkId, 0, taskId, TaskState.LOST, 0, "reconciliation: task is unknown to the master",
                    false, nowNs);
            }
            else if (MasterState.isTerminal(t.state) || agentHeard.test(t.agentId) && !endReported.containsKey(t))
            {
                sendTaskStatus(frameworkId, t.agentId, taskId, latest(t), t.exitCode, t.message, false, nowNs);
            }
            // (else its agent has not registered with this leader yet: no answer until it has)
        }
    }

    /** Proposes this cycle's updates as one record: the ends, and the latest STARTING or RUNNING of other tasks. */
    int doWork(final long nowNs)
    {
        int work = sendHeldBack(nowNs);
        if (!intermediate.isEmpty())
        {
            intermediate.forEach(addStatus); // (addAll would copy the values to an array first)
            intermediate.clear();
        }
        if (!statuses.isEmpty())
        {
            outputs.proposeIfAny(tasks.update(statuses, outputs.records()));
            work += statuses.size();
            // Written into the record: each update is free for another (a superseded one, dropped
            // from intermediate, is simply not reused).
            for (int i = 0; i < statuses.size() && free.size() < MAX_FREE_UPDATES; i++)
            {
                free.add(statuses.get(i));
            }
            statuses.clear();
        }
        return work;
    }

    /**
     * Once the entries of earlier leaders are applied: their STARTING and RUNNING that are still
     * their task's state go to the framework (it may not have heard them: the leader that
     * forwarded them may have died first), then the reconciliations that waited are answered.
     */
    private int sendHeldBack(final long nowNs)
    {
        if (!callWhenCaughtUp && heldBack.isEmpty() && reconcileWhenCaughtUp.isEmpty() || catchingUp())
        {
            return 0;
        }
        int work = 0;
        if (callWhenCaughtUp)
        {
            callWhenCaughtUp = false;
            whenCaughtUp.run(); // (agents' task lists that waited: before any answer below)
        }
        for (final MasterEvent.TaskStateChanged e : heldBack.values())
        {
            final MasterState.Task task = e.task();
            final MasterState.Framework framework = state.framework(task.frameworkId);
            final boolean withUuid = e.uuidMsb() != 0 || e.uuidLsb() != 0;
            if (framework == null || task.state != e.state() || latest(task) != e.state() ||
                withUuid && (acknowledgedByFramework.contains(e.uuidMsb(), e.uuidLsb()) ||
                forwarded.contains(e.uuidMsb(), e.uuidLsb())))
            {
                continue; // superseded since (or nobody to tell, or told already)
            }
            deliver(framework, e, nowNs);
            work++;
        }
        heldBack.clear();
        final List<java.util.function.LongConsumer> waiting = new ArrayList<>(reconcileWhenCaughtUp);
        reconcileWhenCaughtUp.clear();
        waiting.forEach(answer -> answer.accept(nowNs));
        return work + waiting.size();
    }

    void sendStatusAck(final long agentId, final long frameworkId, final String taskId, final long msb,
        final long lsb, final long nowNs)
    {
        final MasterState.Agent agent = state.agent(agentId);
        toAgents.statusAck(agent == null ? null : agent.endpoint(), agentId, frameworkId, taskId, msb, lsb, nowNs);
    }

    /**
     * A status the master tells a framework itself, not from an agent: a TASK_ERROR for a refused
     * launch ({@code withUuid}), or a reconciliation answer (no uuid: nothing to acknowledge).
     * Neither is replicated.
     */
    void sendTaskStatus(final long frameworkId, final long agentId, final String taskId, final TaskState s,
        final int exitCode, final String message, final boolean withUuid, final long nowNs)
    {
        final MasterState.Framework framework = state.framework(frameworkId);
        final long[] uuid = withUuid ? Protocol.uuid() : NO_UUID;
        toFrameworks.taskStatus(framework == null ? null : framework.endpoint(), frameworkId, agentId, taskId, uuid[0],
            uuid[1], s, exitCode, message, outputs.clock().time(), nowNs);
    }
}
