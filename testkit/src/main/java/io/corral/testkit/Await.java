package io.corral.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits on a condition with a deadline: the only way tests wait. No test sleeps for a fixed time
 * and then asserts; each polls what it waits for and fails, naming it, when the deadline passes.
 * Deadlines are generous (a busy 2-core machine is slow); the wait ends as soon as the condition
 * holds.
 */
public final class Await
{
    private static final long POLL_MS = 20;

    private Await()
    {
    }

    /** Waits until {@code condition} holds; fails after {@code timeout} with "timed out waiting for WHAT". */
    public static void until(final String what, final Duration timeout, final BooleanSupplier condition)
    {
        until(what, timeout, condition, () -> "");
    }

    /** As {@link #until(String, Duration, BooleanSupplier)}; {@code details} adds what was seen instead. */
    public static void until(final String what, final Duration timeout, final BooleanSupplier condition,
        final Supplier<String> details)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                final String seen = details.get();
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what +
                    (seen.isEmpty() ? "" : ": " + seen));
            }
            pause();
        }
    }

    /** Waits until {@code value} gives a non-null result and returns it; fails after {@code timeout}. */
    public static <T> T value(final String what, final Duration timeout, final Supplier<T> value)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        T result;
        while ((result = value.get()) == null)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            pause();
        }
        return result;
    }

    /** Waits while {@code condition} holds, at most {@code timeout}; returns whether it still holds. */
    public static boolean whileTrue(final Duration timeout, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                return true;
            }
            pause();
        }
        return false;
    }

    private static void pause()
    {
        try
        {
            Thread.sleep(POLL_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", ex);
        }
    }
}
