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
        try (Connections connections = new Connections(aeron, () -> { }))
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

    @Test
    void endpointsFromFramesOpenNothingUnlessPlainAndUnauthenticatedOnesAreCappedAndClosedSoon()
    {
        final Aeron aeron = MediaDrivers.connect();
        final int[] refused = new int[1];
        try (Connections connections = new Connections(aeron, () -> refused[0]++))
        {
            final UnsafeBuffer message = new UnsafeBuffer(new byte[64]);
            final long start = 1_000_000_000L;
            // Aeron URI parameters smuggled into an endpoint (a 1 GiB term), and a name that cannot resolve.
            connections.send("127.0.0.1:9|term-length=1g", message, 16, start);
            connections.sendUnauthenticated("host:1|term-length=1g", message, 16, start);
            connections.send("no-such-host.invalid:9", message, 16, start);
            connections.send("no-such-host.invalid:9", message, 16, start + 1);
            assertEquals(0, connections.open(), "no publication for any of them");
            assertEquals(4, refused[0], "each counted, none thrown");

            for (int i = 0; i < Connections.MAX_PROVISIONAL_LINKS + 5; i++)
            {
                connections.sendUnauthenticated("127.0.0.1:" + (20_000 + i), message, 16, start);
            }
            assertEquals(Connections.MAX_PROVISIONAL_LINKS, connections.provisional());
            assertEquals(4 + 5, refused[0], "past the cap, answers to strangers are dropped");
            // One of them authenticates: its link is an ordinary one from then on.
            connections.send("127.0.0.1:20000", message, 16, start);
            assertEquals(Connections.MAX_PROVISIONAL_LINKS - 1, connections.provisional());
            connections.retry(start + Connections.PROVISIONAL_IDLE_CLOSE_NS + 3_000_000_000L);
            connections.closeIdle(start + Connections.PROVISIONAL_IDLE_CLOSE_NS + 3_000_000_000L);
            assertEquals(0, connections.provisional(), "idle provisional links close within seconds");
            assertEquals(1, connections.open(), "the authenticated peer's link stays");
        }
        finally
        {
            MediaDrivers.release(aeron);
        }
    }
}
