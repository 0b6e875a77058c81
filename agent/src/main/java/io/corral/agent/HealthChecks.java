package io.corral.agent;

import java.io.IOException;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.ObjIntConsumer;

/**
 * Health checks: each task's command runs every interval without the duty thread waiting for
 * it; a run that exits non-zero or outlives its timeout is a failure, and so many in a row mean
 * the task is to be killed as unhealthy.
 */
final class HealthChecks
{
    private final TaskLauncher launcher;
    /** Told (task key, exit code) when a check ends, on whatever thread saw it end. */
    private final ObjIntConsumer<String> onDone;

    HealthChecks(final TaskLauncher launcher, final ObjIntConsumer<String> onDone)
    {
        this.launcher = launcher;
        this.onDone = onDone;
    }

    /** Starts due checks and times out overdue ones. */
    int run(final Collection<RunningTask> tasks, final long nowNs)
    {
        int work = 0;
        for (final RunningTask task : tasks)
        {
            final TaskRecord r = task.record;
            if (r.healthIntervalMs <= 0 || r.ended || r.killRequested || task.process == null)
            {
                continue;
            }
            if (task.check != null)
            {
                final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(r.healthTimeoutMs);
                if (task.check.isAlive() && nowNs - task.checkStartedNs > timeoutNs)
                {
                    task.check.descendants().forEach(ProcessHandle::destroyForcibly);
                    task.check.destroyForcibly();
                    task.checkTimedOut = true;
                }
                continue;
            }
            if (nowNs < task.nextCheckNs)
            {
                continue;
            }
            final String key = r.key();
            try
            {
                final Process check = launcher.startHealthCheck(r);
                task.check = check.toHandle();
                task.checkStartedNs = nowNs;
                task.checkTimedOut = false;
                check.onExit().thenAccept(p -> onDone.accept(key, p.exitValue()));
                work++;
            }
            catch (final IOException ex)
            {
                onDone.accept(key, -1);
            }
        }
        return work;
    }

    /** Counts a finished check; true if the task has now failed too many in a row and must go. */
    boolean failedTooOften(final RunningTask task, final int exit, final long nowNs)
    {
        final boolean healthy = exit == 0 && !task.checkTimedOut;
        task.check = null;
        task.nextCheckNs = nowNs + TimeUnit.MILLISECONDS.toNanos(task.record.healthIntervalMs);
        task.healthFailures = healthy ? 0 : task.healthFailures + 1;
        return task.healthFailures >= task.record.healthMaxFailures && !task.record.ended && !task.record.killRequested;
    }
}
