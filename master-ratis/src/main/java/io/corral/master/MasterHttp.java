package io.corral.master;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The operator's window on a master: {@code GET /api/v1/state} (JSON: this master, who leads,
 * agents, frameworks, tasks, as applied here) and {@code GET /health}. Every master serves it;
 * followers answer from their applied state and say who the leader is.
 */
final class MasterHttp implements AutoCloseable
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final MasterNode node;

    MasterHttp(final MasterNode node, final String host, final int port) throws IOException
    {
        this.node = node;
        server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.setExecutor(Executors.newSingleThreadExecutor(r ->
        {
            final Thread t = new Thread(r, "corral-http-" + node.id());
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/api/v1/state", this::state);
        server.createContext("/health", exchange -> reply(exchange, 200, "{\"status\":\"ok\"}"));
        server.start();
    }

    int port()
    {
        return server.getAddress().getPort();
    }

    private void state(final HttpExchange exchange) throws IOException
    {
        if (!"GET".equals(exchange.getRequestMethod()))
        {
            reply(exchange, 405, "{\"error\":\"only GET\"}");
            return;
        }
        reply(exchange, 200, JSON.writeValueAsString(snapshot(node)));
    }

    /** The state document; also what tests and the chaos checker compare between masters. */
    static Map<String, Object> snapshot(final MasterNode node)
    {
        final Map<String, Object> doc = new LinkedHashMap<>();
        final Map<String, Object> master = new LinkedHashMap<>();
        master.put("id", node.id());
        master.put("address", node.address());
        master.put("leader", node.isLeader());
        master.put("term", node.currentTerm());
        master.put("leaderId", node.leaderId());
        doc.put("master", master);
        final MasterState state = node.state();
        final List<Object> agents = new ArrayList<>();
        final List<Object> frameworks = new ArrayList<>();
        final List<Object> tasks = new ArrayList<>();
        final long index;
        synchronized (state)
        {
            index = state.lastAppliedIndex();
            for (final MasterState.Agent a : state.agents())
            {
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", a.id());
                m.put("hostname", a.hostname());
                m.put("endpoint", a.endpoint());
                m.put("resources", resources(a.resources()));
                agents.add(m);
            }
            for (final MasterState.Framework f : state.frameworks())
            {
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", f.id());
                m.put("name", f.name());
                m.put("role", f.role());
                m.put("failoverTimeoutMs", f.failoverTimeoutMs());
                frameworks.add(m);
            }
            for (final MasterState.TaskView t : state.tasks())
            {
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("frameworkId", t.frameworkId());
                m.put("taskId", t.taskId());
                m.put("agentId", t.agentId());
                m.put("state", t.state().name());
                m.put("exitCode", t.exitCode());
                m.put("message", t.message());
                m.put("resources", resources(t.resources()));
                tasks.add(m);
            }
        }
        doc.put("lastAppliedIndex", index);
        doc.put("agents", agents);
        doc.put("frameworks", frameworks);
        doc.put("tasks", tasks);
        return doc;
    }

    private static Map<String, Object> resources(final long[] r)
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", r[0] / 1000.0);
        m.put("mem", r[1]);
        m.put("disk", r[2]);
        m.put("gpus", r[3]);
        return m;
    }

    private static void reply(final HttpExchange exchange, final int code, final String body) throws IOException
    {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(bytes);
        }
    }

    @Override
    public void close()
    {
        server.stop(0);
        ((java.util.concurrent.ExecutorService)server.getExecutor()).shutdownNow();
    }
}
