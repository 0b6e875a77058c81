package io.corral.client;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StatusDedupeTest
{
    @Test
    void shouldDeliverEachTaskAndUuidOnce()
    {
        final StatusDedupe dedupe = new StatusDedupe(10);
        assertEquals(StatusDedupe.Verdict.DELIVER, dedupe.arrived("t1", 1, 2));
        assertEquals(StatusDedupe.Verdict.DROP, dedupe.arrived("t1", 1, 2), "not acknowledged yet: drop");
        assertEquals(StatusDedupe.Verdict.DELIVER, dedupe.arrived("t1", 1, 3), "another update of the task");
        assertEquals(StatusDedupe.Verdict.DELIVER, dedupe.arrived("t2", 1, 2), "the same uuid on another task");
        dedupe.acknowledged("t1", 1, 2);
        assertEquals(StatusDedupe.Verdict.ACKNOWLEDGE_AGAIN, dedupe.arrived("t1", 1, 2),
            "acknowledged already: the acknowledgement is sent again, the scheduler is not called");
    }

    @Test
    void shouldAlwaysDeliverUpdatesWithoutUuid()
    {
        final StatusDedupe dedupe = new StatusDedupe(10);
        assertEquals(StatusDedupe.Verdict.DELIVER, dedupe.arrived("t1", 0, 0));
        assertEquals(StatusDedupe.Verdict.DELIVER, dedupe.arrived("t1", 0, 0), "reconciliation answers repeat");
        assertEquals(0, dedupe.size());
    }

    @Test
    void shouldForgetTheOldestPastItsCapacity()
    {
        final StatusDedupe dedupe = new StatusDedupe(3);
        for (int i = 1; i <= 4; i++)
        {
            dedupe.arrived("t" + i, i, i);
        }
        assertEquals(3, dedupe.size());
        assertEquals(StatusDedupe.Verdict.DELIVER, dedupe.arrived("t1", 1, 1), "the oldest was forgotten");
        assertEquals(StatusDedupe.Verdict.DROP, dedupe.arrived("t4", 4, 4));
        assertThrows(IllegalArgumentException.class, () -> new StatusDedupe(0));
    }
}
