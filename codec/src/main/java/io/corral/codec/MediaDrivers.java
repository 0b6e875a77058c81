package io.corral.codec;

import java.io.File;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

/**
 * One embedded Aeron media driver per process, shared by every Corral node in it, with settings
 * for small machines: one shared driver thread that backs off when idle. Busy-spinning is opt-in
 * ({@code -Dcorral.aeron.busySpin=true}).
 */
public final class MediaDrivers
{
    /** Term buffer of every publication: small, since a node may hold many. */
    public static final int TERM_BUFFER_BYTES = 1 << 20;
    /** The largest message a publication takes (Aeron: an eighth of the term buffer). */
    public static final int MAX_MESSAGE_BYTES = TERM_BUFFER_BYTES / 8;
    /**
     * Receive buffer of every UDP socket the driver opens (Aeron's default: 128 KiB). A master
     * receives from every agent and framework on one socket: with 10,000 agents running tasks the
     * default overflowed while the shared driver thread was busy, the kernel dropped more
     * datagrams than it delivered (RcvbufErrors), and repairing the loss (Aeron's gap scanning,
     * NAKs, retransmits) took 15 % of the master's samples. The kernel caps it at
     * {@code net.core.rmem_max}; Aeron says so at start when it does.
     * {@code -Dcorral.aeron.socketRcvbufBytes} overrides it.
     */
    public static final int SOCKET_RCVBUF_BYTES = Integer.getInteger("corral.aeron.socketRcvbufBytes", 4 << 20);

    private static MediaDriver driver;
    private static int users;

    private MediaDrivers()
    {
    }

    /** Starts the process's driver if needed and connects a client to it; close the client when done. */
    public static synchronized Aeron connect()
    {
        if (driver == null)
        {
            sweepStale(shmOrTmp());
            final String dir = System.getProperty("corral.aeron.dir",
                new File(shmOrTmp(), "corral-aeron-" + ProcessHandle.current().pid() + "-" +
                    UUID.randomUUID().toString().substring(0, 8)).getPath());
            final MediaDriver.Context ctx = new MediaDriver.Context()
                .aeronDirectoryName(dir)
                .threadingMode(ThreadingMode.SHARED)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .termBufferSparseFile(true)
                .socketRcvbufLength(SOCKET_RCVBUF_BYTES)
                .publicationTermBufferLength(TERM_BUFFER_BYTES)
                .ipcTermBufferLength(TERM_BUFFER_BYTES)
                .clientLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(5))
                .publicationUnblockTimeoutNs(TimeUnit.SECONDS.toNanos(6))
                .sharedIdleStrategy(Boolean.getBoolean("corral.aeron.busySpin") ?
                    new org.agrona.concurrent.BusySpinIdleStrategy() :
                    new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(50), TimeUnit.MILLISECONDS.toNanos(1)));
            directory = dir;
            installShutdownHook();
            driver = MediaDriver.launch(ctx);
        }
        users++;
        final Aeron.Context clientCtx = new Aeron.Context()
            .aeronDirectoryName(driver.aeronDirectoryName())
            .idleStrategy(new SleepingMillisIdleStrategy(1));
        return Aeron.connect(clientCtx);
    }

    /** Releases one user of the driver; the last one stops it. */
    public static synchronized void release(final Aeron aeron)
    {
        if (aeron != null)
        {
            aeron.close();
        }
        users--;
        if (users <= 0 && driver != null)
        {
            driver.close();
            driver = null;
            directory = null;
            users = 0;
        }
    }

    private static boolean hookInstalled;
    /** The driver's directory, known before the driver starts (a signal may come while it does). */
    private static volatile String directory;

    /**
     * A process ended by a signal (Ctrl-C, SIGTERM) still removes its driver's directory (tens of
     * MB in /dev/shm): the hook closes the driver, which deletes it. SIGKILL cannot be caught;
     * {@link #sweepStale} removes what such a process left.
     */
    private static void installShutdownHook()
    {
        if (hookInstalled)
        {
            return;
        }
        hookInstalled = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            // Other shutdown hooks (a node's or a driver's orderly close) run at the same time and
            // still need the driver: give them a while to release it before closing it under them.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline)
            {
                synchronized (MediaDrivers.class)
                {
                    if (driver == null)
                    {
                        break;
                    }
                }
                try
                {
                    Thread.sleep(10);
                }
                catch (final InterruptedException ex)
                {
                    break;
                }
            }
            final MediaDriver d;
            synchronized (MediaDrivers.class)
            {
                d = driver;
                driver = null;
                users = 0;
            }
            if (d != null)
            {
                try
                {
                    d.close();
                }
                catch (final RuntimeException ex)
                {
                    // Exiting anyway; the directory is removed by hand below.
                }
            }
            final String dir = directory;
            if (dir != null)
            {
                deleteTree(new File(dir));
            }
        }, "corral-aeron-cleanup"));
    }

    /** Removes Corral driver directories ({@code corral-aeron-PID-...}) whose process is gone. */
    static int sweepStale(final File parent)
    {
        final File[] dirs = parent.listFiles((d, name) -> name.startsWith("corral-aeron-"));
        int removed = 0;
        for (final File dir : dirs == null ? new File[0] : dirs)
        {
            final String[] parts = dir.getName().split("-");
            if (parts.length < 3 || !dir.isDirectory())
            {
                continue;
            }
            final long pid;
            try
            {
                pid = Long.parseLong(parts[2]);
            }
            catch (final NumberFormatException ex)
            {
                continue;
            }
            if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty())
            {
                deleteTree(dir);
                removed++;
            }
        }
        return removed;
    }

    private static void deleteTree(final File root)
    {
        final File[] children = root.listFiles();
        for (final File child : children == null ? new File[0] : children)
        {
            deleteTree(child);
        }
        root.delete();
    }

    /** Where Aeron directories go: /dev/shm (memory) when there is one, else the temp dir. */
    public static File shmOrTmp()
    {
        final File shm = new File("/dev/shm");
        return shm.isDirectory() && shm.canWrite() ? shm : new File(System.getProperty("java.io.tmpdir"));
    }
}
