package io.corral.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What /proc says about a process. */
public final class Processes
{
    private Processes()
    {
    }

    /**
     * True if the process exists and is not a zombie. {@link ProcessHandle#isAlive} is also true
     * for a zombie: an ended process whose parent (for a task whose agent died: init) has not
     * reaped it yet.
     */
    public static boolean running(final long pid)
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            final char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
    }
}
