package io.corral.master;

import java.util.ArrayList;
import java.util.List;

import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.TaskState;
import io.corral.codec.sbe.TaskStatesChangedEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's status path: agents' updates wait for the cycle's one {@code TaskStatesChanged}
 * record; once committed they go to the framework; the framework's acknowledgement goes back to
 * the agent, which resends until it gets one. Also reconciliation and the statuses the master
 * makes up itself (TASK_ERROR for a refused launch). Part of {@link LeaderDuties}, owned by the
 * duty thread.
 */
final class StatusRelay
{
    private static final Logger LOG = LoggerFactory.getLogger(StatusRelay.class);
    private static final int ACKNOWLEDGED_REMEMBERED = 100_000;

    private record PendingStatus(long frameworkId, long agentId, long uuidMsb, long uuidLsb, TaskState state,
        int exitCode, long timestampMs, String taskId, String message)
    {
    }

    private final MasterState state;
    private final Connections connections;
    private final Outbound out;
    private final Outbound records = new Outbound();
    private final LeaderDuties.RecordProposer proposer;
    private final MasterMetrics metrics;
    private final List<PendingStatus> statuses = new ArrayList<>();
    /** Updates the framework has acknowledged (soft state): an agent's duplicate of one is dropped. */
    private final java.util.LinkedHashSet<String> acknowledgedByFramework = new java.util.LinkedHashSet<>();

    StatusRelay(final MasterState state, final Connections connections, final Outbound out,
        final LeaderDuties.RecordProposer proposer, final MasterMetrics metrics)
    {
        this.state = state;
        this.connections = connections;
        this.out = out;
        this.proposer = proposer;
        this.metrics = metrics;
    }

    void onStatusUpdate(final long agentId, final long frameworkId, final long msb, final long lsb,
        final TaskState taskState, final int exitCode, final long timestampMs, final String taskId,
        final String message, final long nowNs)
    {
        if (state.task(frameworkId, taskId) == null)
        {
            // Nothing to record: acknowledge so the agent stops retrying, and say why in the log.
            LOG.warn("status update {} for unknown task {}/{} from agent {}", taskState, frameworkId, taskId, agentId);
            sendStatusAck(agentId, frameworkId, taskId, msb, lsb, nowNs);
            return;
        }
        statuses.add(new PendingStatus(frameworkId, agentId, msb, lsb, taskState, exitCode, timestampMs, taskId,
            message));
    }

    /** A master-made LOST for a task its agent no longer has; replicated like an agent's update. */
    void lost(final MasterState.TaskView task, final String message)
    {
        final long[] uuid = Protocol.uuid();
        statuses.add(new PendingStatus(task.frameworkId(), task.agentId(), uuid[0], uuid[1], TaskState.LOST, 0,
            System.currentTimeMillis(), task.taskId(), message));
    }

    void onAcknowledge(final long frameworkId, final String taskId, final long msb, final long lsb,
        final long nowNs)
    {
        final MasterState.Task task = state.task(frameworkId, taskId);
        if (task != null)
        {
            if (acknowledgedByFramework.add(msb + ":" + lsb) && acknowledgedByFramework.size() > ACKNOWLEDGED_REMEMBERED)
            {
                acknowledgedByFramework.remove(acknowledgedByFramework.iterator().next());
            }
            sendStatusAck(task.agentId, frameworkId, taskId, msb, lsb, nowNs);
        }
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
            acknowledgedByFramework.contains(e.uuidMsb() + ":" + e.uuidLsb());
        if (e.outcome() == MasterEvent.Outcome.STALE || framework == null || alreadyAcknowledged)
        {
            // Nothing to tell a framework (superseded update, or the framework is gone):
            // acknowledge so the agent stops resending.
            sendStatusAck(task.agentId, task.frameworkId, task.taskId, e.uuidMsb(), e.uuidLsb(), nowNs);
            return false;
        }
        // Changed, or a duplicate whose acknowledgement has not come back: (re)deliver it;
        // the framework's acknowledgement is relayed to the agent.
        out.taskStatus.wrapAndApplyHeader(out.buffer, 0, out.header)
            .frameworkId(task.frameworkId).agentId(task.agentId).uuidMsb(e.uuidMsb()).uuidLsb(e.uuidLsb())
            .state(e.state()).exitCode(e.exitCode()).timestampMs(e.timestampMs())
            .taskId(task.taskId).message(e.message());
        connections.send(framework.endpoint(), out, Outbound.length(out.taskStatus.encodedLength()), nowNs);
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
            final TaskStatesChangedEncoder.ChangesEncoder group = records.taskStatesChanged
                .wrapAndApplyHeader(records.buffer, 0, records.header).changesCount(statuses.size());
            for (final PendingStatus s : statuses)
            {
                group.next().frameworkId(s.frameworkId()).agentId(s.agentId()).uuidMsb(s.uuidMsb())
                    .uuidLsb(s.uuidLsb()).state(s.state()).exitCode(s.exitCode()).timestampMs(s.timestampMs())
                    .taskId(s.taskId()).message(s.message());
            }
            proposer.propose(records, Outbound.length(records.taskStatesChanged.encodedLength()));
            work += statuses.size();
            statuses.clear();
        }
        return work;
    }

    void sendStatusAck(final long agentId, final long frameworkId, final String taskId, final long msb,
        final long lsb, final long nowNs)
    {
        final MasterState.Agent agent = state.agent(agentId);
        out.statusAck.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId).frameworkId(frameworkId)
            .uuidMsb(msb).uuidLsb(lsb).taskId(taskId);
        connections.send(agent == null ? null : agent.endpoint(), out, Outbound.length(out.statusAck.encodedLength()),
            nowNs);
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
        final long[] uuid = withUuid ? Protocol.uuid() : new long[2];
        out.taskStatus.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).agentId(agentId)
            .uuidMsb(uuid[0]).uuidLsb(uuid[1]).state(s).exitCode(exitCode).timestampMs(System.currentTimeMillis())
            .taskId(taskId).message(message);
        connections.send(framework == null ? null : framework.endpoint(), out,
            Outbound.length(out.taskStatus.encodedLength()), nowNs);
    }
}
