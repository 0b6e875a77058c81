package io.corral.codec;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Endpoints come in frames from anyone: only a plain host:port may become an Aeron channel. */
class EndpointProblemTest
{
    @Test
    void plainHostAndPortPass()
    {
        for (final String ok : new String[] { "127.0.0.1:7001", "10.0.0.21:1", "agent-7.rack-3.example.com:65535",
            "localhost:40123", "[::1]:7001", "[fe80::1:2]:9", "3com.example:80" })
        {
            assertNull(Protocol.endpointProblem(ok), ok);
        }
    }

    @Test
    void aPeerNamesAnAddressNotAName()
    {
        assertNull(Protocol.peerEndpointProblem("127.0.0.1:7001"));
        assertNull(Protocol.peerEndpointProblem("[::1]:7001"));
        assertNotNull(Protocol.peerEndpointProblem("localhost:7001"), "a name would make the driver look it up");
        assertNotNull(Protocol.peerEndpointProblem("no-such-host.invalid:9"));
        assertNotNull(Protocol.peerEndpointProblem("127.0.0.1:9|term-length=1g"));
    }

    @Test
    void anythingElseIsRefusedWithTheReason()
    {
        for (final String bad : new String[] { "", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:7a",
            "127.0.0.1:9|term-length=1g", "host:1|term-length=1g", "127.0.0.q:17190", "256.1.1.1:80", "1.2.3:80",
            "a b:80", "h\uFFFD:80", "-lead.example:80", "trail-.example:80", "a..b:80", ":80", "[::1:80", "[zz]:80",
            "aeron:udp?endpoint=1.2.3.4:5:6", "x".repeat(300) + ":80", "127.0.0.1:123456" })
        {
            assertNotNull(Protocol.endpointProblem(bad), bad);
        }
    }
}
