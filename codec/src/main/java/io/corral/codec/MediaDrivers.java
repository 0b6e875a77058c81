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
            final String dir = System.getProperty("corral.aeron.dir",
                new File(shmOrTmp(), "corral-aeron-" + ProcessHandle.current().pid() + "-" +
                    UUID.randomUUID().toString().substring(0, 8)).getPath());
            final MediaDriver.Context ctx = new MediaDriver.Context()
                .aeronDirectoryName(dir)
                .threadingMode(ThreadingMode.SHARED)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .termBufferSparseFile(true)
                .publicationTermBufferLength(TERM_BUFFER_BYTES)
                .ipcTermBufferLength(TERM_BUFFER_BYTES)
                .clientLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(5))
                .publicationUnblockTimeoutNs(TimeUnit.SECONDS.toNanos(6))
                .sharedIdleStrategy(Boolean.getBoolean("corral.aeron.busySpin") ?
                    new org.agrona.concurrent.BusySpinIdleStrategy() :
                    new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(50), TimeUnit.MILLISECONDS.toNanos(1)));
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
            users = 0;
        }
    }

    private static File shmOrTmp()
    {
        final File shm = new File("/dev/shm");
        return shm.isDirectory() && shm.canWrite() ? shm : new File(System.getProperty("java.io.tmpdir"));
    }
}
