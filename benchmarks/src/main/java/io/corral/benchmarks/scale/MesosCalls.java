package io.corral.benchmarks.scale;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Mesos gateway's own call rate, without a simulated cluster beside it: one framework
 * subscribes (JSON) to a running master, then {@code --connections} threads each send REVIVE calls
 * one after another for {@code --seconds}, and it prints calls per second and their latency
 * percentiles. Against {@code corral dev}:
 * {@code java -cp benchmarks/target/benchmarks.jar io.corral.benchmarks.scale.MesosCalls --connections 32}.
 */
@Command(name = "mesos-calls", mixinStandardHelpOptions = true,
    description = "Send Mesos v1 REVIVE calls to a master as fast as it answers; print the rate and latency.")
public final class MesosCalls implements Callable<Integer>
{
    @Option(names = "--url", defaultValue = "http://127.0.0.1:9001",
        description = "A master's HTTP address (default ${DEFAULT-VALUE}, corral dev's first master).")
    String url;

    @Option(names = "--connections", defaultValue = "8", description = "Calls in flight, one per connection (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--seconds", defaultValue = "10", description = "How long to send (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--authorization", description = "An Authorization header for a master that authenticates " +
        "HTTP frameworks, e.g. 'Basic base64(principal:secret)'.")
    String authorization;

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new MesosCalls()).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NORMAL).build();
        final HttpRequest.Builder subscribe = HttpRequest.newBuilder(URI.create(url + "/api/v1/scheduler"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"type\": " +
                "\"SUBSCRIBE\", \"subscribe\": {\"framework_info\": {\"user\": \"nobody\", \"name\": \"mesos-calls\", " +
                "\"role\": \"*\"}}}"));
        if (authorization != null)
        {
            subscribe.header("Authorization", authorization);
        }
        final HttpResponse<InputStream> stream = http.send(subscribe.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (stream.statusCode() != 200)
        {
            System.err.println("SUBSCRIBE answered " + stream.statusCode() + ": " +
                new String(stream.body().readAllBytes(), StandardCharsets.UTF_8));
            return 1;
        }
        final String streamId = stream.headers().firstValue("Mesos-Stream-Id").orElseThrow();
        final URI leader = stream.uri();
        final InputStream in = stream.body();
        final StringBuilder length = new StringBuilder();
        for (int c = in.read(); c != '\n' && c >= 0; c = in.read())
        {
            length.append((char)c);
        }
        final String subscribed = new String(in.readNBytes(Integer.parseInt(length.toString())), StandardCharsets.UTF_8);
        final String frameworkId = subscribed.replaceAll("(?s).*\"framework_id\":\\{\"value\":\"(\\d+)\".*", "$1");
        final Thread drain = new Thread(() ->
        {
            try
            {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            catch (final java.io.IOException ex)
            {
                // the stream ended
            }
        }, "mesos-calls-stream");
        drain.setDaemon(true);
        drain.start();

        final String revive = "{\"framework_id\": {\"value\": \"" + frameworkId + "\"}, \"type\": \"REVIVE\"}";
        final Recorder latency = new Recorder(3);
        final AtomicLong calls = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final long endNs = System.nanoTime() + seconds * 1_000_000_000L;
        final List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < connections; t++)
        {
            final Thread sender = new Thread(() ->
            {
                while (System.nanoTime() < endNs)
                {
                    final HttpRequest.Builder b = HttpRequest.newBuilder(leader).header("Content-Type",
                        "application/json").header("Mesos-Stream-Id", streamId)
                        .POST(HttpRequest.BodyPublishers.ofString(revive));
                    if (authorization != null)
                    {
                        b.header("Authorization", authorization);
                    }
                    final long startNs = System.nanoTime();
                    try
                    {
                        if (http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode() != 202)
                        {
                            refused.incrementAndGet();
                        }
                    }
                    catch (final Exception ex)
                    {
                        refused.incrementAndGet();
                    }
                    latency.recordValue(System.nanoTime() - startNs);
                    calls.incrementAndGet();
                }
            }, "mesos-calls-" + t);
            sender.start();
            senders.add(sender);
        }
        for (final Thread sender : senders)
        {
            sender.join();
        }
        final org.HdrHistogram.Histogram h = latency.getIntervalHistogram();
        System.out.printf("mesos-calls: connections=%d calls_per_s=%.0f refused=%d p50_ms=%.2f p99_ms=%.2f " +
            "p999_ms=%.2f%n", connections, calls.get() / (double)seconds, refused.get(),
            h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6);
        in.close();
        return refused.get() == 0 ? 0 : 1;
    }
}
