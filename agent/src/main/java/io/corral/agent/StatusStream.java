package io.corral.agent;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import io.aeron.Publication;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.TaskState;

/**
 * The agent's status updates: each task's updates wait in its checkpointed record, the oldest is
 * sent to the leader and resent with backoff (1 s, 2 s, ... 30 s) until a framework's
 * acknowledgement comes back, then the next. A task whose last update is acknowledged is
 * forgotten (and remembered as ended, so a late RunTask cannot start it again). Owned by the
 * agent's duty thread; it shares that thread's task map.
 */
final class StatusStream
{
    private static final int ENDED_REMEMBERED = 100_000;

    private final AgentCheckpoint checkpoint;
    private final Map<String, RunningTask> tasks;
    private final Outbound out = new Outbound();
    private final Map<String, Long> nextSendNs = new HashMap<>();
    /** The wait before the next resend of each task's head update (backing off). */
    private final Map<String, Long> retryNs = new HashMap<>();
    /** Tasks that ended here, remembered so a late resent RunTask cannot start them again. */
    private final LinkedHashSet<String> recentlyEnded = new LinkedHashSet<>();

    StatusStream(final AgentCheckpoint checkpoint, final Map<String, RunningTask> tasks)
    {
        this.checkpoint = checkpoint;
        this.tasks = tasks;
    }

    /** The wait after {@code waitNs} for the next resend of an unacknowledged update: doubled, capped. */
    static long nextRetryNs(final long waitNs)
    {
        return Math.min(AgentNode.STATUS_RETRY_MAX_NS, Math.max(AgentNode.STATUS_RETRY_FIRST_NS, waitNs * 2));
    }

    /**
     * A task recovered from the checkpoint: its latest pending update goes out at once (the
     * others may have gone before the restart; the latest's acknowledgement covers them).
     */
    void recovered(final String key)
    {
        final RunningTask task = tasks.get(key);
        if (task != null)
        {
            task.record.sent = task.record.pending.size();
        }
        nextSendNs.put(key, 0L);
    }

    boolean endedRecently(final String key)
    {
        return recentlyEnded.contains(key);
    }

    /** A new leader (or a re-registration): each task's latest pending update goes out now, backoff reset. */
    void resendAllNow()
    {
        nextSendNs.replaceAll((k, v) -> 0L);
        retryNs.clear();
    }

    /** The masters forgot this agent: its tasks and their updates are gone. */
    void clear()
    {
        nextSendNs.clear();
        retryNs.clear();
    }

    /** Adds an update to the task's queue, checkpointed before it is ever sent. */
    void queue(final RunningTask task, final TaskState state, final int exitCode, final String message)
    {
        final long[] uuid = Protocol.uuid();
        final TaskRecord.Update update = new TaskRecord.Update();
        update.uuidMsb = uuid[0];
        update.uuidLsb = uuid[1];
        update.state = state.name();
        update.exitCode = exitCode;
        update.timestampMs = System.currentTimeMillis();
        update.message = message;
        task.record.pending.add(update);
        task.record.state = update.state;
        checkpoint.save(task.record);
        nextSendNs.putIfAbsent(task.record.key(), 0L);
    }

