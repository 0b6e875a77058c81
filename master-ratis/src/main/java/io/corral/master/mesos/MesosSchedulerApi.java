package io.corral.master.mesos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.codec.HttpServers;
import io.corral.codec.Protocol;
import io.corral.master.MasterConfig;
import io.corral.master.MasterNode;
import org.apache.mesos.v1.Protos;
import org.apache.mesos.v1.scheduler.Protos.Call;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/scheduler} as a Mesos 1.11 master serves it (include/mesos/v1/scheduler/
 * scheduler.proto and Mesos's "Scheduler HTTP API" document): SUBSCRIBE opens a RecordIO stream of
 * events with a {@code Mesos-Stream-Id}; every other call names that stream and is answered
 * {@code 202 Accepted}, or 4xx with a text reason. Each stream is a {@link SchedulerStream},
 * a Corral framework subscribed through the thin client, so a Mesos framework is authenticated,
 * authorized, offered (by the same DRF pass as native frameworks), failed over and reconciled by
 * the code that does it for native ones. A follower answers 307 with the leader's location.
 */
public final class MesosSchedulerApi implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MesosSchedulerApi.class);
    public static final String PROTOBUF = "application/x-protobuf";
    public static final String JSON = "application/json";
    public static final String STREAM_ID = "Mesos-Stream-Id";
    /** As Mesos: 15 s. */
    public static final long HEARTBEAT_SECONDS = Long.getLong("corral.mesos.heartbeatSeconds", 15);
    /** A call's body at most (a large ACCEPT of many tasks fits). */
    static final int MAX_BODY_BYTES = 4 << 20;
    static final long SUBSCRIBE_WAIT_SECONDS = 20;

    private final MasterNode node;
    /** The open streams by framework id: written by handler threads (subscribe) and streams (their end). */
    private final ConcurrentHashMap<Long, SchedulerStream> streams = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile AgentUrls agentUrls = new AgentUrls(java.util.Map.of(), System.nanoTime() - (1L << 40));

    public MesosSchedulerApi(final MasterNode node)
    {
        this.node = node;
    }

    public void handle(final HttpExchange exchange) throws IOException
    {
        try
        {
            serve(exchange);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("Mesos scheduler call failed", ex);
            text(exchange, 500, "the master failed on this call: " + ex);
        }
    }

    private void serve(final HttpExchange exchange) throws IOException
    {
        if (!"POST".equals(exchange.getRequestMethod()))
        {
            exchange.getResponseHeaders().set("Allow", "POST");
            text(exchange, 405, "Expecting a 'POST' request, received '" + exchange.getRequestMethod() + "'");
            return;
        }
        if (!node.isLeader())
        {
            redirect(exchange, node, "/api/v1/scheduler");
            return;
        }
        final String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (!PROTOBUF.equals(contentType) && !JSON.equals(contentType))
        {
            text(exchange, 415, "Expecting 'Content-Type' of " + JSON + " or " + PROTOBUF + " (exactly), got " +
                (contentType == null ? "none" : "'" + contentType + "'"));
            return;
        }
        final byte[] body = body(exchange);
        if (body == null)
        {
            return;
        }
        final Call call;
        try
        {
            final Call.Builder builder = Call.newBuilder();
            if (PROTOBUF.equals(contentType))
            {
                builder.mergeFrom(body);
            }
            else
            {
                MesosJson.parse(new String(body, StandardCharsets.UTF_8), builder);
            }
            if (!builder.isInitialized())
            {
                text(exchange, 400, "Failed to validate scheduler::Call: required fields missing: " +
                    builder.findInitializationErrors());
                return;
            }
            call = builder.build();
        }
        catch (final InvalidProtocolBufferException | IllegalArgumentException ex)
        {
            text(exchange, 400, "Failed to parse body into Call: " + ex.getMessage());
            return;
        }
        if (call.getType() == Call.Type.UNKNOWN)
        {
            text(exchange, 400, "Failed to validate scheduler::Call: Expecting 'type' to be present");
            return;
        }
        if (call.getType() == Call.Type.SUBSCRIBE)
        {
            subscribe(exchange, call);
            return;
        }
        call(exchange, call);
    }

    /** 307 to the leader, as a Mesos master that is not leading; 503 while there is none. */
    static void redirect(final HttpExchange exchange, final MasterNode node, final String path) throws IOException
    {
        final String leader = node.isLeader() ? node.address() : node.leaderAddress();
        if (leader == null || leader.isEmpty())
        {
            text(exchange, 503, "No leader elected: an election is under way, or no quorum is reachable; retry");
            return;
        }
        exchange.getResponseHeaders().set("Location", "//" + Protocol.host(leader) + ":" +
            (Protocol.port(leader) + Protocol.HTTP_PORT_OFFSET) + path);
        exchange.sendResponseHeaders(307, -1);
        exchange.close();
    }

    private String principal(final HttpExchange exchange) throws IOException
    {
        final MasterConfig config = node.config();
        if (config.credentials() == null)
        {
            return "";
        }
        final String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (!config.authenticateHttpFrameworks() && header == null)
        {
            return config.httpFrameworkPrincipal();
        }
        final io.corral.codec.HttpAuth.Caller caller = io.corral.codec.HttpAuth.check(config.credentials(), header,
            System.currentTimeMillis() / 1000);
        if (caller.known())
        {
            return caller.principal();
        }
        exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"mesos\"");
        text(exchange, 401, caller.problem());
        return null;
    }

    private void subscribe(final HttpExchange exchange, final Call call) throws IOException
    {
        if (exchange.getRequestHeaders().containsKey(STREAM_ID))
        {
            text(exchange, 400, "Subscribe calls should not include the '" + STREAM_ID + "' header");
            return;
        }
        final String accept = exchange.getRequestHeaders().getFirst("Accept");
        final boolean protobuf;
        if (accept == null || accept.contains(JSON) || accept.contains("*/*"))
        {
            protobuf = accept != null && accept.contains(PROTOBUF) && !accept.contains(JSON);
        }
        else if (accept.contains(PROTOBUF))
        {
            protobuf = true;
        }
        else
        {
            text(exchange, 406, "Expecting 'Accept' to allow " + JSON + " or " + PROTOBUF + ", got '" + accept + "'");
            return;
        }
        final String principal = principal(exchange);
        if (principal == null)
        {
            return;
        }
        final Protos.FrameworkInfo mesos = call.getSubscribe().getFrameworkInfo();
        if (node.config().authenticateHttpFrameworks() && mesos.hasPrincipal() && !mesos.getPrincipal().equals(principal))
        {
            text(exchange, 403, "Authenticated principal '" + principal + "' does not match principal '" +
                mesos.getPrincipal() + "' set in FrameworkInfo");
            return;
        }
        final boolean multiRole = mesos.getCapabilitiesList().stream()
            .anyMatch(c -> c.getType() == Protos.FrameworkInfo.Capability.Type.MULTI_ROLE);
        final FrameworkInfo info;
        try
        {
            if (multiRole && mesos.hasRole())
            {
                throw new IllegalArgumentException("'FrameworkInfo.role' must not be set with the MULTI_ROLE " +
                    "capability: list the roles in 'FrameworkInfo.roles'");
            }
            if (!multiRole && mesos.getRolesCount() > 0)
            {
                throw new IllegalArgumentException("'FrameworkInfo.roles' needs the MULTI_ROLE capability: add it, " +
                    "or give one 'FrameworkInfo.role'");
            }
            final List<String> roles = new ArrayList<>();
            for (final String r : multiRole ? mesos.getRolesList() : List.of(mesos.getRole()))
            {
                roles.add(MesosMapping.corralRole(r));
            }
            if (roles.isEmpty())
            {
                throw new IllegalArgumentException("a MULTI_ROLE framework needs at least one role in 'roles'");
            }
            long id = 0;
            if (mesos.hasId())
            {
                id = MesosMapping.corralId(mesos.getId().getValue(), "framework id");
            }
            if (call.hasFrameworkId() && id != 0 && id != MesosMapping.corralId(call.getFrameworkId().getValue(),
                "framework id"))
            {
                throw new IllegalArgumentException("'framework_id' and 'subscribe.framework_info.id' differ");
            }
            if (id != 0 && !node.knowsFramework(id))
            {
                throw new IllegalArgumentException("framework " + id + " is not known to this cluster (it was torn " +
                    "down, its failover timeout passed, or Corral never gave it out): subscribe without an id to " +
                    "get a new one");
            }
            info = new FrameworkInfo(mesos.getName(), String.join(",", roles), id,
                Math.max(0, Math.round(mesos.getFailoverTimeout() * 1000)), principal.isEmpty() ?
                    mesos.getPrincipal() : principal);
        }
        catch (final IllegalArgumentException ex)
        {
            text(exchange, 400, "Failed to validate scheduler::Call: " + ex.getMessage());
            return;
        }
        final SchedulerStream stream = new SchedulerStream(protobuf, multiRole, principal, HEARTBEAT_SECONDS,
            agent -> agentHttp(agent), ended -> streams.remove(ended.frameworkId, ended), node::isLeader);
        if (info.frameworkId() != 0)
        {
            // A framework subscribing again (failover): its old stream ends, as in Mesos.
            final SchedulerStream old = streams.remove(info.frameworkId());
            if (old != null)
            {
                old.error(old.driver(), "Framework failed over: a new SUBSCRIBE took its place");
                old.end("the framework subscribed again on another stream");
            }
        }
        final CorralSchedulerDriver driver = new CorralSchedulerDriver(stream, info, masters());
        if (node.config().credentials() == null)
        {
            driver.withoutCredential();
        }
        else
        {
            driver.credential(new io.corral.codec.Credentials.Credential(principal,
                node.config().credentials().secretOf(principal)));
        }
        stream.start(driver);
        final String refused;
        try
        {
            refused = stream.subscribed.get(SUBSCRIBE_WAIT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException ex)
        {
            driver.close();
            text(exchange, 503, "The master did not take the subscription within " + SUBSCRIBE_WAIT_SECONDS +
                " s (a leader election?): retry");
            return;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            driver.close();
            text(exchange, 503, "the master is stopping");
            return;
        }
        if (refused != null)
        {
            driver.close();
            text(exchange, refused.startsWith("NOT_PERMITTED") || refused.startsWith("NOT_AUTHENTICATED") ? 403 : 400,
                "Subscription refused: " + refused);
            return;
        }
        if (closed)
        {
            driver.close();
            text(exchange, 503, "the master is stopping");
            return;
        }
        final SchedulerStream replaced = streams.put(stream.frameworkId, stream);
        if (replaced != null && replaced != stream)
        {
            replaced.end("the framework subscribed again on another stream");
        }
        exchange.getResponseHeaders().set("Content-Type", protobuf ? PROTOBUF : JSON);
        exchange.getResponseHeaders().set(STREAM_ID, stream.streamId);
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        LOG.info("Mesos framework {} '{}' subscribed as '{}' in {} ({}), stream {}", stream.frameworkId,
            info.name(), principal, info.role(), protobuf ? "protobuf" : "json", stream.streamId);
        final OutputStream out = exchange.getResponseBody();
        final Protos.MasterInfo masterInfo = MesosOperatorApi.masterInfo(node);
        // The stream's own thread writes it: a handler thread of the bounded pool is not held for its life.
        final Thread writer = new Thread(() ->
        {
            try
            {
                stream.write(out, masterInfo);
            }
            finally
            {
                exchange.close();
            }
        }, "mesos-stream-" + stream.frameworkId);
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * An agent's HTTP endpoint, for an offer's {@code url}. From an immutable copy of the agents'
     * endpoints, made again from a MasterView at most every 2 s when an agent is missing and every
     * 30 s anyway: a MasterView copies the whole state on the duty thread, too much per offer.
     */
    private String agentHttp(final long agentId)
    {
        final long nowNs = System.nanoTime();
        final AgentUrls known = agentUrls;
        final String url = known.byAgent.get(agentId);
        if ((url == null && nowNs - known.madeAtNs > TimeUnit.SECONDS.toNanos(2)) ||
            nowNs - known.madeAtNs > TimeUnit.SECONDS.toNanos(30))
        {
            final java.util.Map<Long, String> byAgent = new java.util.HashMap<>();
            for (final io.corral.master.MasterState.Agent a : node.state().agents())
            {
                byAgent.put(a.id(), a.httpEndpoint());
            }
            final AgentUrls made = new AgentUrls(java.util.Map.copyOf(byAgent), nowNs);
            agentUrls = made;
            return made.byAgent.get(agentId);
        }
        return url;
    }

    /** The agents' HTTP endpoints as of {@code madeAtNs} (immutable, shared by the streams' threads). */
    private record AgentUrls(java.util.Map<Long, String> byAgent, long madeAtNs)
    {
    }

    private String masters()
    {
        return String.join(",", node.config().peers().values());
    }

    private void call(final HttpExchange exchange, final Call call) throws IOException
    {
        if (!call.hasFrameworkId())
        {
            text(exchange, 400, "Failed to validate scheduler::Call: Expecting 'framework_id' to be present");
            return;
        }
        final long frameworkId;
        try
        {
            frameworkId = MesosMapping.corralId(call.getFrameworkId().getValue(), "framework id");
        }
        catch (final IllegalArgumentException ex)
        {
            text(exchange, 400, ex.getMessage());
            return;
        }
        final SchedulerStream stream = streams.get(frameworkId);
        if (stream == null || stream.ended())
        {
            if (!node.knowsFramework(frameworkId))
            {
                text(exchange, 400, "Framework cannot be found: " + frameworkId);
            }
            else
            {
                text(exchange, 403, "Framework is not subscribed: SUBSCRIBE first (with this framework id)");
            }
            return;
        }
        final String principal = principal(exchange);
        if (principal == null)
        {
            return;
        }
        if (node.config().authenticateHttpFrameworks() && !principal.equals(stream.principal))
        {
            text(exchange, 403, "Authenticated principal '" + principal + "' does not match principal '" +
                stream.principal + "' of framework " + frameworkId);
            return;
        }
        final String streamId = exchange.getRequestHeaders().getFirst(STREAM_ID);
        if (streamId == null)
        {
            text(exchange, 400, "All non-subscribe calls should include the '" + STREAM_ID + "' header");
            return;
        }
        if (!streamId.equals(stream.streamId))
        {
            text(exchange, 400, "The stream ID '" + streamId + "' included in this request didn't match the stream ID " +
                "currently associated with framework ID " + frameworkId);
            return;
        }
        final String problem;
        try
        {
            problem = MesosCalls.dispatch(stream, call);
        }
        catch (final IllegalArgumentException ex)
        {
            text(exchange, 400, "Failed to validate scheduler::Call: " + ex.getMessage());
            return;
        }
        if (problem != null)
        {
            text(exchange, 400, problem);
            return;
        }
        exchange.sendResponseHeaders(202, -1);
        exchange.close();
    }

    private static byte[] body(final HttpExchange exchange) throws IOException
    {
        try (InputStream in = exchange.getRequestBody())
        {
            final byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES)
            {
                text(exchange, 413, "the call is over " + (MAX_BODY_BYTES >> 20) + " MiB: send fewer tasks per ACCEPT");
                return null;
            }
            return bytes;
        }
    }

    static void text(final HttpExchange exchange, final int code, final String message) throws IOException
    {
        HttpServers.send(exchange, code, "text/plain; charset=utf-8", message.getBytes(StandardCharsets.UTF_8));
    }

    /** Ends every stream (the master stops): clients see their stream close and subscribe elsewhere. */
    @Override
    public void close()
    {
        closed = true;
        for (final SchedulerStream s : streams.values())
        {
            s.end("the master is stopping");
        }
    }
}
