package io.corral.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.corral.codec.Protocol;
import io.corral.master.MasterNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Slow or oversized HTTP clients cannot take a master's or an agent's HTTP server away from others. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpLimitsTest
{
    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws Exception
    {
        for (final Socket s : sockets)
        {
            s.close();
        }
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private Socket slowClient(final InetSocketAddress address, final String partial) throws Exception
    {
        final Socket socket = new Socket();
        socket.connect(address, 5_000);
        final OutputStream out = socket.getOutputStream();
        out.write(partial.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        sockets.add(socket);
        return socket;
    }

    @Test
    void shouldAnswerOthersWhileClientsStallAndCutTheStalledOff() throws Exception
    {
        cluster = new LocalCluster(dir.toFile(), 1, 1, LocalCluster.freeBasePort(1), 1, 512);
        final MasterNode master = cluster.awaitReady(60, TimeUnit.SECONDS);
        final String host = Protocol.host(master.address());
        final int port = Protocol.port(master.address()) + Protocol.HTTP_PORT_OFFSET;
        final InetSocketAddress http = new InetSocketAddress(host, port);
        final InetSocketAddress agentHttp = new InetSocketAddress(Protocol.host(cluster.agents().get(0).httpEndpoint()),
            Protocol.port(cluster.agents().get(0).httpEndpoint()));

        // 20 clients that never finish their headers, one body that never finishes, on each server.
        for (int i = 0; i < 20; i++)
        {
            slowClient(http, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            slowClient(agentHttp, "GET /files/1/t?path=stdout HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        }
        final Socket slowBody = slowClient(http, "POST /api/v1/roles/web HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
            "Content-Length: 1000\r\nContent-Type: application/json\r\n\r\n{\"weight\":");

        final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port +
            "/health")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        final HttpResponse<String> state = client.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port +
            "/api/v1/state")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, state.statusCode());
        final HttpResponse<String> files = client.send(HttpRequest.newBuilder(URI.create("http://" +
            cluster.agents().get(0).httpEndpoint() + "/files/1/none?path=stdout")).timeout(Duration.ofSeconds(10))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(files.statusCode() >= 400 && files.statusCode() < 500, "the agent answers: " + files.statusCode());

        // An oversized URI gets 414, not a dropped connection.
        final HttpResponse<String> long414 = client.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port +
            "/api/v1/state?x=" + "a".repeat(20_000))).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(414, long414.statusCode(), long414.body());

        // A broken JSON body is refused without the parser's internals.
        final HttpResponse<String> bad = client.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port +
            "/api/v1/roles/web")).POST(HttpRequest.BodyPublishers.ofString("{\"weight\": 2,,}"))
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, bad.statusCode(), bad.body());
        assertFalse(bad.body().contains("Source") || bad.body().contains("line:") || bad.body().contains("Exception"),
            bad.body());

        // The stalled clients are cut off by the server (request time limit), not left open.
        slowBody.setSoTimeout(30_000);
        final InputStream in = slowBody.getInputStream();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int read = 0;
        while (read != -1 && System.nanoTime() < deadline)
        {
            try
            {
                read = in.read();
            }
            catch (final java.net.SocketException ex)
            {
                read = -1;
            }
        }
        assertEquals(-1, read, "the server closed the connection whose body never came");
    }
}
