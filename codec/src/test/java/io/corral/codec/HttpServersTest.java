package io.corral.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A daemon's HTTP on loopback, as a web page in a visitor's browser would try it: a name re-pointed
 * at 127.0.0.1 (DNS rebinding) is refused, and so is a change sent from another origin; requests
 * for localhost or a loopback address, and reads from anywhere, pass.
 */
class HttpServersTest
{
    private static String exchange(final int port, final String request) throws IOException
    {
        try (Socket s = new Socket("127.0.0.1", port))
        {
            s.setSoTimeout(10_000);
            final OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void loopbackServersAnswerLoopbackNamesAndChangesOnlyFromTheirOwnOrigin() throws IOException
    {
        final HttpServer server = HttpServers.create("127.0.0.1", 0, "http-test");
        HttpServers.context(server, "/", e -> HttpServers.send(e, 200, "text/plain", "ok".getBytes()));
        server.start();
        try
        {
            final int port = server.getAddress().getPort();
            final String close = "Connection: close\r\n\r\n";
            for (final String host : new String[] { "127.0.0.1:" + port, "localhost:" + port, "127.0.0.2", "[::1]:1" })
            {
                assertTrue(exchange(port, "GET / HTTP/1.1\r\nHost: " + host + "\r\n" + close).startsWith(
                    "HTTP/1.1 200"), host);
            }
            for (final String host : new String[] { "attacker.example:" + port, "127.0.0.1.nip.io", "10.0.0.1",
                "127.0.0.256" })
            {
                final String answer = exchange(port, "GET / HTTP/1.1\r\nHost: " + host + "\r\n" + close);
                assertTrue(answer.startsWith("HTTP/1.1 403") && answer.contains("loopback only"), host + ": " + answer);
            }
            final String self = "127.0.0.1:" + port;
            final String crossSite = exchange(port, "POST / HTTP/1.1\r\nHost: " + self +
                "\r\nOrigin: http://attacker.example\r\nContent-Length: 0\r\n" + close);
            assertTrue(crossSite.startsWith("HTTP/1.1 403") && crossSite.contains("another origin"), crossSite);
            assertTrue(exchange(port, "POST / HTTP/1.1\r\nHost: " + self + "\r\nOrigin: http://" + self +
                "\r\nContent-Length: 0\r\n" + close).startsWith("HTTP/1.1 200"), "its own pages may change");
            assertTrue(exchange(port, "GET / HTTP/1.1\r\nHost: " + self + "\r\nOrigin: http://attacker.example\r\n" +
                close).startsWith("HTTP/1.1 200"), "reads are not changes");
        }
        finally
        {
            HttpServers.stop(server);
        }
    }
}
