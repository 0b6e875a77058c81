package io.corral.agent;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.corral.codec.Credentials;
import io.corral.codec.HttpAuth;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's sandbox server on a real directory tree: what it serves, the links and paths that
 * lead outside a sandbox (403), and the sandbox tokens it asks for when it has a credential.
 */
class SandboxHttpTest
{
    private static final Credentials.Credential AGENT = new Credentials.Credential("agents",
        "the-agents-secret-for-this-test".getBytes(StandardCharsets.UTF_8));
    private final HttpClient client = HttpClient.newHttpClient();

    @TempDir
    Path work;

    /** Outside every sandbox: what an escape would read. */
    @TempDir
    Path outside;

    private SandboxHttp http;
    private Path sandbox;

    @BeforeEach
    void start() throws Exception
    {
        sandbox = work.resolve("frameworks/7/tasks/t1/runs/0");
        Files.createDirectories(sandbox);
        Files.writeString(sandbox.resolve("stdout"), "hello from t1\n");
        Files.createDirectories(sandbox.resolve("sub"));
        Files.writeString(sandbox.resolve("sub/inner"), "inner\n");
        Files.writeString(outside.resolve("secret"), "root:x:0:0\n");
        // What a task can do in its own sandbox: links to a file and to a directory outside it,
        // and a link that stays inside.
        Files.createSymbolicLink(sandbox.resolve("leak"), outside.resolve("secret"));
        Files.createSymbolicLink(sandbox.resolve("up"), outside);
        Files.createSymbolicLink(sandbox.resolve("alias"), sandbox.resolve("sub/inner"));
        // A neighbour's sandbox, reachable by '..' from t1's.
        Files.createDirectories(work.resolve("frameworks/7/tasks/t2/runs/0"));
        Files.writeString(work.resolve("frameworks/7/tasks/t2/runs/0/stdout"), "t2's output\n");
    }

    @AfterEach
    void stop() throws Exception
    {
        if (http != null)
        {
            http.close();
        }
        for (final String link : new String[] { "leak", "up" })
        {
            Files.deleteIfExists(sandbox.resolve(link));
        }
    }

    @Test
    void linksAndPathsLeadingOutOfTheSandboxAreRefused() throws Exception
    {
        http = new SandboxHttp("127.0.0.1", work.toFile(), null, null);
        assertEquals("hello from t1\n", get("7/t1?path=stdout", null).body());
        assertEquals("inner\n", get("7/t1?path=alias", null).body(), "a link inside the sandbox is served");
        for (final String escape : new String[] { "leak", "up/secret", "../../t2/runs/0/stdout",
            "../../../../../../../../../etc/passwd" })
        {
            final HttpResponse<String> r = get("7/t1?path=" + java.net.URLEncoder.encode(escape, StandardCharsets.UTF_8),
                null);
            assertEquals(403, r.statusCode(), escape + ": " + r.body());
            assertFalse(r.body().contains("root:") || r.body().contains("t2's"), r.body());
        }
        assertEquals(404, get("7/t1?path=missing", null).statusCode());
        // An absolute path names a file under the sandbox, not the outside one.
        final HttpResponse<String> absolute = get("7/t1?path=" + outside.resolve("secret"), null);
        assertEquals(404, absolute.statusCode(), absolute.body());
        assertEquals(400, get("7/t1?path=stdout&offset=x", null).statusCode());
    }

    @Test
    void anAgentWithACredentialServesOnlyTheTaskItsTokenNames() throws Exception
    {
        http = new SandboxHttp("127.0.0.1", work.toFile(), AGENT, null);
        final long now = System.currentTimeMillis() / 1000;
        final HttpResponse<String> none = get("7/t1?path=stdout", null);
        assertEquals(401, none.statusCode(), none.body());
        assertTrue(none.body().contains("sandbox token"), none.body());

        final String good = HttpAuth.sandboxToken(AGENT.secret(), 7, "t1", "operator", now + 60);
        assertEquals("hello from t1\n", get("7/t1?path=stdout", good).body());

        // The same token for the neighbour task, another agent's token, an expired one, a tampered one.
        final HttpResponse<String> neighbour = get("7/t2?path=stdout", good);
        assertEquals(401, neighbour.statusCode(), neighbour.body());
        assertTrue(neighbour.body().contains("is for task 't1'"), neighbour.body());
        final String otherAgent = HttpAuth.sandboxToken("another-agents-secret".getBytes(StandardCharsets.UTF_8), 7,
            "t1", "operator", now + 60);
        assertEquals(401, get("7/t1?path=stdout", otherAgent).statusCode());
        final HttpResponse<String> expired = get("7/t1?path=stdout",
            HttpAuth.sandboxToken(AGENT.secret(), 7, "t1", "operator", now - 5));
        assertEquals(401, expired.statusCode());
        assertTrue(expired.body().contains("expired"), expired.body());
        final String widened = HttpAuth.sandboxToken(AGENT.secret(), 7, "t1", "operator", now + 60)
            .replaceFirst("\\.[^.]+\\.", "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("7\0t2\0operator\0" + (now + 60)).getBytes(StandardCharsets.UTF_8)) + ".");
        assertEquals(401, get("7/t2?path=stdout", widened).statusCode(), "claims changed under the same MAC");
        // A valid token does not open a way out either.
        assertEquals(403, get("7/t1?path=leak", good).statusCode());
    }

    private HttpResponse<String> get(final String path, final String token) throws Exception
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + http.endpoint() + "/files/" + path));
        if (token != null)
        {
            b.header("Authorization", "Bearer " + token);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
