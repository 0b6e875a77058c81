package io.corral.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StatusRetryTest
{
    @Test
    void anUnacknowledgedUpdateIsResentAfterDoublingWaitsUpToThirtySeconds()
    {
        final List<Long> waits = new ArrayList<>();
        long wait = AgentNode.STATUS_RETRY_FIRST_NS;
        for (int i = 0; i < 8; i++)
        {
            waits.add(TimeUnit.NANOSECONDS.toSeconds(wait));
            wait = StatusStream.nextRetryNs(wait);
        }
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L), waits);
        assertEquals(AgentNode.STATUS_RETRY_FIRST_NS, StatusStream.nextRetryNs(0), "never resent in a busy loop");
    }
}
