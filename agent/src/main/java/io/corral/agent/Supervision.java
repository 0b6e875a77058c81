package io.corral.agent;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the agent's running tasks inside their bounds: kills one over its memory limit (for
 * isolators that watch rather than confine), SIGKILLs one whose kill grace ran out, and kills
 * everything when the agent stops. Owned by the agent's duty thread; it shares that thread's
 * task map.
 */
final class Supervision
{
    private static final Logger LOG = LoggerFactory.getLogger(Supervision.class);

    private final Map<String, RunningTask> tasks;
    private final AgentCheckpoint checkpoint;
    private final Isolator isolator;

    Supervision(final Map<String, RunningTask> tasks, final AgentCheckpoint checkpoint, final Isolator isolator)
    {
        this.tasks = tasks;
        this.checkpoint = checkpoint;
        this.isolator = isolator;
    }

    /** For isolators that watch rather than confine: kill a task over its memory limit. */
    int enforceMemoryLimits()
    {
        int work = 0;
        for (final RunningTask task : tasks.values())
        {
            final TaskRecord record = task.record;
            if (!record.ended && !record.memoryLimit && task.process != null && task.process.isAlive() &&
                isolator.overLimit(record))
            {
                record.memoryLimit = true;
                checkpoint.save(record);
                task.process.descendants().forEach(ProcessHandle::destroyForcibly);
                task.process.destroyForcibly();
                LOG.info("task {} exceeded its memory limit of {} MiB: killed", record.taskId, record.resources[1]);
                work++;
            }
        }
        return work;
    }

    int enforceKillDeadlines(final long nowNs)
    {
        int work = 0;
        for (final RunningTask task : tasks.values())
        {
            if (task.record.killRequested && !task.record.ended && nowNs >= task.killDeadlineNs)
            {
                // Not the wrapper, which records the exit status; what escaped the tree is
                // killed when the wrapper ends (conclude).
                task.process.descendants().forEach(ProcessHandle::destroyForcibly);
                task.killDeadlineNs = Long.MAX_VALUE;
                LOG.info("SIGKILL to task {} after the grace period", task.record.taskId);
                work++;
            }
        }
        return work;
    }

    /**
     * A kill that came before the wrapper had forked the command reached nobody: SIGTERM the
     * command once it is there (called every 100 ms), so a task that honours SIGTERM is not
     * SIGKILLed for having been killed early.
     */
    int retryEarlyKills(final long nowNs)
    {
        int work = 0;
        for (final RunningTask task : tasks.values())
        {
            if (task.record.killRequested && !task.record.ended && !task.termDelivered &&
                task.killDeadlineNs != Long.MAX_VALUE && nowNs < task.killDeadlineNs)
            {
                task.termDelivered = sigterm(task) > 0;
                work += task.termDelivered ? 1 : 0;
            }
        }
        return work;
    }

    /** SIGTERM to the task's command tree (not its wrapper); returns how many processes got it. */
    static long sigterm(final RunningTask task)
    {
        return task.process.descendants().filter(ProcessHandle::destroy).count();
    }

    /** Called after the duty thread has stopped: no other thread touches the tasks then. */
    void killAll()
    {
        for (final RunningTask task : tasks.values())
        {
            if (task.process != null && task.process.isAlive())
            {
                task.record.killRequested = true;
                checkpoint.save(task.record);
                task.process.descendants().forEach(ProcessHandle::destroyForcibly);
                task.process.destroyForcibly();
            }
        }
        // Give them a moment to go, then leave no cgroup behind (rmdir fails while one is busy).
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (final RunningTask task : tasks.values())
        {
            while (task.process != null && task.process.isAlive() && System.nanoTime() < deadline)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            isolator.killRemaining(task.record);
        }
        for (final RunningTask task : tasks.values())
        {
            isolator.release(task.record);
        }
    }
}
