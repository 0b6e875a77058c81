package io.corral.cli;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.corral.agent.AgentConfig;
import io.corral.agent.AgentNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import io.corral.codec.Credentials;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.SchedulerInbound;
import io.corral.codec.Seal;
import io.corral.codec.sbe.AcceptEncoder;
import io.corral.codec.sbe.AgentLostDecoder;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.OfferDecoder;
import io.corral.codec.sbe.OfferRescindedDecoder;
import io.corral.codec.sbe.SubscribedDecoder;
import io.corral.codec.sbe.TaskStatusDecoder;
import io.corral.master.MasterNode;
import io.corral.testkit.Await;
import io.corral.testkit.RecordingScheduler;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real quorum with credentials (LocalCluster.secured): strangers are refused and never offered,
 * a captured sealed Accept sent again does nothing, and a principal cannot act for another's
 * framework. The hostile side is a raw client built from the codec's own parts (Seal, Outbound),
 * so it can send what the driver never would.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AuthenticationTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(45);

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<AutoCloseable> closing = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws Exception
    {
        // A second tenant in the cluster's credentials file, besides the agents and the operator.
        Credentials.add(dir.resolve("credentials"), "tenant-b");
        cluster = LocalCluster.secured(dir.toFile(), 3, 1, LocalCluster.freeBasePort(3), 2, 1024, c -> { }, "");
        cluster.awaitReady(60, TimeUnit.SECONDS);
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

    @Test
    void anAgentWithAWrongSecretOrAFrameworkWithoutOneIsRefusedAndNeverOffered() throws Exception
    {
        final AgentNode impostor = agent("impostor", new Credentials.Credential("agents",
            "not-the-secret-of-agents-at-all".getBytes(StandardCharsets.UTF_8)));
        final AgentNode stranger = agent("stranger", new Credentials.Credential("nobody",
            "a-principal-the-masters-never-heard-of".getBytes(StandardCharsets.UTF_8)));
        for (final AgentNode a : List.of(impostor, stranger))
        {
            Await.until("the master refuses " + a.endpoint(), WAIT, () -> a.lastRefusal() != null);
            assertTrue(a.lastRefusal().contains("authentication failed for principal"), a.lastRefusal());
            assertEquals(0, a.agentId(), "never registered");
        }

        // A framework with no credential is told what it lacks, and gets no id.
        final RecordingScheduler unauthenticated = new RecordingScheduler();
        final CorralSchedulerDriver bare = new CorralSchedulerDriver(unauthenticated, new FrameworkInfo("bare", "default"),
            cluster.mastersSpec());
        closing.add(bare);
        bare.start();
        final String error = unauthenticated.errors.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(error, "the framework without a credential hears why it is refused");
        assertTrue(error.contains("NOT_AUTHENTICATED") && error.contains("requires authentication"), error);
        assertEquals(0, unauthenticated.frameworkId);

        // The operator's framework is offered the one real agent only.
        final RecordingScheduler operator = new RecordingScheduler();
        final CorralSchedulerDriver driver = started(operator, "ops", "default", LocalCluster.OPERATOR_PRINCIPAL);
        final Offer offer = operator.offers.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(offer, "the authenticated framework gets offers");
        assertEquals(cluster.agents().get(0).agentId(), offer.agentId());
        final JsonNode state = state(cluster.leader());
        assertEquals(1, state.path("agents").size(), state.path("agents").toString());
        assertEquals(false, state.path("master").path("insecure").asBoolean(true));
        // (every master answers Hellos, so a refusal is counted by whichever master the client asked)
        double badCredential = 0;
        double unsealed = 0;
        for (final MasterNode m : cluster.masters())
        {
            badCredential += MasterProbe.metric(m, "corral_auth_refused_total{reason=\"bad_credential\"}");
            unsealed += MasterProbe.metric(m, "corral_auth_refused_total{reason=\"unsealed\"}");
        }
        assertTrue(badCredential >= 2, "bad credentials counted: " + badCredential);
        assertTrue(unsealed >= 1, "unsealed counted: " + unsealed);
    }

    @Test
    void aReplayedAcceptDoesNothingAndAPrincipalCannotKillAnothersTask() throws Exception
    {
        // Tenant A (the operator) runs a long task.
        final RecordingScheduler a = new RecordingScheduler();
        final CorralSchedulerDriver driverA = runningTask(a, "tenant-a", "a-task");
        driverA.suppressOffers(List.of());
        for (Offer o; (o = a.offers.poll()) != null; )
        {
            driverA.declineOffer(o.offerId(), 300);
        }

        // Tenant B speaks through a raw client.
        final RawFramework b = new RawFramework(cluster.credential("tenant-b"), cluster.leader().address());
        closing.add(b);
        b.subscribe();

        // B names A's framework: refused with the reason, and A's task keeps running.
        b.kill(a.frameworkId, "a-task");
        final String refused = b.nextError();
        assertTrue(refused.startsWith("NOT_PERMITTED") && refused.contains("belongs to another client"), refused);

        // B accepts an offer once, then sends the very same sealed bytes again.
        final long offerId = b.nextOffer();
        final double replayedBefore = MasterProbe.metric(cluster.leader(), "corral_auth_refused_total{reason=\"replayed\"}");
        final byte[] captured = b.sealedAccept(offerId, "b-task", "true");
        b.sendRaw(captured);
        b.sendRaw(captured);
        // A barrier: the next error B hears comes after the master read both copies (one stream, in order).
        b.kill(a.frameworkId, "a-task");
        final String next = b.nextError();
        assertTrue(next.startsWith("NOT_PERMITTED"), "the replayed accept got no answer of its own (such as " +
            "UNKNOWN_OFFER for its used offer): " + next);
        try
        {
            b.pollUntil("b-task finishes", () -> b.finished.contains("b-task"));
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + "; B heard " + b.errors + "; tasks " +
                state(cluster.leader()).path("tasks"), ex);
        }
        assertEquals(replayedBefore + 1, MasterProbe.metric(cluster.leader(), "corral_auth_refused_total{reason=\"replayed\"}"));
        final long bTasks = countTasks(state(cluster.leader()), "b-task");
        assertEquals(1, bTasks, "one launch from two copies of the accept");

        // Over HTTP: no token 401, another principal's token 403, a forged one 401; A's task runs on.
        final URI killA = http(cluster.leader(), "/api/v1/tasks/" + a.frameworkId + "/a-task/kill");
        final HttpResponse<String> anonymous = post(killA, null, "");
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        assertTrue(anonymous.body().contains("needs authentication"), anonymous.body());
        assertTrue(anonymous.headers().allValues("WWW-Authenticate").stream().anyMatch(v -> v.startsWith("Basic")));
        final HttpResponse<String> otherPrincipal = post(killA,
            io.corral.codec.HttpAuth.bearer(cluster.credential("tenant-b")), "");
        assertEquals(403, otherPrincipal.statusCode(), otherPrincipal.body());
        assertTrue(otherPrincipal.body().contains("belongs to principal 'operator'"), otherPrincipal.body());
        final HttpResponse<String> forged = post(killA, io.corral.codec.HttpAuth.bearer(new Credentials.Credential(
            LocalCluster.OPERATOR_PRINCIPAL, "guessed".getBytes(java.nio.charset.StandardCharsets.UTF_8))), "");
        assertEquals(401, forged.statusCode(), forged.body());
        final HttpResponse<String> role = post(http(cluster.leader(), "/api/v1/roles/tenants"), "Basic " +
            java.util.Base64.getEncoder().encodeToString((LocalCluster.OPERATOR_PRINCIPAL + ":" + new String(
            cluster.credential(LocalCluster.OPERATOR_PRINCIPAL).secret(), java.nio.charset.StandardCharsets.UTF_8))
            .getBytes(java.nio.charset.StandardCharsets.UTF_8)), "{\"weight\": 2}");
        assertEquals(200, role.statusCode(), "HTTP Basic principal:secret, as Mesos takes it: " + role.body());
        assertTrue(MasterProbe.metric(cluster.leader(), "corral_auth_refused_total{reason=\"http\"}") >= 2);

        final JsonNode aTask = task(state(cluster.leader()), "a-task");
        assertEquals("RUNNING", aTask.path("state").asText(), aTask.toString());
        assertTrue(a.statuses.stream().noneMatch(s -> s.state() == TaskState.KILLED));
    }

    @Test
    void replicatedAclsDecideWhoRegistersAgentsSubscribesInWhichRoleAndSetsQuotas() throws Exception
    {
        final String operator = io.corral.codec.HttpAuth.bearer(cluster.credential(LocalCluster.OPERATOR_PRINCIPAL));
        final String tenant = io.corral.codec.HttpAuth.bearer(cluster.credential("tenant-b"));
        final String agents = io.corral.codec.HttpAuth.bearer(cluster.credential(LocalCluster.AGENT_PRINCIPAL));
        final URI acls = http(cluster.leader(), "/api/v1/acls");
        final URI quotas = http(cluster.leader(), "/api/v1/roles/default");
        // Least privilege until rules are set: neither a tenant nor the agents' principal may change
        // the rules or quotas; only the operator (corral dev's --operators) may.
        for (final String who : List.of(tenant, agents))
        {
            final HttpResponse<String> acl = post(acls, who, "set-acls *\n");
            assertEquals(403, acl.statusCode(), acl.body());
            assertTrue(acl.body().contains("may not set ACLs") && acl.body().contains("[operator]"), acl.body());
            final HttpResponse<String> quota = post(quotas, who, "{\"weight\": 5}");
            assertEquals(403, quota.statusCode(), quota.body());
        }
        // Changes are JSON only: rules as plain text (what an HTML form could post) are refused unread.
        final HttpResponse<String> form = HttpClient.newHttpClient().send(HttpRequest.newBuilder(acls)
            .POST(HttpRequest.BodyPublishers.ofString("set-acls *\n")).header("Authorization", operator)
            .header("Content-Type", "text/plain").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(415, form.statusCode(), form.body());
        assertTrue(form.body().contains("application/json"), form.body());
        // A rule that does not parse is refused; rules that would lock out a principal that is not an
        // operator but may set rules are refused to it.
        final HttpResponse<String> typo = post(acls, operator, "subscribe tenant-b\n");
        assertEquals(400, typo.statusCode(), typo.body());
        assertTrue(typo.body().contains("line 1") && typo.body().contains("ROLE"), typo.body());
        assertEquals(200, post(acls, operator, "register-agents agents\nsubscribe * *\nset-acls tenant-b\n")
            .statusCode());
        Await.until("the rules let tenant-b set rules", WAIT, () -> acls(cluster.leader()).path("set-acls")
            .has("tenant-b"));
        final HttpResponse<String> lockout = post(acls, tenant, "set-acls someone-else\n");
        assertEquals(400, lockout.statusCode(), lockout.body());
        assertTrue(lockout.body().contains("keep a line 'set-acls tenant-b'"), lockout.body());

        final String rules = """
            # agents register as 'agents'; tenant-b may use 'default' only
            register-agents agents
            subscribe operator *
            subscribe tenant-b default
            set-quotas operator
            set-acls operator
            """;
        final HttpResponse<String> set = post(acls, operator, rules);
        assertEquals(200, set.statusCode(), set.body());
        // Replicated: every master shows the rules in its state.
        for (final MasterNode m : List.copyOf(cluster.masters()))
        {
            Await.until("master " + m.id() + " applies the rules", WAIT, () -> tenantBRoles(m).equals("[\"default\"]"));
        }

        // tenant-b in a role the rules do not give it: refused with the reason, no framework id.
        final RecordingScheduler b = new RecordingScheduler();
        final CorralSchedulerDriver driver = started(b, "b-prod", "prod", "tenant-b");
        final String refused = b.errors.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(refused, "the framework hears why it is refused");
        assertTrue(refused.contains("may not subscribe in role 'prod'") && refused.contains("[default]"), refused);
        assertEquals(0, b.frameworkId);

        // ... while in 'default' it is offered.
        final RecordingScheduler ok = new RecordingScheduler();
        final CorralSchedulerDriver allowed = started(ok, "b-default", "default", "tenant-b");
        assertNotNull(ok.offers.poll(WAIT.toSeconds(), TimeUnit.SECONDS), "an allowed role is offered");

        // Quotas and rules are the operator's: tenant-b gets 403 for both.
        final HttpResponse<String> quota = post(quotas, tenant, "{\"weight\": 5}");
        assertEquals(403, quota.statusCode(), quota.body());
        assertTrue(quota.body().contains("may not set quotas"), quota.body());
        final HttpResponse<String> takeover = post(acls, tenant, "set-acls tenant-b\n");
        assertEquals(403, takeover.statusCode(), takeover.body());

        // An agent authenticating as a principal without register-agents is refused and never offered.
        final AgentNode wrongPrincipal = agent("tenant-agent", cluster.credential("tenant-b"));
        Await.until("the master refuses the agent", WAIT, () -> wrongPrincipal.lastRefusal() != null &&
            wrongPrincipal.lastRefusal().contains("may not register agents"));
        assertEquals(0, wrongPrincipal.agentId());
        assertEquals(1, state(cluster.leader()).path("agents").size());
        assertTrue(MasterProbe.metric(cluster.leader(), "corral_auth_refused_total{reason=\"acl\"}") >= 2);

        // The rules survive a leader change (they are in the log and in snapshots).
        final MasterNode old = cluster.leader();
        cluster.stopMaster(old);
        Await.until("a new leader", WAIT, () -> cluster.leader() != null);
        assertEquals("[\"default\"]", state(cluster.leader()).path("acls").path("subscribe").path("tenant-b")
            .toString());
    }

    @Test
    void corralLogsReadsASandboxWithTheLeadersTokenAndNoLinkLeadsOutOfIt() throws Exception
    {
        final RecordingScheduler a = new RecordingScheduler();
        final CorralSchedulerDriver driver = started(a, "logs", "default", LocalCluster.OPERATOR_PRINCIPAL);
        final Offer offer = a.offers.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(offer);
        // The task links, inside its own sandbox, to a file and to a directory outside it.
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec("logs-task",
            "ln -s /etc/passwd leak; ln -s / root; echo first; echo second", Resources.of(0.1, 16))));
        Await.until("logs-task finishes", WAIT, () -> a.statuses.stream()
            .anyMatch(st -> st.taskId().equals("logs-task") && st.state() == TaskState.FINISHED));

        // The CLI, with the operator's credential, asks the leader for a token and reads the sandbox.
        final Credentials.Credential op = cluster.credential(LocalCluster.OPERATOR_PRINCIPAL);
        final String[] logs = Cli.runAs(credentialFile(LocalCluster.OPERATOR_PRINCIPAL), "logs", "logs-task", "--masters", cluster.mastersSpec());
        assertEquals("0", logs[0], logs[2]);
        assertEquals("first\nsecond\n", logs[1]);

        final String sandboxPath = "/api/v1/tasks/" + a.frameworkId + "/logs-task/sandbox";
        // Without a token the leader says who to be; another principal is not permitted.
        assertEquals(401, get(http(cluster.leader(), sandboxPath), null).statusCode());
        final HttpResponse<String> tenant = get(http(cluster.leader(), sandboxPath),
            io.corral.codec.HttpAuth.bearer(cluster.credential("tenant-b")));
        assertEquals(403, tenant.statusCode(), tenant.body());
        assertTrue(tenant.body().contains("read-sandboxes tenant-b operator"), tenant.body());
        final String[] asTenant = Cli.runAs(credentialFile("tenant-b"), "logs", "logs-task", "--masters", cluster.mastersSpec());
        assertEquals("2", asTenant[0]);
        assertTrue(asTenant[2].contains("not permitted"), asTenant[2]);

        // The agent: nothing without a token; with the operator's, the task's output, but not its links out.
        final JsonNode grant = JSON.readTree(get(http(cluster.leader(), sandboxPath),
            io.corral.codec.HttpAuth.bearer(op)).body());
        final String files = "http://" + grant.path("agent").asText() + "/files/" + a.frameworkId + "/logs-task?path=";
        assertEquals(401, get(URI.create(files + "stdout"), null).statusCode());
        final String token = "Bearer " + grant.path("token").asText();
        assertEquals("first\nsecond\n", get(URI.create(files + "stdout"), token).body());
        for (final String link : new String[] { "leak", "root/etc/passwd" })
        {
            final HttpResponse<String> viaLink = get(URI.create(files + link), token);
            assertEquals(403, viaLink.statusCode(), link + ": " + viaLink.body());
            assertTrue(!viaLink.body().contains("root:"), viaLink.body());
        }

        // The framework leaves; its principal still reads the sandbox (as Mesos's completed frameworks).
        driver.stop();
        Await.until("the framework is removed", WAIT, () -> frameworkCount(cluster.leader()) == 0);
        final String[] after = Cli.runAs(credentialFile(LocalCluster.OPERATOR_PRINCIPAL), "logs", "logs-task",
            "--masters", cluster.mastersSpec());
        assertEquals("0", after[0], after[2]);
        assertEquals("first\nsecond\n", after[1]);
    }

    @Test
    void anAgentActsOnlyForItselfThoughEveryAgentSharesOneCredential() throws Exception
    {
        final RecordingScheduler a = new RecordingScheduler();
        runningTask(a, "victim", "victim-task");
        final AgentNode real = cluster.agents().get(0);
        final long realId = real.agentId();
        final String realEndpoint = real.endpoint();

        // A second agent host with the agents' credential, compromised: it registers as itself, then lies.
        final RawAgent hostile = new RawAgent(cluster.credential(LocalCluster.AGENT_PRINCIPAL),
            cluster.leader().address());
        closing.add(hostile);
        final long hostileId = hostile.register(0);
        assertTrue(hostileId != 0 && hostileId != realId, "admitted as an agent of its own: " + hostileId);
        final double notYours = MasterProbe.metric(cluster.leader(), "corral_auth_refused_total{reason=\"not_yours\"}");

        // The real agent's task reported FINISHED in the hostile agent's own name.
        hostile.statusUpdate(hostileId, a.frameworkId, "victim-task", io.corral.codec.sbe.TaskState.FINISHED);
        String refused = hostile.nextError();
        assertTrue(refused.startsWith("NOT_PERMITTED") && refused.contains("may report only its own tasks"), refused);
        // ... and in the real agent's name.
        hostile.statusUpdate(realId, a.frameworkId, "victim-task", io.corral.codec.sbe.TaskState.KILLED);
        refused = hostile.nextError();
        assertTrue(refused.startsWith("NOT_PERMITTED") && refused.contains("belongs to another client"), refused);
        // The real agent's id claimed from the hostile endpoint (with an empty task list, which would LOSE its tasks).
        hostile.register(realId);
        refused = hostile.nextError();
        assertTrue(refused.startsWith("NOT_PERMITTED") && refused.contains("does not present that agent's secret"),
            refused);

        // A part of the real agent's task list (one that would leave its task out) in its name.
        hostile.taskListPart(realId, 0, a.frameworkId + "/not-the-victim-task\tRUNNING");
        refused = hostile.nextError();
        assertTrue(refused.startsWith("NOT_PERMITTED") && refused.contains("belongs to another client"), refused);

        assertTrue(MasterProbe.metric(cluster.leader(), "corral_auth_refused_total{reason=\"not_yours\"}") >= notYours + 4);
        final JsonNode state = state(cluster.leader());
        assertEquals("RUNNING", task(state, "victim-task").path("state").asText(), "the task runs on");
        boolean found = false;
        for (final JsonNode agent : state.path("agents"))
        {
            if (agent.path("id").asLong() == realId)
            {
                found = true;
                assertEquals(realEndpoint, agent.path("endpoint").asText(), "the real agent keeps its id");
            }
        }
        assertTrue(found, "the real agent is still registered: " + state.path("agents"));
        assertTrue(real.isRegistered());
        assertTrue(a.statuses.stream().noneMatch(s -> s.state().isTerminal()), "no end was reported: " + a.statuses);
    }


    /** The operator's framework {@code name}, its task {@code taskId} ({@code sleep 120}) running; returns its driver. */
    private CorralSchedulerDriver runningTask(final RecordingScheduler recorder, final String name, final String taskId)
        throws InterruptedException
    {
        final CorralSchedulerDriver driver = started(recorder, name, "default", LocalCluster.OPERATOR_PRINCIPAL);
        final Offer offer = recorder.offers.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(offer);
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec(taskId, "sleep 120", Resources.of(0.1, 16))));
        Await.until(taskId + " runs", WAIT, () -> recorder.statuses.stream().anyMatch(s -> s.state() ==
            TaskState.RUNNING));
        return driver;
    }

    /** A driver for {@code recorder} subscribing as {@code principal}, started, closed after the test. */
    private CorralSchedulerDriver started(final RecordingScheduler recorder, final String name, final String role,
        final String principal)
    {
        final CorralSchedulerDriver driver = new CorralSchedulerDriver(recorder, new FrameworkInfo(name, role),
            cluster.mastersSpec()).credential(cluster.credential(principal));
        closing.add(driver);
        driver.start();
        return driver;
    }

    /** A file with {@code principal}'s one line of the cluster's credentials, as CORRAL_CREDENTIAL names it. */
    private Path credentialFile(final String principal) throws Exception
    {
        final Credentials.Credential c = cluster.credential(principal);
        final Path file = dir.resolve(principal + ".credential");
        java.nio.file.Files.writeString(file, c.principal() + " " + new String(c.secret(), StandardCharsets.UTF_8) + "\n");
        return file;
    }

    private static HttpResponse<String> get(final URI uri, final String authorization) throws Exception
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri);
        if (authorization != null)
        {
            b.header("Authorization", authorization);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aMasterThatRestartedAndLeadsAgainGetsItsAgentsAndFrameworksBack() throws Exception
    {
        // Clients keep the sessions they had with a master; one that restarted knows none of them
        // and drops what is sealed in them. They used to keep sending in those forever.
        final RecordingScheduler a = new RecordingScheduler();
        final CorralSchedulerDriver driver = started(a, "back", "default", LocalCluster.OPERATOR_PRINCIPAL);
        assertNotNull(a.offers.poll(WAIT.toSeconds(), TimeUnit.SECONDS));
        final MasterNode first = cluster.leader();
        final int id = first.id();
        cluster.stopMaster(first);
        Await.until("another leader", WAIT, () -> cluster.leader() != null && cluster.leader().id() != id);
        Await.until("the agent registered with it", WAIT, () -> cluster.agents().get(0).isRegistered());
        final MasterNode back = cluster.restartMaster(id);
        Await.until("the restarted master follows", WAIT, () -> back.leaderId() != 0 && back.leaderId() != id);
        cluster.leader().transferLeadership(id, 10_000);
        Await.until("the restarted master leads again", WAIT, () -> back.isLeader());
        a.offers.clear();
        final Offer offer = a.offers.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(offer, "the framework subscribed with the restarted leader and is offered its agent");
        assertTrue(back.isLeader());
        assertEquals(cluster.agents().get(0).agentId(), offer.agentId());
    }

    private static int frameworkCount(final MasterNode m)
    {
        try
        {
            return state(m).path("frameworks").size();
        }
        catch (final Exception ex)
        {
            return -1;
        }
    }

    private static String tenantBRoles(final MasterNode m)
    {
        return acls(m).path("subscribe").path("tenant-b").toString();
    }

    /** The rules as {@code m} shows them in its state (an error's text if it does not answer). */
    private static JsonNode acls(final MasterNode m)
    {
        try
        {
            return state(m).path("acls");
        }
        catch (final Exception ex)
        {
            return JSON.getNodeFactory().textNode(ex.toString());
        }
    }

    private static HttpResponse<String> post(final URI uri, final String authorization, final String body)
        throws Exception
    {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(
            uri.getPath().endsWith("/acls") ? JSON.writeValueAsString(java.util.Map.of("rules", body)) : body))
            .header("Content-Type", "application/json");
        if (authorization != null)
        {
            b.header("Authorization", authorization);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private AgentNode agent(final String name, final Credentials.Credential credential)
    {
        final AgentNode agent = new AgentNode(new AgentConfig().masters(cluster.mastersSpec()).cpus(1).memMiB(256)
            .diskMiB(64).hostname(name).workDir(new File(dir.toFile(), name)).credential(credential));
        closing.add(agent);
        return agent;
    }

    private static long countTasks(final JsonNode state, final String taskId)
    {
        long n = 0;
        for (final JsonNode t : state.path("tasks"))
        {
            n += taskId.equals(t.path("taskId").asText()) ? 1 : 0;
        }
        return n;
    }

    private static JsonNode task(final JsonNode state, final String taskId)
    {
        for (final JsonNode t : state.path("tasks"))
        {
            if (taskId.equals(t.path("taskId").asText()))
            {
                return t;
            }
        }
        throw new AssertionError("no task " + taskId + " in " + state.path("tasks"));
    }

    private static URI http(final MasterNode m, final String path)
    {
        return MasterProbe.uri(m, path);
    }

    private static JsonNode state(final MasterNode m) throws Exception
    {
        return JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(http(m, "/api/v1/state")).build(),
            HttpResponse.BodyHandlers.ofString()).body());
    }


    /**
     * The plumbing of a client made of the codec's parts: its own Aeron subscription and endpoint,
     * a publication to one master, a {@link Seal} with its credential; what it hears goes to
     * {@code inbound} (gated by the seal), refusals to {@link #errors}.
     */
    private abstract static class RawClient implements AutoCloseable
    {
        final BlockingQueue<String> errors = new LinkedBlockingQueue<>();
        private final Aeron aeron = MediaDrivers.connect();
        private final Subscription subscription;
        final ExclusivePublication publication;
        final String endpoint;
        final Seal seal;
        private FragmentAssembler assembler;
        final Outbound out = new Outbound();

        RawClient(final Credentials.Credential credential, final String master)
        {
            subscription = aeron.addSubscription(Protocol.channel("127.0.0.1:0"), Protocol.STREAM_ID);
            String resolved;
            while ((resolved = subscription.resolvedEndpoint()) == null)
            {
                Thread.onSpinWait();
            }
            endpoint = resolved;
            publication = aeron.addExclusivePublication(Protocol.channel(master), Protocol.STREAM_ID);
            seal = Seal.of(credential, errors::add, () -> { }).endpoint(endpoint);
        }

        /** What the client hears, gated by its seal (the subclass's adapter over itself). */
        final void listen(final io.corral.codec.InboundAdapter inbound)
        {
            inbound.gate(seal);
            assembler = new FragmentAssembler(inbound);
        }

        /** Polls until {@code done}, or fails at the deadline. */
        final void pollUntil(final String what, final java.util.function.BooleanSupplier done)
        {
            final long deadline = System.nanoTime() + WAIT.toNanos();
            while (!done.getAsBoolean())
            {
                if (System.nanoTime() > deadline)
                {
                    throw new AssertionError("timed out waiting for " + what + "; heard " + errors);
                }
                if (subscription.poll(assembler, 16) == 0)
                {
                    Thread.yield();
                }
            }
        }

        /** Sends (sealed) until it goes: the first tries say Hello and wait for the session. */
        final void send(final int length)
        {
            final int[] tries = { 0 };
            pollUntil("a session with the leader", () -> tries[0]++ % 1000 == 0 &&
                seal.offer(publication, out.buffer, length));
        }

        final String nextError()
        {
            pollUntil("an error reply", () -> !errors.isEmpty());
            return errors.poll();
        }

        @Override
        public void close()
        {
            publication.close();
            subscription.close();
            MediaDrivers.release(aeron);
        }
    }

    /** An agent made of the codec's parts: it registers (claiming any id) and sends any status update. */
    private static final class RawAgent extends RawClient implements io.corral.codec.AgentInbound.Handler
    {
        private volatile long agentId;

        RawAgent(final Credentials.Credential credential, final String master)
        {
            super(credential, master);
            listen(new io.corral.codec.AgentInbound(this));
        }

        /** Registers claiming {@code claimedId} (0: a new agent) with a secret of its own; a new one waits for its id. */
        long register(final long claimedId)
        {
            Protocol.putResources(out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(claimedId)
                .resources(), new long[] { 1000, 256, 0, 0 });
            out.registerAgent.hostname("hostile").endpoint(endpoint).attributes("").httpEndpoint("")
                .customResources("").tasks("0").agentSecret("the-hostile-agents-own-secret");
            send(Outbound.length(out.registerAgent.encodedLength()));
            if (claimedId == 0)
            {
                pollUntil("AgentRegistered", () -> agentId != 0);
            }
            return agentId;
        }

        void taskListPart(final long asAgent, final int part, final String lines)
        {
            out.agentTasks.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(asAgent).part(part).tasks(lines);
            send(Outbound.length(out.agentTasks.encodedLength()));
        }

        void statusUpdate(final long asAgent, final long frameworkId, final String taskId,
            final io.corral.codec.sbe.TaskState state)
        {
            final long[] uuid = Protocol.uuid();
            out.statusUpdate.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(asAgent).frameworkId(frameworkId)
                .uuidMsb(uuid[0]).uuidLsb(uuid[1]).state(state).exitCode(0).timestampMs(System.currentTimeMillis())
                .taskId(taskId).message("forged");
            send(Outbound.length(out.statusUpdate.encodedLength()));
        }


        @Override
        public void onAgentRegistered(final io.corral.codec.sbe.AgentRegisteredDecoder m, final int sessionId)
        {
            agentId = m.agentId();
        }

        @Override
        public void onNotLeader(final NotLeaderDecoder m, final int sessionId)
        {
            errors.add("NOT_LEADER: " + m.leaderEndpoint());
        }

        @Override
        public void onRunTask(final io.corral.codec.sbe.RunTaskDecoder m, final int sessionId)
        {
        }

        @Override
        public void onKillTask(final io.corral.codec.sbe.KillTaskDecoder m, final int sessionId)
        {
        }

        @Override
        public void onStatusAck(final io.corral.codec.sbe.StatusAckDecoder m, final int sessionId)
        {
        }

        @Override
        public void onErrorReply(final ErrorReplyDecoder m, final int sessionId)
        {
            final io.corral.codec.sbe.ErrorCode code = m.code();
            m.inReplyTo();
            errors.add(code + ": " + m.message());
        }

        @Override
        public void onBadFrame(final int sessionId, final int templateId, final String problem)
        {
            errors.add("BAD_FRAME: " + problem);
        }

    }

    /** A framework made of the codec's parts: it subscribes, kills, accepts, and can resend raw bytes. */
    private static final class RawFramework extends RawClient implements SchedulerInbound.Handler
    {
        final BlockingQueue<Long> offers = new LinkedBlockingQueue<>();
        final java.util.Set<String> finished = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private final Outbound acks = new Outbound();
        private final ExpandableArrayBuffer sealed = new ExpandableArrayBuffer(4096);
        private volatile long frameworkId;

        RawFramework(final Credentials.Credential credential, final String master)
        {
            super(credential, master);
            listen(new SchedulerInbound(this));
        }

        void subscribe()
        {
            out.subscribe.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(0).failoverTimeoutMs(10_000)
                .name("tenant-b").role("default").endpoint(endpoint).principal("tenant-b");
            send(Outbound.length(out.subscribe.encodedLength()));
            pollUntil("Subscribed", () -> frameworkId != 0);
        }

        void kill(final long ofFramework, final String taskId)
        {
            out.kill.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(ofFramework).taskId(taskId);
            send(Outbound.length(out.kill.encodedLength()));
        }

        long nextOffer()
        {
            pollUntil("an offer", () -> !offers.isEmpty());
            return offers.poll();
        }


        /** An accept of one task, sealed in this session, as bytes (also polls until an offer is in hand). */
        byte[] sealedAccept(final long offerId, final String taskId, final String command)
        {
            final AcceptEncoder accept = out.accept.wrapAndApplyHeader(out.buffer, 0, out.header)
                .frameworkId(frameworkId).offerId(offerId);
            accept.moreOffersCount(0);
            final AcceptEncoder.TasksEncoder task = accept.tasksCount(1).next();
            Protocol.putResources(task.resources(), new long[] { 100, 16, 0, 0 });
            task.options().killGraceMs(0).healthIntervalMs(0).healthTimeoutMs(0).healthMaxFailures(0);
            task.taskId(taskId).command(command).env("").healthCommand("").customResources("");
            final int length = seal.seal(publication, out.buffer, Outbound.length(accept.encodedLength()), sealed);
            assertTrue(length > 0, "a session exists");
            final byte[] bytes = new byte[length];
            sealed.getBytes(0, bytes);
            return bytes;
        }

        void sendRaw(final byte[] bytes)
        {
            final org.agrona.concurrent.UnsafeBuffer buffer = new org.agrona.concurrent.UnsafeBuffer(bytes);
            pollUntil("the raw frame goes out", () -> Outbound.offer(publication, buffer, bytes.length));
        }

        @Override
        public void onSubscribed(final SubscribedDecoder m, final int sessionId)
        {
            frameworkId = m.frameworkId();
        }

        @Override
        public void onNotLeader(final NotLeaderDecoder m, final int sessionId)
        {
            errors.add("NOT_LEADER: " + m.leaderEndpoint());
        }

        @Override
        public void onOffer(final OfferDecoder m, final int sessionId)
        {
            offers.add(m.offerId());
        }

        @Override
        public void onTaskStatus(final TaskStatusDecoder m, final int sessionId)
        {
            final long uuidMsb = m.uuidMsb();
            final long uuidLsb = m.uuidLsb();
            final io.corral.codec.sbe.TaskState state = m.state();
            final String taskId = m.taskId();
            // As a real framework does: the master resends the oldest unacknowledged update until it is.
            acks.acknowledge.wrapAndApplyHeader(acks.buffer, 0, acks.header).frameworkId(frameworkId)
                .uuidMsb(uuidMsb).uuidLsb(uuidLsb).taskId(taskId);
            seal.offer(publication, acks.buffer, Outbound.length(acks.acknowledge.encodedLength()));
            if (state == io.corral.codec.sbe.TaskState.FINISHED)
            {
                finished.add(taskId);
            }
        }

        @Override
        public void onOfferRescinded(final OfferRescindedDecoder m, final int sessionId)
        {
        }

        @Override
        public void onErrorReply(final ErrorReplyDecoder m, final int sessionId)
        {
            final io.corral.codec.sbe.ErrorCode code = m.code();
            m.inReplyTo();
            errors.add(code + ": " + m.message());
        }

        @Override
        public void onAgentLost(final AgentLostDecoder m, final int sessionId)
        {
        }

        @Override
        public void onBadFrame(final int sessionId, final int templateId, final String problem)
        {
            errors.add("BAD_FRAME: " + problem);
        }

    }
}
