package io.corral.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.corral.codec.Protocol;

/** The operator HTTP API of the masters (port + 2000), as the CLI uses it. */
final class MasterApi
{
    static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> masters;
    /** HTTPS trusting CORRAL_TLS_CA when it is set (masters run with --tls-cert), else plain HTTP. */
    private final javax.net.ssl.SSLContext tls = io.corral.codec.Tls.clientFromEnvironment();
    private final HttpClient http = client(tls);

    /** The HTTP client the CLI uses for masters and agents: with {@code tls} (null: plain HTTP). */
    static HttpClient client(final javax.net.ssl.SSLContext tls)
    {
        final HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        return (tls == null ? b : b.sslContext(tls)).build();
    }

    /** The client for agents' sandbox servers, trusting what this API trusts. */
    HttpClient http()
    {
        return http;
    }

    /** The credential sent with every request (Credentials.defaultFor), or null. */
    private final io.corral.codec.Credentials.Credential credential;

    MasterApi(final String masters)
    {
        this.masters = List.of(masters.split(","));
        this.credential = io.corral.codec.Credentials.defaultFor(masters);
    }

    /** A request to {@code path} of {@code master}, with a bearer token when there is a credential. */
    HttpRequest.Builder request(final String master, final String path)
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri(master, path));
        return credential == null ? b : b.header("Authorization", io.corral.codec.HttpAuth.bearer(credential));
    }

    /** A 401 or 403 as the error a user can act on. */
    private IllegalArgumentException refused(final HttpResponse<String> r) throws IOException
    {
        final String error = JSON.readTree(r.body()).path("error").asText(r.body());
        return new IllegalArgumentException((r.statusCode() == 401 ? "not authenticated: " : "not permitted: ") +
            error + (credential == null ? " (no credential: set CORRAL_CREDENTIAL=FILE with a `principal secret` " +
            "line from the cluster's credentials file)" : " (sent as principal '" + credential.principal() + "')"));
    }

    private URI uri(final String master, final String path)
    {
        final String m = master.trim();
        return URI.create((tls == null ? "http://" : "https://") + Protocol.host(m) + ":" +
            (Protocol.port(m) + Protocol.HTTP_PORT_OFFSET) + path);
    }

    /** The state as the leader has it (or as any master has it when there is no leader yet, with a note). */
    JsonNode state() throws IOException, InterruptedException
    {
        JsonNode any = null;
        for (final String master : masters)
        {
            try
            {
                final HttpResponse<String> r = http.send(request(master, "/api/v1/state")
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 401 || r.statusCode() == 403)
                {
                    throw refused(r);
                }
                final JsonNode state = JSON.readTree(r.body());
                if (state.path("master").path("leader").asBoolean())
                {
                    return state;
                }
                if (any == null)
                {
                    any = state;
                }
            }
            catch (final IOException ex)
            {
                // not reachable: try the next
            }
        }
        if (any == null)
        {
            throw new IllegalArgumentException("no master reachable at " + String.join(",", masters) +
                " (is a cluster running? try: bin/corral dev)");
        }
        System.err.println("note: no leader yet; showing master " + any.path("master").path("id").asInt() +
            "'s applied state");
        return any;
    }

    /** POSTs to the leader (following 421 redirects); returns the final response. */
    HttpResponse<String> post(final String path, final String body) throws IOException, InterruptedException
    {
        return leader(path, HttpRequest.BodyPublishers.ofString(body));
    }

    /** GETs from the leader (following 421 redirects): for what only the leader can answer. */
    HttpResponse<String> getFromLeader(final String path) throws IOException, InterruptedException
    {
        return leader(path, null);
    }

    private HttpResponse<String> leader(final String path, final HttpRequest.BodyPublisher body)
        throws IOException, InterruptedException
    {
        final Deque<String> targets = new ArrayDeque<>(masters);
        final Set<String> tried = new HashSet<>();
        HttpResponse<String> last = null;
        while (!targets.isEmpty())
        {
            final String master = targets.poll().trim();
            if (!tried.add(master))
            {
                continue;
            }
            try
            {
                final HttpRequest.Builder b = request(master, path).timeout(Duration.ofSeconds(15));
                last = http.send((body == null ? b.GET() : b.POST(body).header("Content-Type", "application/json"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            }
            catch (final IOException ex)
            {
                continue;
            }
            if (last.statusCode() == 401)
            {
                throw refused(last);
            }
            if (last.statusCode() != 421)
            {
                return last;
            }
            final String leader = JSON.readTree(last.body()).path("leader").asText("");
            if (!leader.isEmpty())
            {
                targets.addFirst(leader);
            }
        }
        if (last == null)
        {
            throw new IllegalArgumentException("no master reachable at " + String.join(",", masters));
        }
        throw new IllegalArgumentException("no leader yet: " + JSON.readTree(last.body()).path("error").asText());
    }
}
