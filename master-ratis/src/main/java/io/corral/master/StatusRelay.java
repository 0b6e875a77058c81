package io.corral.master;

import java.util.ArrayList;
import java.util.List;

import io.corral.codec.Protocol;
import io.corral.codec.sbe.TaskState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's status path: agents' updates wait for the cycle's one {@code TaskStatesChanged}
 * record; once committed they go to the framework; the framework's acknowledgement goes back to
 * the agent, which resends until it gets one. Also reconciliation and the statuses the master
 * makes up itself (TASK_ERROR for a refused launch). Part of the leader's duties, owned by the
 * duty thread.
 */
final class StatusRelay
{
    private static final Logger LOG = LoggerFactory.getLogger(StatusRelay.class);
    private static final int ACKNOWLEDGED_REMEMBERED = 100_000;
    private static final long[] NO_UUID = new long[2];

    private final MasterState state;
    private final TaskControl tasks;
    private final Outputs outputs;
    private final AgentPublisher toAgents;
    private final FrameworkPublisher toFrameworks;
    private final MasterMetrics metrics;
    private final List<TaskControl.Update> statuses = new ArrayList<>();
    /** Updates the framework has acknowledged (soft state): an agent's duplicate of one is dropped. */
    private final UuidBook acknowledgedByFramework = new UuidBook(ACKNOWLEDGED_REMEMBERED);
    /** Updates forwarded and not yet acknowledged, with the agent each came from: where an ack goes. */
    private final UuidBook forwarded = new UuidBook(ACKNOWLEDGED_REMEMBERED);

    StatusRelay(final MasterState state, final Outputs outputs)
    {
        this.state = state;
        this.tasks = state.taskControl();
        this.outputs = outputs;
        this.toAgents = outputs.toAgents();
        this.toFrameworks = outputs.toFrameworks();
        this.metrics = outputs.metrics();
    }

    void onStatusUpdate(final long agentId, final long frameworkId, final long msb, final long lsb,
        final TaskState taskState, final int exitCode, final long timestampMs, final String taskId,
        final String message, final long nowNs)
    {
        final Result checked = tasks.checkUpdate(agentId, frameworkId, taskId);
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
            LOG.warn("status update {} for unknown task {}/{} from agent {}", taskState, frameworkId, taskId, agentId);
            sendStatusAck(agentId, frameworkId, taskId, msb, lsb, nowNs);
            return;
        }
        statuses.add(new TaskControl.Update(frameworkId, agentId, msb, lsb, taskState, exitCode, timestampMs, taskId,
            message));
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
     * A committed state change: forwards it to the framework, unless it is stale, the framework is
     * gone or it already acknowledged this update, in which case the agent is acknowledged here.
     * True if it was forwarded.
     */
    boolean forward(final MasterEvent.TaskStateChanged e, final long nowNs)
    {
        final MasterState.Task task = e.task();
        final MasterState.Framework framework = state.framework(task.frameworkId);
        final boolean alreadyAcknowledged = e.outcome() == MasterEvent.Outcome.DUPLICATE &&
            acknowledgedByFramework.contains(e.uuidMsb(), e.uuidLsb());
        if (e.outcome() == MasterEvent.Outcome.STALE || framework == null || alreadyAcknowledged)
        {
            // Nothing to tell a framework (superseded update, or the framework is gone):
            // acknowledge so the agent stops resending.
            sendStatusAck(task.agentId, task.frameworkId, task.taskId, e.uuidMsb(), e.uuidLsb(), nowNs);
            return false;
        }
        // Changed, or a duplicate whose acknowledgement has not come back: (re)deliver it;
        // the framework's acknowledgement is relayed to the agent.
        if (e.uuidMsb() != 0 || e.uuidLsb() != 0)
        {
            forwarded.put(e.uuidMsb(), e.uuidLsb(), task.agentId);
        }
        toFrameworks.forward(framework.endpoint(), task, e.uuidMsb(), e.uuidLsb(), e.state(), e.exitCode(), e.message(),
            e.timestampMs(), nowNs);
        metrics.statusUpdatesForwarded.inc();
        return true;
    }

    /**
     * Reconciliation as in Mesos: the latest state of each named task (LOST if the master does not
     * know it), or with no names, of every task of the framework that has not ended. These carry no
     * uuid: they need no acknowledgement.
     */
    void onReconcile(final long frameworkId, final List<String> taskIds,
        final java.util.function.BiPredicate<Long, String> launching, final long nowNs)
    {
        if (taskIds.isEmpty())
        {
            for (final MasterState.TaskView t : state.tasks())
            {
                if (t.frameworkId() == frameworkId && !MasterState.isTerminal(t.state()))
                {
                    sendTaskStatus(frameworkId, t.agentId(), t.taskId(), t.state(), t.exitCode(), t.message(), false,
                        nowNs);
                }
            }
            return;
        }
        for (final String taskId : taskIds)
        {
            final MasterState.Task t = state.task(frameworkId, taskId);
            if (t == null && launching.test(frameworkId, taskId))
            {
                sendTaskStatus(frameworkId, 0, taskId, TaskState.STAGING, 0,
                    "reconciliation: the launch is being committed", false, nowNs);
            }
            else if (t == null)
            {
                sendTaskStatus(frameworkId, 0, taskId, TaskState.LOST, 0, "reconciliation: task is unknown to the master",
                    false, nowNs);
            }
            else
            {
                sendTaskStatus(frameworkId, t.agentId, taskId, t.state, t.exitCode, t.message, false, nowNs);
            }
        }
    }

    /** Proposes this cycle's updates as one record. */
    int doWork()
    {
        int work = 0;
        if (!statuses.isEmpty())
        {
            outputs.proposeIfAny(tasks.update(statuses, outputs.records()));
            work += statuses.size();
            statuses.clear();
        }
        return work;
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
