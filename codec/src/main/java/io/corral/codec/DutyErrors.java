package io.corral.codec;

import org.agrona.ErrorHandler;
import org.slf4j.Logger;

/**
 * What a daemon's duty thread does with a failure. An exception is logged and the cycle goes on
 * (the input that caused it is already consumed, so it is dropped); an {@link Error} (out of
 * memory, a broken class path) leaves the node unable to trust itself, so the process exits with
 * a clear message and status 70 for a supervisor to restart it, instead of staying up deaf.
 */
public final class DutyErrors
{
    /** Exit status of a node stopped by an unrecoverable error (EX_SOFTWARE). */
    public static final int FATAL_EXIT_STATUS = 70;

    private DutyErrors()
    {
    }

    public static ErrorHandler logOrExit(final Logger log, final String node, final Runnable counter)
    {
        return ex ->
        {
            if (ex instanceof Error)
            {
                final String message = "corral: fatal: " + node + " duty thread hit " + ex +
                    "; exiting (status " + FATAL_EXIT_STATUS + ") so a supervisor can restart it";
                log.error(message, ex);
                System.err.println(message);
                System.err.flush();
                Runtime.getRuntime().halt(FATAL_EXIT_STATUS);
            }
            counter.run();
            log.error("{} duty cycle failed; going on with the next input", node, ex);
        };
    }
}
