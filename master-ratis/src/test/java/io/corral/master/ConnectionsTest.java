package io.corral.master;

import io.aeron.Aeron;
import io.corral.codec.MediaDrivers;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConnectionsTest
{
    @Test
    void aPublicationIdleLongerThanTheLimitIsClosedAndReopenedOnTheNextMessage()
    {
        final Aeron aeron = MediaDrivers.connect();
        try (Connections connections = new Connections(aeron))
        {
            final UnsafeBuffer message = new UnsafeBuffer(new byte[64]);
            final long start = 1_000_000_000L;
            // Nobody listens there: the message waits, and is given up after its deadline.
            connections.send("127.0.0.1:9", message, 16, start);
            connections.send("127.0.0.1:10", message, 16, start);
            assertEquals(2, connections.open());

            connections.send("127.0.0.1:10", message, 16, start + Connections.IDLE_CLOSE_NS / 2);
            connections.retry(start + Connections.IDLE_CLOSE_NS);
            assertEquals(1, connections.closeIdle(start + Connections.IDLE_CLOSE_NS),
                "only the endpoint not sent to for the idle limit is closed");
            assertEquals(1, connections.open());

            connections.send("127.0.0.1:9", message, 16, start + Connections.IDLE_CLOSE_NS * 2);
            assertEquals(2, connections.open(), "sending again opens it again");
        }
        finally
        {
            MediaDrivers.release(aeron);
        }
    }
}
