package io.corral.codec;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The JDK's HTTP server set up for daemons that strangers can reach (masters, agents): a bounded
 * pool of handler threads, so a few slow clients cannot take the only thread; a limit on how long
 * a request may take to arrive, so a client that never finishes its headers or body is cut off
 * (responses have no time limit: Mesos's event streams are long-lived responses); and 414 for a URI over {@value #MAX_URI_BYTES} bytes.
 */
public final class HttpServers
{
    /** Handler threads at most; requests beyond them wait in a queue of {@value #QUEUE}. */
    public static final int THREADS = 32;
    public static final int QUEUE = 256;
    /** Seconds a request may take to arrive. */
    public static final int REQUEST_SECONDS = 5;
    public static final int MAX_URI_BYTES = 8 * 1024;

    static
    {
        // Read by the JDK's server once, when its first instance is made: set them before that,
        // unless an operator chose other values with -D.
        setIfAbsent("sun.net.httpserver.maxReqTime", String.valueOf(REQUEST_SECONDS));
        // No limit on a response's time (the JDK's default): a Mesos SUBSCRIBE stream is one response
        // that lasts as long as the framework does, and the JDK's limit closes any response older
        // than it, streaming or not. Slow readers are bounded by the handler pool instead.
        setIfAbsent("sun.net.httpserver.maxReqHeaders", "100");
    }

    private HttpServers()
    {
    }

    private static void setIfAbsent(final String key, final String value)
    {
        if (System.getProperty(key) == null)
        {
            System.setProperty(key, value);
        }
    }

    /** A server on {@code host:port} (0: any free port), not started, with the limits above. */
    public static HttpServer create(final String host, final int port, final String threadName) throws IOException
    {
        return create(host, port, threadName, null);
    }

    /** As {@link #create(String, int, String)}, serving HTTPS with {@code tls} unless it is null ({@link Tls#server}). */
    public static HttpServer create(final String host, final int port, final String threadName,
        final javax.net.ssl.SSLContext tls) throws IOException
    {
        final HttpServer server;
        if (tls == null)
        {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        }
        else
        {
            final com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(
                new InetSocketAddress(host, port), 64);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            server = https;
        }
        final AtomicInteger count = new AtomicInteger();
        final ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE), r ->
            {
                final Thread t = new Thread(r, threadName + "-" + count.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        pool.allowCoreThreadTimeOut(true);
        server.setExecutor(pool);
        return server;
    }

    /** Stops the server at once and ends its handler threads. */
    public static void stop(final HttpServer server)
    {
        server.stop(0);
        if (server.getExecutor() instanceof java.util.concurrent.ExecutorService pool)
        {
            pool.shutdownNow();
        }
    }

    /** Adds a context whose requests with an oversized URI are answered 414 before the handler runs. */
    public static HttpContext context(final HttpServer server, final String path,
        final com.sun.net.httpserver.HttpHandler handler)
    {
        final HttpContext context = server.createContext(path, handler);
        context.getFilters().add(new Filter()
        {
            @Override
            public void doFilter(final HttpExchange exchange, final Chain chain) throws IOException
            {
                final int length = exchange.getRequestURI().toString().length();
                if (length > MAX_URI_BYTES)
                {
                    reply(exchange, 414, "{\"error\":\"the URI is " + length + " bytes; at most " + MAX_URI_BYTES +
                        " are accepted\"}");
                    return;
                }
                final String refused = refusal(exchange);
                if (refused != null)
                {
                    reply(exchange, 403, "{\"error\":\"" + refused + "\"}");
                    return;
                }
                chain.doFilter(exchange);
            }

            @Override
            public String description()
            {
                return "URI length limit";
            }
        });
        return context;
    }

    /**
     * Why a request is refused before any handler sees it, or null. A server on a loopback address
     * answers only requests whose {@code Host} is a loopback name (a web page whose name was
     * re-pointed at 127.0.0.1, DNS rebinding, cannot reach it); and a change (any method but GET and
     * HEAD) that a browser sent from another origin is refused ({@code Origin} must name this
     * server as {@code Host} does).
     */
    static String refusal(final HttpExchange exchange)
    {
        final String host = exchange.getRequestHeaders().getFirst("Host");
        final java.net.InetSocketAddress local = exchange.getLocalAddress();
        if (local != null && local.getAddress() != null && local.getAddress().isLoopbackAddress() &&
            !loopbackName(host))
        {
            return "this server listens on loopback only and answers requests for localhost or a loopback " +
                "address; the Host header says " + clean(host);
        }
        final String method = exchange.getRequestMethod();
        final String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null && !"GET".equals(method) && !"HEAD".equals(method) && host != null &&
            !(origin.equalsIgnoreCase("http://" + host) || origin.equalsIgnoreCase("https://" + host)))
        {
            return "a change sent from another origin (" + clean(origin) + ") is refused: send it from this " +
                "server's own pages, or from a client that is not a browser";
        }
        return null;
    }

    private static boolean loopbackName(final String hostHeader)
    {
        if (hostHeader == null)
        {
            return true; // HTTP/1.0 without Host: no name to check
        }
        String host = hostHeader.trim();
        if (host.startsWith("["))
        {
            final int close = host.indexOf(']');
            return close > 0 && host.substring(1, close).equals("::1");
        }
        final int colon = host.lastIndexOf(':');
        host = colon >= 0 ? host.substring(0, colon) : host;
        if (host.equalsIgnoreCase("localhost") || host.toLowerCase(java.util.Locale.ROOT).endsWith(".localhost"))
        {
            return true;
        }
        final String[] parts = host.split("\\.", -1);
        if (parts.length != 4 || !parts[0].equals("127"))
        {
            return false;
        }
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit) ||
                Integer.parseInt(part) > 255)
            {
                return false;
            }
        }
        return true;
    }

    /** A header value as it may appear in a JSON error: printable ASCII, at most 100 characters. */
    private static String clean(final String value)
    {
        if (value == null)
        {
            return "nothing";
        }
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < value.length() && b.length() < 100; i++)
        {
            final char c = value.charAt(i);
            b.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
        }
        return "'" + b + "'";
    }

    static void reply(final HttpExchange exchange, final int code, final String json) throws IOException
    {
        send(exchange, code, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /** Answers {@code code} with {@code bytes} as the whole body, of {@code contentType} exactly. */
    public static void send(final HttpExchange exchange, final int code, final String contentType, final byte[] bytes)
        throws IOException
    {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(bytes);
        }
    }
}
