package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * Removes sandboxes of tasks the agent no longer tracks once they are older than the configured
 * age (last modification of anything in the task directory), so the work directory does not fill
 * up; and their exit-status and environment files in {@link TaskLauncher#RUN_DIR}. It runs as the
 * agent, possibly root, over trees tasks wrote: it never follows a link (a link is removed, not
 * what it points at) and never leaves the work directory.
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
        for (final Path framework : directories(workDir.toPath().resolve("frameworks")))
        {
            for (final Path task : directories(framework.resolve("tasks")))
            {
                final String key = framework.getFileName() + "/" + task.getFileName();
                if (!live.contains(key) && nowMs - newest(task) > maxAgeMs)
                {
                    delete(task);
                    removed++;
                    forgetRunFiles(workDir.toPath(), framework.getFileName() + "-" + task.getFileName() + "-");
                }
            }
            final String[] left = framework.resolve("tasks").toFile().list();
            if (left != null && left.length == 0)
            {
                delete(framework);
            }
        }
        return removed;
    }

    /** The real directories (not links to one) directly in {@code dir}. */
    private static java.util.List<Path> directories(final Path dir)
    {
        final java.util.List<Path> out = new java.util.ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS))
        {
            return out;
        }
        try (var entries = Files.list(dir))
        {
            entries.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(out::add);
        }
        catch (final IOException ex)
        {
            // unreadable: nothing to collect there
        }
        return out;
    }

    /** A run's exit-status and environment files ({@code fid-taskDir-run.exit/.env}) in the run directory. */
    private static void forgetRunFiles(final Path workDir, final String prefix)
    {
        final Path runDir = workDir.resolve(TaskLauncher.RUN_DIR);
        if (!Files.isDirectory(runDir, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        try (var entries = Files.list(runDir))
        {
            for (final Path p : (Iterable<Path>)entries::iterator)
            {
                final String name = p.getFileName().toString();
                if (name.startsWith(prefix) && name.substring(prefix.length()).matches("[0-9]+\\.(exit|env)"))
                {
                    Files.deleteIfExists(p);
                }
            }
        }
        catch (final IOException ex)
        {
            // left for the next collection
        }
    }

    /** Deletes a tree without following links: a link is removed itself, never what it points at. */
    static void delete(final Path root)
    {
        try
        {
            Files.walkFileTree(root, new SimpleFileVisitor<>()
            {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
                {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(final Path file, final IOException ex)
                {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(final Path dir, final IOException ex) throws IOException
                {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final IOException ex)
        {
            // what could not be removed is tried again at the next collection
        }
    }

    /** The latest modification time in the tree (a task still writing its stdout is not old); links not followed. */
    private static long newest(final Path root)
    {
        final long[] newest = { 0 };
        try
        {
            Files.walkFileTree(root, new SimpleFileVisitor<>()
            {
                @Override
                public FileVisitResult preVisitDirectory(final Path dir, final BasicFileAttributes attrs)
                {
                    newest[0] = Math.max(newest[0], attrs.lastModifiedTime().toMillis());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs)
                {
                    newest[0] = Math.max(newest[0], attrs.lastModifiedTime().toMillis());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(final Path file, final IOException ex)
                {
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final IOException ex)
        {
            return Long.MAX_VALUE; // unreadable: not taken for old
        }
        return newest[0];
    }
}
