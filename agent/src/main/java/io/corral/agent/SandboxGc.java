package io.corral.agent;

import java.io.File;
import java.util.Set;

/**
 * Removes sandboxes of tasks the agent no longer tracks once they are older than the configured
 * age (last modification of the task directory), so the work directory does not fill up.
 */
final class SandboxGc
{
    private SandboxGc()
    {
    }

    /**
     * Deletes {@code WORK/frameworks/<fid>/tasks/<task>} directories not in {@code live} (keys
     * {@code fid/taskDirName}) and older than {@code maxAgeMs}; returns how many it removed.
     */
    static int collect(final File workDir, final Set<String> live, final long maxAgeMs, final long nowMs)
    {
        int removed = 0;
        final File[] frameworks = new File(workDir, "frameworks").listFiles(File::isDirectory);
        if (frameworks == null)
        {
            return 0;
        }
        for (final File framework : frameworks)
        {
            final File[] taskDirs = new File(framework, "tasks").listFiles(File::isDirectory);
            if (taskDirs == null)
            {
                continue;
            }
            for (final File task : taskDirs)
            {
                final String key = framework.getName() + "/" + task.getName();
                if (!live.contains(key) && nowMs - newest(task) > maxAgeMs)
                {
                    org.agrona.IoUtil.delete(task, true);
                    removed++;
                }
            }
            final String[] left = new File(framework, "tasks").list();
            if (left != null && left.length == 0)
            {
                org.agrona.IoUtil.delete(framework, true);
            }
        }
        return removed;
    }

    /** The latest modification time in the tree (a task still writing its stdout is not old). */
    private static long newest(final File f)
    {
        long t = f.lastModified();
        final File[] children = f.listFiles();
        if (children != null)
        {
            for (final File c : children)
            {
                t = Math.max(t, newest(c));
            }
        }
        return t;
    }
}
