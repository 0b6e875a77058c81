package io.corral.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.corral.codec.Credentials;
import io.corral.codec.Protocol;
import io.corral.master.MasterNode;
import io.corral.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mesos's v1 API in its JSON encoding, with plain HTTP requests as curl or a hand-written
 * framework sends them, read as Mesos's JSON reads: snake_case field names, enum names as
 * strings, base64 bytes, RecordIO framing. Also the refusals a Mesos master gives (wrong content
 * type, missing or wrong stream id, unknown framework, followers redirecting), the operator
 * endpoints Mesos tooling reads, and HTTP Basic authentication with role ACLs.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MesosJsonApiTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(45);
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<AutoCloseable> closing = new ArrayList<>();

    private void start(final java.util.function.Consumer<io.corral.master.MasterConfig> tune) throws Exception
    {
        cluster = LocalCluster.secured(dir.toFile(), 3, 1, LocalCluster.freeBasePort(3), 2, 1024, tune, "");
        cluster.awaitReady(60, TimeUnit.SECONDS);
        Await.until("the agent registers", WAIT, () -> cluster.leader() != null &&
            cluster.leader().state().agents().size() == 1);
    }

    @AfterEach
    void stop() throws Exception
    {
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            closing.get(i).close();
        }
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private static URI http(final MasterNode m, final String path)
    {
        return URI.create("http://" + Protocol.host(m.address()) + ":" + (Protocol.port(m.address()) +
            Protocol.HTTP_PORT_OFFSET) + path);
    }

    private MasterNode follower()
    {
        final MasterNode leader = cluster.leader();
        return cluster.masters().stream().filter(m -> m != leader).findFirst().orElseThrow();
    }

    private static HttpResponse<String> post(final URI uri, final String contentType, final String body,
        final String... headers) throws Exception
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", contentType);
        for (int i = 0; i < headers.length; i += 2)
        {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode get(final URI uri) throws Exception
    {
        final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), uri + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static String subscribeJson(final String role, final String principal)
    {
        return """
            {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "nobody", "name": "curl-framework",
             "role": "%s", "failover_timeout": 60%s}}}""".formatted(role,
            principal == null ? "" : ", \"principal\": \"" + principal + "\"");
    }

    /** An open SUBSCRIBE stream: its records, decoded from RecordIO as JSON, on a queue. */
    private final class Stream implements AutoCloseable
    {
        final HttpResponse<InputStream> response;
        final String streamId;
        final BlockingQueue<JsonNode> records = new LinkedBlockingQueue<>();
        final Thread reader;
        volatile boolean ended;

        Stream(final HttpResponse<InputStream> response)
        {
            this.response = response;
            this.streamId = response.headers().firstValue("Mesos-Stream-Id").orElse(null);
            reader = new Thread(this::read, "recordio-reader");
            reader.setDaemon(true);
            reader.start();
            closing.add(this);
        }

        private void read()
        {
            try (InputStream in = response.body())
            {
                while (true)
                {
                    final StringBuilder length = new StringBuilder();
                    int c;
                    while ((c = in.read()) != '\n')
                    {
                        if (c < 0)
                        {
                            return;
                        }
                        assertTrue(c >= '0' && c <= '9', "RecordIO length digit, got " + (char)c);
                        length.append((char)c);
                    }
                    final byte[] record = in.readNBytes(Integer.parseInt(length.toString()));
                    records.add(JSON.readTree(new String(record, StandardCharsets.UTF_8)));
                }
            }
            catch (final IOException ex)
            {
                // The stream was closed.
            }
            finally
            {
                ended = true;
            }
        }

        JsonNode next(final String what, final Predicate<JsonNode> matches) throws InterruptedException
        {
            final long deadline = System.nanoTime() + WAIT.toNanos();
            final List<String> skipped = new ArrayList<>();
            while (true)
            {
                final JsonNode r = records.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (r == null)
                {
                    throw new AssertionError("no " + what + " within " + WAIT.toSeconds() + " s; skipped " + skipped);
                }
                if (matches.test(r))
                {
                    return r;
                }
                skipped.add(r.path("type").asText());
            }
        }

        @Override
        public void close() throws IOException
        {
            response.body().close();
        }
    }

    private Stream subscribe(final URI uri, final String body, final String... headers) throws Exception
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2)
        {
            b.header(headers[i], headers[i + 1]);
        }
        final HttpResponse<InputStream> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200)
        {
            final String reason = new String(r.body().readAllBytes(), StandardCharsets.UTF_8);
            throw new AssertionError("SUBSCRIBE answered " + r.statusCode() + ": " + reason);
        }
        return new Stream(r);
    }

    private static String basic(final Credentials.Credential c)
    {
        return "Basic " + Base64.getEncoder().encodeToString((c.principal() + ":" +
            new String(c.secret(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void curlSpeaksMesosJsonToTheSchedulerAndOperatorEndpoints() throws Exception
    {
        start(c -> { });
        final MasterNode leader = cluster.leader();
        final URI scheduler = http(leader, "/api/v1/scheduler");

        // A follower redirects, as a Mesos master that is not leading: to the leader's HTTP port.
        final String leaderHttp = "//" + Protocol.host(leader.address()) + ":" +
            (Protocol.port(leader.address()) + Protocol.HTTP_PORT_OFFSET);
        final HttpResponse<String> moved = post(http(follower(), "/api/v1/scheduler"), "application/json",
            subscribeJson("*", null));
        assertEquals(307, moved.statusCode(), moved.body());
        assertEquals(leaderHttp + "/api/v1/scheduler", moved.headers().firstValue("Location").orElse(null));
        final HttpResponse<String> probe = HTTP.send(HttpRequest.newBuilder(http(follower(), "/redirect")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(307, probe.statusCode());
        assertTrue(probe.headers().firstValue("Location").orElse("").startsWith(leaderHttp), probe.headers().map()
            .toString());

        // Content-Type must be exact; a body that is not a Call is refused with the parser's reason.
        final HttpResponse<String> charset = post(scheduler, "application/json; charset=utf-8",
            subscribeJson("*", null));
        assertEquals(415, charset.statusCode(), charset.body());
        final HttpResponse<String> garbage = post(scheduler, "application/json", "{\"type\": \"SUBSCRIBE\", \"nope\"");
        assertEquals(400, garbage.statusCode(), garbage.body());
        assertTrue(garbage.body().startsWith("Failed to parse body into Call"), garbage.body());
        final HttpResponse<String> unknownId = post(scheduler, "application/json", subscribeJson("*", null)
            .replace("\"user\"", "\"id\": {\"value\": \"12345\"}, \"user\""));
        assertEquals(400, unknownId.statusCode(), unknownId.body());
        assertTrue(unknownId.body().contains("framework 12345 is not known"), unknownId.body());
        final HttpResponse<String> badEnum = post(scheduler, "application/json", "{\"type\": \"SUBSCRIBE_PLEASE\"}");
        assertEquals(400, badEnum.statusCode(), badEnum.body());

        // SUBSCRIBE without Accept: JSON events, RecordIO-framed, the first one SUBSCRIBED.
        final Stream s = subscribe(scheduler, subscribeJson("*", null));
        assertEquals("application/json", s.response.headers().firstValue("Content-Type").orElse(null));
        assertNotNull(s.streamId, "Mesos-Stream-Id");
        final JsonNode subscribed = s.next("SUBSCRIBED", r -> true);
        assertEquals("SUBSCRIBED", subscribed.path("type").asText(), subscribed.toString());
        final String frameworkId = subscribed.path("subscribed").path("framework_id").path("value").asText();
        assertFalse(frameworkId.isEmpty(), subscribed.toString());
        assertEquals(15.0, subscribed.path("subscribed").path("heartbeat_interval_seconds").asDouble());
        assertTrue(subscribed.path("subscribed").path("master_info").path("port").isNumber(), subscribed.toString());
        assertTrue(subscribed.path("subscribed").path("master_info").path("ip").canConvertToLong(),
            "uint32 ip as a number: " + subscribed);

        final JsonNode offers = s.next("OFFERS", r -> r.path("type").asText().equals("OFFERS"));
        final JsonNode offer = offers.path("offers").path("offers").get(0);
        assertEquals(frameworkId, offer.path("framework_id").path("value").asText());
        final String agentId = offer.path("agent_id").path("value").asText();
        assertEquals(Long.toString(cluster.agents().get(0).agentId()), agentId);
        assertEquals("agent-1", offer.path("hostname").asText());
        JsonNode cpus = null;
        for (final JsonNode r : offer.path("resources"))
        {
            if (r.path("name").asText().equals("cpus"))
            {
                cpus = r;
            }
        }
        assertNotNull(cpus, offer.toString());
        assertEquals("SCALAR", cpus.path("type").asText());
        assertEquals(2.0, cpus.path("scalar").path("value").asDouble());
        assertEquals("*", cpus.path("role").asText());

        // Calls must name the framework's stream.
        final String decline = """
            {"framework_id": {"value": "%s"}, "type": "DECLINE",
             "decline": {"offer_ids": [{"value": "%s"}], "filters": {"refuse_seconds": 1}}}"""
            .formatted(frameworkId, offer.path("id").path("value").asText());
        final HttpResponse<String> noStream = post(scheduler, "application/json", decline);
        assertEquals(400, noStream.statusCode(), noStream.body());
        assertTrue(noStream.body().contains("Mesos-Stream-Id"), noStream.body());
        final HttpResponse<String> wrongStream = post(scheduler, "application/json", decline,
            "Mesos-Stream-Id", "not-this-stream");
        assertEquals(400, wrongStream.statusCode(), wrongStream.body());
        assertTrue(wrongStream.body().contains("didn't match"), wrongStream.body());
        final HttpResponse<String> unknown = post(scheduler, "application/json",
            decline.replace(frameworkId, "999999999"), "Mesos-Stream-Id", s.streamId);
        assertEquals(400, unknown.statusCode(), unknown.body());
        assertTrue(unknown.body().contains("Framework cannot be found"), unknown.body());
        final HttpResponse<String> noFramework = post(scheduler, "application/json", "{\"type\": \"REVIVE\"}",
            "Mesos-Stream-Id", s.streamId);
        assertEquals(400, noFramework.statusCode(), noFramework.body());
        assertEquals(202, post(scheduler, "application/json", decline, "Mesos-Stream-Id", s.streamId).statusCode());

        // ACCEPT with a LAUNCH in JSON; the updates come as JSON with base64 uuids, acknowledged in JSON.
        final JsonNode again = s.next("OFFERS after the decline", r -> r.path("type").asText().equals("OFFERS"))
            .path("offers").path("offers").get(0);
        final String accept = """
            {"framework_id": {"value": "%s"}, "type": "ACCEPT", "accept": {"offer_ids": [{"value": "%s"}],
             "operations": [{"type": "LAUNCH", "launch": {"task_infos": [{"name": "hello",
               "task_id": {"value": "hello"}, "agent_id": {"value": "%s"},
               "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}, "role": "*"},
                             {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}, "role": "*"}],
               "command": {"shell": true, "value": "echo hello from json",
                           "environment": {"variables": [{"name": "GREETING", "value": "hi"}]}}}]}}]}}"""
            .formatted(frameworkId, again.path("id").path("value").asText(), agentId);
        final HttpResponse<String> accepted = post(scheduler, "application/json", accept, "Mesos-Stream-Id", s.streamId);
        assertEquals(202, accepted.statusCode(), accepted.body());
        final List<String> states = new ArrayList<>();
        while (!states.contains("TASK_FINISHED"))
        {
            final JsonNode update = s.next("an UPDATE of hello", r -> r.path("type").asText().equals("UPDATE"));
            final JsonNode status = update.path("update").path("status");
            assertEquals("hello", status.path("task_id").path("value").asText(), update.toString());
            assertEquals(agentId, status.path("agent_id").path("value").asText(), update.toString());
            assertTrue(status.path("timestamp").isNumber(), update.toString());
            final String uuid = status.path("uuid").asText();
            assertEquals(16, Base64.getDecoder().decode(uuid).length, "a base64 uuid: " + update);
            if (status.path("state").asText().equals("TASK_FINISHED"))
            {
                // Not acknowledged, the task's last update comes again (the agent resends it), with its uuid.
                // (An earlier one is not delivered again once a later one was: that would take the task
                // backwards; the agent sends each update without waiting for the one before.)
                final JsonNode resent = s.next("the unacknowledged update again", r -> r.path("type").asText()
                    .equals("UPDATE") && r.path("update").path("status").path("uuid").asText().equals(uuid));
                assertEquals(status.path("state"), resent.path("update").path("status").path("state"));
            }
            states.add(status.path("state").asText());
            final String ack = """
                {"framework_id": {"value": "%s"}, "type": "ACKNOWLEDGE", "acknowledge": {"agent_id": {"value": "%s"},
                 "task_id": {"value": "hello"}, "uuid": "%s"}}""".formatted(frameworkId, agentId, uuid);
            assertEquals(202, post(scheduler, "application/json", ack, "Mesos-Stream-Id", s.streamId).statusCode());
        }
        assertTrue(states.contains("TASK_RUNNING"), states.toString());
        assertEquals("TASK_FINISHED", states.get(states.size() - 1), states.toString());

        // The operator endpoints show the framework and its task as Mesos's do.
        final JsonNode state = get(http(leader, "/master/state"));
        assertEquals("1.11.0", state.path("version").asText());
        assertEquals(state.path("pid").asText(), state.path("leader").asText());
        assertEquals("agent-1", state.path("slaves").get(0).path("hostname").asText());
        assertEquals(2.0, state.path("slaves").get(0).path("resources").path("cpus").asDouble(), state.toString());
        JsonNode mine = null;
        for (final JsonNode f : state.path("frameworks"))
        {
            if (f.path("id").asText().equals(frameworkId))
            {
                mine = f;
            }
        }
        assertNotNull(mine, state.toString());
        assertEquals("curl-framework", mine.path("name").asText());
        final JsonNode hello = mine.path("completed_tasks").size() > 0 ? mine.path("completed_tasks").get(0) :
            mine.path("tasks").get(0);
        assertNotNull(hello, mine.toString());
        assertEquals("hello", hello.path("id").asText(), mine.toString());
        assertEquals("TASK_FINISHED", hello.path("state").asText(), mine.toString());

        final JsonNode metrics = get(http(leader, "/metrics/snapshot"));
        assertEquals(1.0, metrics.path("master/elected").asDouble(), metrics.toString());
        assertEquals(1.0, metrics.path("master/slaves_active").asDouble(), metrics.toString());
        assertEquals(2.0, metrics.path("master/cpus_total").asDouble(), metrics.toString());
        assertEquals(0.0, get(http(follower(), "/metrics/snapshot")).path("master/elected").asDouble());
        assertEquals("1.11.0", get(http(leader, "/version")).path("version").asText());
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(http(leader, "/master/health")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode());

        final HttpResponse<String> version = post(http(leader, "/api/v1"), "application/json",
            "{\"type\": \"GET_VERSION\"}", "Accept", "application/json");
        assertEquals(200, version.statusCode(), version.body());
        final JsonNode v = JSON.readTree(version.body());
        assertEquals("GET_VERSION", v.path("type").asText());
        assertEquals("1.11.0", v.path("get_version").path("version_info").path("version").asText(), v.toString());
        final JsonNode health = JSON.readTree(post(http(leader, "/api/v1"), "application/json",
            "{\"type\": \"GET_HEALTH\"}").body());
        assertTrue(health.path("get_health").path("healthy").asBoolean(), health.toString());
        final JsonNode agents = JSON.readTree(post(http(leader, "/api/v1"), "application/json",
            "{\"type\": \"GET_AGENTS\"}").body());
        assertEquals("agent-1", agents.path("get_agents").path("agents").get(0).path("agent_info").path("hostname")
            .asText(), agents.toString());
        final JsonNode tasks = JSON.readTree(post(http(leader, "/api/v1"), "application/json",
            "{\"type\": \"GET_TASKS\"}").body());
        assertTrue(tasks.path("get_tasks").toString().contains("\"hello\""), tasks.toString());
        final HttpResponse<String> unsupported = post(http(leader, "/api/v1"), "application/json",
            "{\"type\": \"DRAIN_AGENT\"}");
        assertEquals(400, unsupported.statusCode(), unsupported.body());

        // TEARDOWN: 202, the framework is removed and the stream ends.
        assertEquals(202, post(scheduler, "application/json", """
            {"framework_id": {"value": "%s"}, "type": "TEARDOWN"}""".formatted(frameworkId),
            "Mesos-Stream-Id", s.streamId).statusCode());
        Await.until("the framework is removed", WAIT, () -> cluster.leader() != null &&
            cluster.leader().state().framework(Long.parseLong(frameworkId)) == null);
        Await.until("the stream ends", WAIT, () -> s.ended);
    }

    @Test
    void withAuthenticationOnFrameworksUseHttpBasicAndTheRoleAclApplies() throws Exception
    {
        Credentials.add(dir.resolve("credentials"), "tenant-b");
        start(c -> c.authenticateHttpFrameworks(true, null));
        final URI scheduler = http(cluster.leader(), "/api/v1/scheduler");
        final String operator = basic(cluster.credential(LocalCluster.OPERATOR_PRINCIPAL));
        final String tenant = basic(cluster.credential("tenant-b"));

        final HttpResponse<String> anonymous = post(scheduler, "application/json", subscribeJson("*", null));
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"));
        final HttpResponse<String> wrongSecret = post(scheduler, "application/json", subscribeJson("*", null),
            "Authorization", "Basic " + Base64.getEncoder().encodeToString("operator:guess".getBytes(
                StandardCharsets.UTF_8)));
        assertEquals(401, wrongSecret.statusCode(), wrongSecret.body());
        assertTrue(wrongSecret.body().contains("operator"), wrongSecret.body());
        final HttpResponse<String> impersonating = post(scheduler, "application/json",
            subscribeJson("*", "operator"), "Authorization", tenant);
        assertEquals(403, impersonating.statusCode(), impersonating.body());

        // tenant-b may subscribe in 'default' (Mesos's '*') only.
        final HttpResponse<String> set = HTTP.send(HttpRequest.newBuilder(http(cluster.leader(), "/api/v1/acls"))
            .POST(HttpRequest.BodyPublishers.ofString("""
                {"rules": "register-agents agents\\nsubscribe operator *\\nsubscribe tenant-b default\\nset-acls operator\\n"}
                """)).header("Authorization", operator).header("Content-Type", "application/json").build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, set.statusCode(), set.body());
        final HttpResponse<String> prod = post(scheduler, "application/json", subscribeJson("prod", null),
            "Authorization", tenant);
        assertEquals(403, prod.statusCode(), prod.body());
        assertTrue(prod.body().contains("prod"), prod.body());

        final Stream s = subscribe(scheduler, subscribeJson("*", "tenant-b"), "Authorization", tenant);
        final JsonNode subscribed = s.next("SUBSCRIBED", r -> r.path("type").asText().equals("SUBSCRIBED"));
        final String frameworkId = subscribed.path("subscribed").path("framework_id").path("value").asText();
        assertEquals("tenant-b", cluster.leader().state().framework(Long.parseLong(frameworkId)).principal());
        // Its calls must authenticate as the same principal.
        final String revive = "{\"framework_id\": {\"value\": \"" + frameworkId + "\"}, \"type\": \"REVIVE\"}";
        assertEquals(401, post(scheduler, "application/json", revive, "Mesos-Stream-Id", s.streamId).statusCode());
        assertEquals(403, post(scheduler, "application/json", revive, "Mesos-Stream-Id", s.streamId,
            "Authorization", operator).statusCode());
        assertEquals(202, post(scheduler, "application/json", revive, "Mesos-Stream-Id", s.streamId,
            "Authorization", tenant).statusCode());
    }

    @Test
    void aMultiRoleFrameworkIsOfferedInEachOfItsRolesWithAllocationInfo() throws Exception
    {
        start(c -> { });
        final URI scheduler = http(cluster.leader(), "/api/v1/scheduler");
        final String multi = """
            {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "nobody", "name": "multi",
             "roles": ["*", "analytics"], "capabilities": [{"type": "MULTI_ROLE"}]}}}""";
        // The deprecated single role beside MULTI_ROLE is refused, as Mesos refuses it.
        final HttpResponse<String> both = post(scheduler, "application/json", multi.replace("\"roles\"",
            "\"role\": \"*\", \"roles\""));
        assertEquals(400, both.statusCode(), both.body());
        assertTrue(both.body().contains("MULTI_ROLE"), both.body());

        final Stream s = subscribe(scheduler, multi);
        final String frameworkId = s.next("SUBSCRIBED", r -> r.path("type").asText().equals("SUBSCRIBED"))
            .path("subscribed").path("framework_id").path("value").asText();
        final JsonNode offer = s.next("OFFERS", r -> r.path("type").asText().equals("OFFERS"))
            .path("offers").path("offers").get(0);
        final String role = offer.path("allocation_info").path("role").asText();
        assertTrue(role.equals("*") || role.equals("analytics"), offer.toString());
        for (final JsonNode r : offer.path("resources"))
        {
            assertEquals(role, r.path("allocation_info").path("role").asText(), offer.toString());
        }
        // A task on it, its resources carrying the offer's allocation_info as a MULTI_ROLE framework sends them.
        final String accept = """
            {"framework_id": {"value": "%s"}, "type": "ACCEPT", "accept": {"offer_ids": [{"value": "%s"}],
             "operations": [{"type": "LAUNCH", "launch": {"task_infos": [{"name": "m", "task_id": {"value": "m"},
               "agent_id": {"value": "%s"},
               "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1},
                              "allocation_info": {"role": "%s"}}],
               "command": {"value": "sleep 600"}}]}}]}}"""
            .formatted(frameworkId, offer.path("id").path("value").asText(),
                offer.path("agent_id").path("value").asText(), role);
        assertEquals(202, post(scheduler, "application/json", accept, "Mesos-Stream-Id", s.streamId).statusCode());
        // Updates are acknowledged as they come (the next one waits for it), until m runs.
        String state = "";
        while (!state.equals("TASK_RUNNING"))
        {
            final JsonNode status = s.next("an UPDATE of m", r -> r.path("type").asText().equals("UPDATE"))
                .path("update").path("status");
            state = status.path("state").asText();
            assertTrue(state.equals("TASK_STARTING") || state.equals("TASK_RUNNING"), status.toString());
            assertEquals(202, post(scheduler, "application/json", """
                {"framework_id": {"value": "%s"}, "type": "ACKNOWLEDGE", "acknowledge": {"agent_id": %s,
                 "task_id": {"value": "m"}, "uuid": "%s"}}""".formatted(frameworkId, status.path("agent_id"),
                status.path("uuid").asText()), "Mesos-Stream-Id", s.streamId).statusCode());
        }
        final String corralRole = role.equals("*") ? "default" : role;
        Await.until("the task runs in the offer's role", WAIT, () -> cluster.leader() != null &&
            cluster.leader().state().tasks().stream().anyMatch(t -> t.taskId().equals("m") &&
                t.role().equals(corralRole)));

        // The framework's process restarts: its stream is dropped and it subscribes again with its
        // id (within its failover timeout); the new stream takes over and its task still runs.
        s.close();
        final Stream again = subscribe(scheduler, multi.replace("\"user\"", "\"id\": {\"value\": \"" +
            frameworkId + "\"}, \"failover_timeout\": 300, \"user\"").replace("{\"type\": \"SUBSCRIBE\",",
            "{\"type\": \"SUBSCRIBE\", \"framework_id\": {\"value\": \"" + frameworkId + "\"},"));
        assertEquals(frameworkId, again.next("SUBSCRIBED again", r -> r.path("type").asText().equals("SUBSCRIBED"))
            .path("subscribed").path("framework_id").path("value").asText());
        assertEquals(202, post(scheduler, "application/json", "{\"framework_id\": {\"value\": \"" + frameworkId +
            "\"}, \"type\": \"RECONCILE\", \"reconcile\": {}}", "Mesos-Stream-Id", again.streamId).statusCode());
        final JsonNode reconciled = again.next("m reconciled", r -> r.path("type").asText().equals("UPDATE") &&
            r.path("update").path("status").path("task_id").path("value").asText().equals("m"))
            .path("update").path("status");
        assertEquals("TASK_RUNNING", reconciled.path("state").asText(), reconciled.toString());
        assertEquals("REASON_RECONCILIATION", reconciled.path("reason").asText(), reconciled.toString());
        final HttpResponse<String> oldStream = post(scheduler, "application/json", "{\"framework_id\": {\"value\": \"" +
            frameworkId + "\"}, \"type\": \"REVIVE\"}", "Mesos-Stream-Id", s.streamId);
        assertEquals(400, oldStream.statusCode(), "the old stream's id is no longer the framework's: " +
            oldStream.body());
    }

    @Test
    void aClosedStreamIsADisconnectionAndTheFailoverTimeoutRemovesTheFramework() throws Exception
    {
        start(c -> { });
        final URI scheduler = http(cluster.leader(), "/api/v1/scheduler");
        final Stream s = subscribe(scheduler, subscribeJson("*", null).replace("\"failover_timeout\": 60",
            "\"failover_timeout\": 1"));
        final long frameworkId = Long.parseLong(s.next("SUBSCRIBED", r -> r.path("type").asText()
            .equals("SUBSCRIBED")).path("subscribed").path("framework_id").path("value").asText());
        assertNotNull(cluster.leader().state().framework(frameworkId));
        // The client goes away. The master notices when a write fails (the JDK's server does not
        // report a closed connection), within two heartbeats, then the 1 s failover timeout runs.
        s.close();
        Await.until("the framework is removed after its stream closed", Duration.ofSeconds(90), () ->
            cluster.leader() != null && cluster.leader().state().framework(frameworkId) == null);
    }
}
