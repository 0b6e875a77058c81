package io.corral.codec;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffTest
{
    @Test
    void delaysDoubleUpToTheCeilingEachWithinItsHalfToWholeRange()
    {
        final Backoff backoff = new Backoff(100, 1000, 1);
        final long[] ceilings = { 100, 200, 400, 800, 1000, 1000, 1000 };
        for (final long ceiling : ceilings)
        {
            final long d = backoff.nextDelayNs();
            assertTrue(d >= ceiling / 2 && d <= ceiling, d + " not in [" + ceiling / 2 + ", " + ceiling + "]");
        }
        backoff.reset();
        assertTrue(backoff.nextDelayNs() <= 100, "after an answer the first delay again");
    }

    @Test
    void sendersWithDifferentSeedsDoNotRetryInStep()
    {
        int same = 0;
        for (int i = 0; i < 100; i++)
        {
            if (new Backoff(1_000_000, 8_000_000, i).nextDelayNs() == new Backoff(1_000_000, 8_000_000, i + 1000).nextDelayNs())
            {
                same++;
            }
        }
        assertTrue(same < 5, same + " of 100 pairs drew the same delay");
        assertNotEquals(new Backoff(1_000_000, 8_000_000, 1).nextDelayNs(), new Backoff(1_000_000, 8_000_000, 2).nextDelayNs());
        assertEquals(new Backoff(10, 10, 3).nextDelayNs(), new Backoff(10, 10, 3).nextDelayNs(), "same seed, same draw");
        assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 10, 1));
    }
}