    /**
     * Sends what is due to {@code leader}, each task's updates in order: an update is sent as soon
     * as it is queued, without waiting for the acknowledgement of the one before it (the masters
     * keep a task's updates in order: they arrive in order on one stream); when a task's oldest
     * unacknowledged update has waited its backoff, only the task's latest update goes again (its
     * acknowledgement acknowledges the ones before it). Resending the older ones too took a task
     * backwards after a leader kill: the old leader had forwarded RUNNING and died before its log
     * held it, the new one got the resent STARTING first and forwarded it (the chaos checker saw
     * RUNNING, STARTING, FINISHED). Mesos's agent sends one update at a time, so it never has an
     * older one to resend. Returns how many went.
     */
    int sendDue(final long nowNs, final long agentId, final Publication leader, final io.corral.codec.Seal seal)
    {
        int work = 0;
        for (final RunningTask task : tasks.values())
        {
            final TaskRecord record = task.record;
            if (record.pending.isEmpty())
            {
                continue;
            }
            final boolean resendDue = nowNs >= nextSendNs.getOrDefault(record.key(), 0L);
            if (!resendDue && record.sent >= record.pending.size())
            {
                continue;
            }
            // Not sent yet: from the first of those, in order. All sent: the latest only.
            for (int i = resendDue ? Math.min(record.sent, record.pending.size() - 1) : record.sent;
                i < record.pending.size(); i++)
            {
                final TaskRecord.Update u = record.pending.get(i);
                out.statusUpdate.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId)
                    .frameworkId(record.frameworkId).uuidMsb(u.uuidMsb).uuidLsb(u.uuidLsb)
                    .state(TaskState.valueOf(u.state)).exitCode(u.exitCode).timestampMs(u.timestampMs)
                    .taskId(record.taskId).message(u.message);
                if (!seal.offer(leader, out.buffer, Outbound.length(out.statusUpdate.encodedLength())))
                {
                    break; // (back-pressured, or no session yet: what was not sent goes when due again)
                }
                record.sent = Math.max(record.sent, i + 1);
                work++;
            }
            if (resendDue || record.sent > 0 && !nextSendNs.containsKey(record.key()))
            {
                final long wait = retryNs.getOrDefault(record.key(), AgentNode.STATUS_RETRY_FIRST_NS);
                nextSendNs.put(record.key(), nowNs + wait);
                retryNs.put(record.key(), nextRetryNs(wait));
            }
        }
        return work;
    }

    /**
     * The update that says how a task ended: {@code exitStatus} is null when the wrapper wrote
     * none; {@code suffix} says when (e.g. " while the agent was down").
     */
    void queueEnd(final RunningTask task, final Integer exitStatus, final String suffix, final boolean memoryKilled)
    {
        final TaskRecord record = task.record;
        if (memoryKilled && !record.killRequested)
        {
            queue(task, TaskState.FAILED, exitStatus == null ? 137 : exitStatus, "MEMORY_LIMIT: the task " +
                "exceeded its memory limit of " + record.resources[1] + " MiB and was killed" + suffix);
        }
        else if (record.killRequested)
        {
            queue(task, TaskState.KILLED, exitStatus == null ? 0 : exitStatus, (record.unhealthy ?
                "UNHEALTHY: killed after its health check failed " + record.healthMaxFailures + " times in a row" :
                "killed on request") + suffix);
        }
        else if (exitStatus == null)
        {
            queue(task, TaskState.FAILED, -1, "task process (pid " + record.pid + ") ended without an exit " +
                "status" + suffix + ": killed by a signal, or vanished");
        }
        else if (exitStatus == 0)
        {
            queue(task, TaskState.FINISHED, 0, "exited 0" + suffix);
        }
        else
        {
            queue(task, TaskState.FAILED, exitStatus, (exitStatus > 128 ? "killed by signal " +
                (exitStatus - 128) : "exited with code " + exitStatus) + suffix);
        }
    }

    /** Updates not yet acknowledged, over every task. */
    int pending()
    {
        int pending = 0;
        for (final RunningTask task : tasks.values())
        {
            pending += task.record.pending.size();
        }
        return pending;
    }

    /**
     * An update of the task is acknowledged (normally its oldest: acknowledgements come in order):
     * it and any older ones are done; the resend clock starts again for what is left.
     */
    void onAck(final long frameworkId, final String taskId, final long msb, final long lsb)
    {
        final String key = frameworkId + "/" + taskId;
        final RunningTask task = tasks.get(key);
        if (task == null || task.record.pending.isEmpty())
        {
            return;
        }
        final List<TaskRecord.Update> pending = task.record.pending;
        int at = -1;
        for (int i = 0; i < pending.size() && at < 0; i++)
        {
            if (pending.get(i).uuidMsb == msb && pending.get(i).uuidLsb == lsb)
            {
                at = i;
            }
        }
        if (at < 0)
        {
            return;
        }
        // Acknowledged in order: the framework has this one, and the masters forwarded older ones first.
        pending.subList(0, at + 1).clear();
        task.record.sent = Math.max(0, task.record.sent - (at + 1));
        nextSendNs.put(key, System.nanoTime() + AgentNode.STATUS_RETRY_FIRST_NS);
        retryNs.remove(key);
        if (pending.isEmpty() && task.record.ended)
        {
            tasks.remove(key);
            nextSendNs.remove(key);
            checkpoint.remove(key);
            recentlyEnded.add(key);
            if (recentlyEnded.size() > ENDED_REMEMBERED)
            {
                recentlyEnded.remove(recentlyEnded.iterator().next());
            }
        }
        else
        {
            checkpoint.save(task.record);
        }
    }
}
