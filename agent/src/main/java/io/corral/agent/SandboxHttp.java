package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Read-only access to task sandboxes: {@code GET /files/FRAMEWORK/TASK?path=stdout&offset=N}
 * returns the file's bytes from {@code offset} (at most 1 MiB). Only files inside that task's
 * sandbox are served: paths are resolved with every symlink followed before the check, so a
 * {@code ..} or a link the task made that points outside is refused (403). (Checked, then opened:
 * a task that swaps a file for a link between the two could still win that race.)
 *
 * <p>An agent with a credential serves a task's files only to a request that carries a sandbox
 * token for that very task ({@code Authorization: Bearer corral-sandbox1...}): the leader mints it
 * after checking the ACL and signs it with this agent's secret, so the agent checks it alone (401
 * with the reason otherwise). An agent without one (a cluster run with --insecure) serves anyone.
 */
final class SandboxHttp implements AutoCloseable
{
    private static final int MAX_CHUNK = 1 << 20;

    private final HttpServer server;
    private final File workDir;
    /** This agent's secret, to check sandbox tokens with; null: sandboxes are open (insecure). */
    private final byte[] secret;

    private final boolean tls;

    SandboxHttp(final String host, final File workDir, final io.corral.codec.Credentials.Credential credential,
        final javax.net.ssl.SSLContext tls) throws IOException
    {
        this.workDir = workDir.getCanonicalFile();
        this.secret = credential == null ? null : credential.secret();
        this.tls = tls != null;
        server = io.corral.codec.HttpServers.create(host, 0, "corral-agent-http", tls);
        io.corral.codec.HttpServers.context(server, "/files/", this::files);
        server.start();
    }

    /** {@code host:port}, or {@code https://host:port} with TLS (as the agent registers it). */
    String endpoint()
    {
        final String host = server.getAddress().getHostString();
        return (tls ? "https://" : "") + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" +
            server.getAddress().getPort();
    }

    private void files(final HttpExchange exchange) throws IOException
    {
        final String[] parts = exchange.getRequestURI().getPath().substring("/files/".length()).split("/");
        String path = "stdout";
        long offset = 0;
        final String query = exchange.getRequestURI().getRawQuery();
        if (query != null)
        {
            for (final String kv : query.split("&"))
            {
                final int eq = kv.indexOf('=');
                final String key = eq < 0 ? kv : kv.substring(0, eq);
                final String value = eq < 0 ? "" : java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                if (key.equals("path"))
                {
                    path = value;
                }
                else if (key.equals("offset"))
                {
                    try
                    {
                        offset = Math.max(0, Long.parseLong(value));
                    }
                    catch (final NumberFormatException ex)
                    {
                        reply(exchange, 400, "offset must be a number");
                        return;
                    }
                }
            }
        }
        if (parts.length != 2 || !"GET".equals(exchange.getRequestMethod()))
        {
            reply(exchange, 404, "use GET /files/FRAMEWORK/TASK?path=stdout&offset=0");
            return;
        }
        if (secret != null)
        {
            final long frameworkId;
            try
            {
                frameworkId = Long.parseLong(parts[0]);
            }
            catch (final NumberFormatException ex)
            {
                reply(exchange, 404, "framework id '" + parts[0] + "' is not a number");
                return;
            }
            final String taskId = parts[1]; // getPath() has decoded it
            final io.corral.codec.HttpAuth.Caller caller = io.corral.codec.HttpAuth.checkSandbox(secret,
                exchange.getRequestHeaders().getFirst("Authorization"), frameworkId, taskId,
                System.currentTimeMillis() / 1000);
            if (!caller.known())
            {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"corral-sandbox\"");
                reply(exchange, 401, caller.problem());
                return;
            }
        }
        final File sandbox = TaskLauncher.latestRun(new File(workDir, "frameworks/" + parts[0] + "/tasks/" +
            TaskLauncher.dirName(parts[1]))).getCanonicalFile();
        final File file = new File(sandbox, path).getCanonicalFile();
        if (!file.toPath().startsWith(sandbox.toPath()) || !sandbox.toPath().startsWith(workDir.toPath()))
        {
            reply(exchange, 403, "only files inside the task's sandbox are served");
            return;
        }
        if (!file.isFile())
        {
            reply(exchange, 404, "no file '" + path + "' in the sandbox of task " + parts[1]);
            return;
        }
        try (RandomAccessFile in = new RandomAccessFile(file, "r"))
        {
            final long length = in.length();
            final int n = (int)Math.max(0, Math.min(MAX_CHUNK, length - offset));
            final byte[] bytes = new byte[n];
            in.seek(Math.min(offset, length));
            in.readFully(bytes);
            exchange.getResponseHeaders().set("X-Corral-File-Length", Long.toString(length));
            exchange.sendResponseHeaders(200, n == 0 ? -1 : n);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(bytes);
            }
        }
    }

    private static void reply(final HttpExchange exchange, final int code, final String message) throws IOException
    {
        final byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(bytes);
        }
    }

    @Override
    public void close()
    {
        io.corral.codec.HttpServers.stop(server);
        ((java.util.concurrent.ExecutorService)server.getExecutor()).shutdownNow();
    }
}
