package io.corral.master;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    private final io.corral.master.mesos.MesosSchedulerApi mesosScheduler;
    private final io.corral.master.mesos.MesosOperatorApi mesosOperator;

    MasterHttp(final MasterNode node, final String host, final int port) throws IOException
    {
        this.node = node;
        server = io.corral.codec.HttpServers.create(host, port, "corral-http-" + node.id(), node.config().httpTls());
        io.corral.codec.HttpServers.context(server, "/api/v1/state", this::state);
        io.corral.codec.HttpServers.context(server, "/health", this::health);
        io.corral.codec.HttpServers.context(server, "/api/v1/roles/", this::role);
        io.corral.codec.HttpServers.context(server, "/api/v1/acls", this::acls);
        io.corral.codec.HttpServers.context(server, "/api/v1/tasks/", this::tasks);
        io.corral.codec.HttpServers.context(server, "/metrics", this::metrics);
        io.corral.codec.HttpServers.context(server, "/", this::ui);
        // Mesos's v1 API and the operator endpoints its tooling reads (docs/architecture.md, "The Mesos v1 gateway").
        mesosScheduler = new io.corral.master.mesos.MesosSchedulerApi(node);
        mesosOperator = new io.corral.master.mesos.MesosOperatorApi(node);
        io.corral.codec.HttpServers.context(server, "/api/v1/scheduler", mesosScheduler::handle);
        io.corral.codec.HttpServers.context(server, "/redirect", mesosOperator::redirect);
        io.corral.codec.HttpServers.context(server, "/master/redirect", mesosOperator::redirect);
        io.corral.codec.HttpServers.context(server, "/version", mesosOperator::version);
        io.corral.codec.HttpServers.context(server, "/master/health", mesosOperator::health);
        io.corral.codec.HttpServers.context(server, "/master/state", readable(mesosOperator::state));
        io.corral.codec.HttpServers.context(server, "/state", readable(mesosOperator::state));
        io.corral.codec.HttpServers.context(server, "/metrics/snapshot", readable(mesosOperator::metrics));
        io.corral.codec.HttpServers.context(server, "/master/metrics/snapshot", readable(mesosOperator::metrics));
        io.corral.codec.HttpServers.context(server, "/api/v1", this::operatorCall);
        server.start();
    }

    /** A read handler behind the read-only authentication switch. */
    private com.sun.net.httpserver.HttpHandler readable(final com.sun.net.httpserver.HttpHandler handler)
    {
        return exchange ->
        {
            if (caller(exchange, false) != null)
            {
                handler.handle(exchange);
            }
        };
    }

    /** {@code POST /api/v1} exactly (longer paths under it are Corral's own endpoints or 404). */
    private void operatorCall(final HttpExchange exchange) throws IOException
    {
        final String path = exchange.getRequestURI().getPath();
        if (!path.equals("/api/v1") && !path.equals("/api/v1/"))
        {
            reply(exchange, 404, JSON.writeValueAsString(Map.of("error", "no such endpoint: " + path)));
            return;
        }
        if (caller(exchange, false) != null)
        {
            mesosOperator.call(exchange);
        }
    }

    /** A duty thread silent this long is stuck or gone: the master is unhealthy. */
    static final long DUTY_STALL_MS = 5_000;

    /**
     * {@code GET /health}: 200 when the duty thread is cycling and this master leads or follows a
     * leader it knows; 503 otherwise, with the reason. A load balancer or supervisor can act on it.
     */
    private void health(final HttpExchange exchange) throws IOException
    {
        final long idleMs = node.dutyIdleMs();
        final boolean leads = node.isLeader();
        final int leaderId = node.leaderId();
        final long failingMs = node.proposalsFailingMs();
        final String problem = idleMs > DUTY_STALL_MS ? "the duty thread has not cycled for " + idleMs + " ms" :
            !leads && leaderId == 0 ? "no leader is known (an election is under way, or no quorum is reachable)" :
            failingMs > java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(RaftProposer.FAILING_TOO_LONG_NS) ? "this master leads but " +
            "its proposals have failed for " + failingMs / 1000 + " s (it is handing leadership to another master)" :
            null;
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", problem == null ? "ok" : "unhealthy");
        if (problem != null)
        {
            body.put("problem", problem);
        }
        body.put("role", leads ? "leader" : "follower");
        body.put("leader", leaderId == 0 ? null : leaderId);
        body.put("term", node.currentTerm());
        body.put("dutyIdleMs", idleMs);
        body.put("proposalsFailingMs", failingMs);
        reply(exchange, problem == null ? 200 : 503, JSON.writeValueAsString(body));
    }

    int port()
    {
        return server.getAddress().getPort();
    }

    /**
     * Who sent the request: "" for anyone when no authentication is asked (no credentials, or a
     * read with read-only authentication off), the principal when its token or Basic credentials
     * check out, or null once it was answered 401 with the reason.
     */
    private String caller(final HttpExchange exchange, final boolean changes) throws IOException
    {
        final MasterConfig config = node.config();
        if (changes && !json(exchange))
        {
            // Not a type an HTML form or a simple cross-site request can send: a page cannot make
            // a visitor's browser change the cluster, on a master with credentials or without.
            reply(exchange, 415, JSON.writeValueAsString(Map.of("error", "changes take Content-Type: " +
                "application/json (this request has " + String.valueOf(exchange.getRequestHeaders()
                .getFirst("Content-Type")) + ")")));
            return null;
        }
        if (config.credentials() == null || !changes && !config.authenticateHttpReadonly())
        {
            return "";
        }
        final String principal = authenticated(exchange);
        final Acl acl = principal != null && !changes ? node.acl() : null;
        if (acl != null && !acl.allows(Acl.Action.READ_STATE, principal))
        {
            reply(exchange, 403, JSON.writeValueAsString(Map.of("error", "not permitted: principal '" + principal +
                "' may not read state (the ACL allows " + acl.principalsFor(Acl.Action.READ_STATE) +
                "); ask an operator for 'read-state " + principal + "' (corral acl set)")));
            return null;
        }
        return principal;
    }

    private static boolean json(final HttpExchange exchange)
    {
        final String type = exchange.getRequestHeaders().getFirst("Content-Type");
        return type != null && type.trim().toLowerCase(java.util.Locale.ROOT).startsWith("application/json");
    }

    /** The principal whose token or Basic credentials check out, or null once answered 401 with the reason. */
    private String authenticated(final HttpExchange exchange) throws IOException
    {
        final MasterConfig config = node.config();
        final io.corral.codec.HttpAuth.Caller caller = io.corral.codec.HttpAuth.check(config.credentials(),
            exchange.getRequestHeaders().getFirst("Authorization"), System.currentTimeMillis() / 1000);
        if (caller.known())
        {
            return caller.principal();
        }
        node.metrics().authRefused(MasterMetrics.AuthRefusal.HTTP);
        exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"corral\"");
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"corral\"");
        reply(exchange, 401, JSON.writeValueAsString(Map.of("error", caller.problem())));
        return null;
    }

    private void state(final HttpExchange exchange) throws IOException
    {
        if (caller(exchange, false) == null)
        {
            return;
        }
        if (!"GET".equals(exchange.getRequestMethod()))
        {
            reply(exchange, 405, "{\"error\":\"only GET\"}");
            return;
        }
        reply(exchange, 200, JSON.writeValueAsString(snapshot(node)));
    }

    /**
     * {@code POST /api/v1/roles/NAME} with {@code {"weight": 2, "guarantee": "cpus:1;mem:1024",
     * "limit": "cpus:4"}} (all optional): replicated once the leader accepts it. A follower answers
     * 421 with the leader's address.
     */
    private void role(final HttpExchange exchange) throws IOException
    {
        if (!"POST".equals(exchange.getRequestMethod()))
        {
            reply(exchange, 405, "{\"error\":\"use POST\"}");
            return;
        }
        final String principal = caller(exchange, true);
        if (principal == null)
        {
            return;
        }
        final String name = exchange.getRequestURI().getPath().substring("/api/v1/roles/".length());
        final MasterState.Role role;
        try
        {
            role = parseRole(name, exchange.getRequestBody().readNBytes(MAX_ROLE_BODY + 1), node.vectors().kinds());
        }
        catch (final IllegalArgumentException ex)
        {
            reply(exchange, 400, JSON.writeValueAsString(Map.of("error", String.valueOf(ex.getMessage()))));
            return;
        }
        answer(exchange, node.configureRole(role, asked(principal)), Map.of("role", name, "committed", true), 400);
    }

    /** A role's settings take a few hundred bytes; a body longer than this is refused unread. */
    static final int MAX_ROLE_BODY = 64 * 1024;

    /**
     * The body of {@code POST /api/v1/roles/NAME} ({@code {"weight": 2, "guarantee": "cpus:1;mem:1024",
     * "limit": "cpus:4"}}, all optional) as a role; an IllegalArgumentException says what is wrong
     * in the user's terms.
     */
    static MasterState.Role parseRole(final String name, final byte[] body, final io.corral.allocator.ResourceKinds kinds)
    {
        final String example = "send e.g. {\"weight\": 2, \"guarantee\": \"cpus:1;mem:1024\", \"limit\": \"cpus:4\"}";
        if (body.length > MAX_ROLE_BODY)
        {
            throw new IllegalArgumentException("the body is longer than " + MAX_ROLE_BODY + " bytes; " + example);
        }
        final com.fasterxml.jackson.databind.JsonNode json;
        try
        {
            json = body.length == 0 ? null : JSON.readTree(body);
        }
        catch (final IOException ex)
        {
            // The parser's own message quotes the input and its internals: say what is expected.
            throw new IllegalArgumentException("the body is not valid JSON; " + example);
        }
        if (json != null && !json.isObject() && !json.isMissingNode())
        {
            throw new IllegalArgumentException("the body must be a JSON object; " + example);
        }
        final double weight = json == null || !json.has("weight") ? 1.0 : json.get("weight").asDouble(Double.NaN);
        final long[] guarantee = kinds.parse(json == null ? "" : json.path("guarantee").asText(""));
        final long[] limit = kinds.newVector();
        java.util.Arrays.fill(limit, Long.MAX_VALUE);
        final String limitSpec = json == null ? "" : json.path("limit").asText("");
        final long[] given = kinds.parse(limitSpec);
        for (final String part : limitSpec.split(";"))
        {
            final int colon = part.indexOf(':');
            if (colon > 0)
            {
                final int k = kinds.indexOf(part.substring(0, colon).trim());
                limit[k] = given[k];
            }
        }
        if (!(weight > 0) || Double.isInfinite(weight))
        {
            throw new IllegalArgumentException("weight must be a positive number");
        }
        return new MasterState.Role(name, weight, guarantee, limit);
    }

    /** The principal a change is asked for: null (anyone) when the master asks for no authentication. */
    private static String asked(final String principal)
    {
        return principal.isEmpty() ? null : principal;
    }

    /**
     * Waits (at most 10 s) for the duty thread's decision on a change and replies: 200 with
     * {@code ok} when it took effect, 421 with the leader's address from a follower, 403 when the
     * principal is not permitted, {@code otherCode} with the reason otherwise, 503 without answer.
     */
    private void answer(final HttpExchange exchange, final java.util.concurrent.CompletableFuture<String> decision,
        final Map<String, Object> ok, final int otherCode) throws IOException
    {
        final String refused;
        try
        {
            refused = decision.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            reply(exchange, 503, JSON.writeValueAsString(Map.of("error", "no answer from the leader within 10 s; try again")));
            return;
        }
        if (refused == null)
        {
            reply(exchange, 200, JSON.writeValueAsString(ok));
        }
        else if (refused.startsWith("not the leader"))
        {
            reply(exchange, 421, JSON.writeValueAsString(Map.of("error", refused, "leader", node.leaderAddress())));
        }
        else
        {
            reply(exchange, refused.startsWith("not permitted") ? 403 : otherCode,
                JSON.writeValueAsString(Map.of("error", refused)));
        }
    }

    /**
     * {@code GET /api/v1/acls}: the authorization rules as text ({@code {"rules": "..."}});
     * {@code POST} of the same shape ({@code {"rules": "one rule per line"}}, JSON) replaces them
     * once committed. A follower answers 421 with the leader's address.
     */
    private void acls(final HttpExchange exchange) throws IOException
    {
        final boolean post = "POST".equals(exchange.getRequestMethod());
        if (!post && !"GET".equals(exchange.getRequestMethod()))
        {
            reply(exchange, 405, "{\"error\":\"use GET, or POST the rules\"}");
            return;
        }
        final String principal = caller(exchange, post);
        if (principal == null)
        {
            return;
        }
        if (!post)
        {
            final Acl acl = node.acl();
            reply(exchange, 200, JSON.writeValueAsString(Map.of("rules", acl.text(), "acls", acl.describe())));
            return;
        }
        final byte[] body = exchange.getRequestBody().readNBytes(2 * Acl.MAX_TEXT + 1);
        if (body.length > 2 * Acl.MAX_TEXT)
        {
            reply(exchange, 413, JSON.writeValueAsString(Map.of("error", "the rules may take at most " + Acl.MAX_TEXT +
                " bytes")));
            return;
        }
        final String rules;
        try
        {
            final com.fasterxml.jackson.databind.JsonNode doc = JSON.readTree(body);
            if (doc == null || !doc.path("rules").isTextual())
            {
                throw new IllegalArgumentException("no \"rules\" string");
            }
            rules = doc.path("rules").asText();
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            reply(exchange, 400, JSON.writeValueAsString(Map.of("error", "send {\"rules\": \"register-agents " +
                "agents\\nsubscribe ops *\\n...\"} (the rules as one JSON string, a rule per line): " +
                ex.getMessage().split("\n")[0])));
            return;
        }
        answer(exchange, node.setAcl(rules, asked(principal)), Map.of("committed", true), 400);
    }

    /**
     * {@code POST /api/v1/tasks/FRAMEWORK/TASK/kill}: the leader has the task's agent kill it.
     * {@code GET /api/v1/tasks/FRAMEWORK/TASK/sandbox}: where the task's sandbox is served and a
     * token its agent accepts ({@code {"agent": "host:port", "token": "...", "expiresAt": S}}; no
     * token on a master without credentials). Sandboxes hold task data, so this always needs
     * authentication on a master with credentials, whatever read-only authentication says.
     */
    private void tasks(final HttpExchange exchange) throws IOException
    {
        final String[] parts = exchange.getRequestURI().getPath().substring("/api/v1/tasks/".length()).split("/");
        final boolean kill = "POST".equals(exchange.getRequestMethod()) && parts.length == 3 && "kill".equals(parts[2]);
        final boolean sandbox = "GET".equals(exchange.getRequestMethod()) && parts.length == 3 &&
            "sandbox".equals(parts[2]);
        if (!kill && !sandbox)
        {
            reply(exchange, 404, "{\"error\":\"use POST /api/v1/tasks/FRAMEWORK/TASK/kill or GET " +
                "/api/v1/tasks/FRAMEWORK/TASK/sandbox\"}");
            return;
        }
        final String principal = sandbox ? (node.config().credentials() == null ? "" : authenticated(exchange)) :
            caller(exchange, true);
        if (principal == null)
        {
            return;
        }
        final long frameworkId;
        try
        {
            frameworkId = Long.parseLong(parts[0]);
        }
        catch (final NumberFormatException ex)
        {
            reply(exchange, 400, JSON.writeValueAsString(Map.of("error", "framework id '" + parts[0] + "' is not a number")));
            return;
        }
        if (kill)
        {
            answer(exchange, node.killTask(frameworkId, parts[1], asked(principal)), Map.of("killing", parts[1]), 404);
            return;
        }
        final MasterNode.SandboxGrant grant;
        try
        {
            grant = node.sandbox(frameworkId, parts[1], asked(principal)).get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            reply(exchange, 503, JSON.writeValueAsString(Map.of("error", "no answer from the leader within 10 s; try again")));
            return;
        }
        if (grant.refused() != null)
        {
            final String why = grant.refused();
            final int code = why.startsWith("not the leader") ? 421 : why.startsWith("not permitted") ? 403 :
                why.startsWith("no task") ? 404 : 503;
            final Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", why);
            if (code == 421)
            {
                body.put("leader", node.leaderAddress());
            }
            reply(exchange, code, JSON.writeValueAsString(body));
            return;
        }
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("agent", grant.agentHttp());
        body.put("token", grant.token());
        body.put("expiresAt", grant.token() == null ? null : grant.expiresAtSeconds());
        reply(exchange, 200, JSON.writeValueAsString(body));
    }

    /** The state document; also what tests and the chaos checker compare between masters. */
    static Map<String, Object> snapshot(final MasterNode node)
    {
        final Map<String, Object> doc = new LinkedHashMap<>();
        final Map<String, Object> master = new LinkedHashMap<>();
        master.put("id", node.id());
        master.put("address", node.address());
        master.put("insecure", node.insecure());
        master.put("insecureRaft", node.config().isInsecureRaft());
        master.put("operators", new java.util.ArrayList<>(new java.util.TreeSet<>(node.config().operators())));
        master.put("httpReadonlyAuthenticated", node.config().authenticateHttpReadonly());
        master.put("leader", node.isLeader());
        master.put("term", node.currentTerm());
        master.put("leaderId", node.leaderId());
        final String leaderAddress = node.leaderAddress();
        master.put("leaderAddress", leaderAddress.isEmpty() ? null : leaderAddress);
        master.put("leaderUi", leaderAddress.isEmpty() ? null : (node.config().httpTls() != null ? "https://" : "http://") +
            io.corral.codec.Protocol.host(leaderAddress) + ":" + (io.corral.codec.Protocol.port(leaderAddress) +
            io.corral.codec.Protocol.HTTP_PORT_OFFSET) + "/");
        doc.put("master", master);
        final MasterView state = node.state();
        final io.corral.allocator.ResourceKinds kinds = state.vectors().kinds();
        master.put("resourceKinds", kinds.toString());
        final List<Object> agents = new ArrayList<>();
        final List<Object> frameworks = new ArrayList<>();
        final List<Object> tasks = new ArrayList<>();
        final long index;
        {
            index = state.lastAppliedIndex();
            for (final MasterState.Agent a : state.agents())
            {
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", a.id());
                m.put("hostname", a.hostname());
                m.put("endpoint", a.endpoint());
                m.put("resources", resources(kinds, a.resources()));
                final long[] used = state.usedOn(a);
                final long[] free = a.resources().clone();
                for (int k = 0; k < free.length; k++)
                {
                    free[k] -= used[k];
                }
                m.put("used", resources(kinds, used));
                m.put("free", resources(kinds, free));
                m.put("attributes", a.attributeMap());
                m.put("http", a.httpEndpoint());
                agents.add(m);
            }
            for (final MasterState.Framework f : state.frameworks())
            {
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", f.id());
                m.put("name", f.name());
                m.put("role", f.role());
                m.put("failoverTimeoutMs", f.failoverTimeoutMs());
                m.put("principal", f.principal());
                m.put("endpoint", f.endpoint());
                frameworks.add(m);
            }
            for (final MasterState.TaskView t : state.tasks())
            {
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("frameworkId", t.frameworkId());
                m.put("taskId", t.taskId());
                m.put("agentId", t.agentId());
                m.put("state", t.state().name());
                m.put("exitCode", MasterState.isTerminal(t.state()) ? t.exitCode() : null);
                m.put("message", t.message());
                m.put("command", t.command());
                m.put("role", t.role());
                m.put("updatedAtMs", t.updatedAtMs());
                m.put("resources", resources(kinds, t.resources()));
                tasks.add(m);
            }
        }
        doc.put("lastAppliedIndex", index);
        doc.put("agents", agents);
        doc.put("frameworks", frameworks);
        final List<Object> roles = new ArrayList<>();
        for (final MasterState.Role r : state.roles())
        {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("weight", r.weight());
            m.put("guarantee", resources(kinds, r.guarantee()));
            m.put("limit", resources(kinds, r.limit()));
            roles.add(m);
        }
        doc.put("roles", roles);
        // Who may do what (rules name principals only; secrets are never in the state).
        doc.put("acls", state.acl().describe());
        doc.put("tasks", tasks);
        return doc;
    }

    /** cpus, mem, disk, gpus, then the custom kinds the masters know, by name. */
    private static Map<String, Object> resources(final io.corral.allocator.ResourceKinds kinds, final long[] r)
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        // Long.MAX_VALUE is "no limit" (a quota kind without one): null, not 9223372036854775807.
        m.put("cpus", r[0] == Long.MAX_VALUE ? null : r[0] / 1000.0);
        for (int k = 1; k < r.length; k++)
        {
            m.put(kinds.name(k), r[k] == Long.MAX_VALUE ? null : r[k]);
        }
        return m;
    }

    /** Prometheus text format. */
    private void metrics(final HttpExchange exchange) throws IOException
    {
        if (caller(exchange, false) == null)
        {
            return;
        }
        node.publishMetrics();
        final java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream(8192);
        node.metrics().write(body);
        send(exchange, 200, node.metrics().contentType(), body.toByteArray());
    }

    /** The web UI: one page that renders /api/v1/state (of whichever master serves it). */
    private void ui(final HttpExchange exchange) throws IOException
    {
        if (caller(exchange, false) == null)
        {
            return;
        }
        final String path = exchange.getRequestURI().getPath();
        if (!path.equals("/") && !path.equals("/index.html"))
        {
            reply(exchange, 404, JSON.writeValueAsString(Map.of("error", "no such page: " + path + "; see /, " +
                "/api/v1/state, /metrics, /health")));
            return;
        }
        try (java.io.InputStream page = MasterHttp.class.getResourceAsStream("ui.html"))
        {
            send(exchange, 200, "text/html; charset=utf-8", page.readAllBytes());
        }
    }

    private static void reply(final HttpExchange exchange, final int code, final String body) throws IOException
    {
        send(exchange, code, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(final HttpExchange exchange, final int code, final String contentType, final byte[] bytes)
        throws IOException
    {
        io.corral.codec.HttpServers.send(exchange, code, contentType, bytes);
    }

    @Override
    public void close()
    {
        mesosScheduler.close();
        io.corral.codec.HttpServers.stop(server);
        ((java.util.concurrent.ExecutorService)server.getExecutor()).shutdownNow();
    }
}
