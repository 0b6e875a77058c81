package io.corral.agent;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes task cgroups. rmdir of a cgroup fails while processes are still in it (a killed task
 * takes a moment to go), so a busy one is kept and tried again at the next removal; and the empty
 * ones an earlier run left are removed at start-up, while a populated one (a task the agent
 * re-adopts) stays.
 */
final class CgroupDirs
{
    private final List<File> toRemove = new ArrayList<>();

    /** Removes the empty child cgroups of {@code root}. */
    static void removeEmptyChildren(final File root)
    {
        final File[] children = root.listFiles(File::isDirectory);
        for (final File dir : children == null ? new File[0] : children)
        {
            dir.delete();
        }
    }

    /** Removes these cgroups, and any that were still busy at an earlier call. */
    void remove(final File... dirs)
    {
        toRemove.addAll(List.of(dirs));
        toRemove.removeIf(dir -> dir.delete() || !dir.exists());
    }
}
