package io.corral.cli;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.corral.agent.AgentConfig;
import io.corral.agent.AgentNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.codec.Protocol;
import io.corral.codec.Tls;
import io.corral.master.MasterNode;
import io.corral.testkit.Await;
import io.corral.testkit.RecordingScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real quorum whose masters talk Raft over mutual TLS and serve HTTPS, and an agent serving its
 * sandboxes over HTTPS, all with certificates of a test CA: the quorum elects and survives a
 * leader stop, HTTPS answers clients that trust the CA and no one else, and {@code corral logs}
 * reads a task's output through both with CORRAL_TLS_CA.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TlsTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private AgentNode agent;
    private CorralSchedulerDriver driver;

    @AfterEach
    void stop() throws Exception
    {
        if (driver != null)
        {
            driver.close();
        }
        if (agent != null)
        {
            agent.close();
        }
        if (cluster != null)
        {
            cluster.close();
        }
    }

    @Test
    void raftAndHttpRunOverTlsWithATestCa() throws Exception
    {
        final TestCa ca = TestCa.make(dir.resolve("ca"));
        cluster = LocalCluster.secured(dir.toFile(), 3, 0, LocalCluster.freeBasePort(3), 1, 256,
            c -> c.tls(ca.cert, ca.key, ca.ca), "");
        agent = new AgentNode(new AgentConfig().masters(cluster.mastersSpec()).cpus(1).memMiB(256).diskMiB(64)
            .hostname("tls-agent").workDir(dir.resolve("agent").toFile()).tls(ca.cert, ca.key)
            .credential(cluster.credential(LocalCluster.AGENT_PRINCIPAL)));
        // (Every master holding the log too: the test stops the leader below, and two masters of
        // which one has never heard from it cannot elect another.)
        Await.until("a leader elected over TLS, the agent registered, every master holding the log", WAIT,
            () -> cluster.leader() != null && agent.isRegistered() && cluster.everyLogHasAnEntry());

        // HTTPS for a client that trusts the CA; refused to one that does not; plain HTTP gets nothing.
        final HttpClient trusting = HttpClient.newBuilder().sslContext(Tls.client(ca.ca)).build();
        final HttpResponse<String> state = trusting.send(HttpRequest.newBuilder(url("https", cluster.leader(),
            "/api/v1/state")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, state.statusCode(), state.body());
        assertTrue(new ObjectMapper().readTree(state.body()).path("master").path("leaderUi").asText()
            .startsWith("https://"), state.body());
        assertThrows(javax.net.ssl.SSLHandshakeException.class, () -> HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(url("https", cluster.leader(), "/health")).build(),
            HttpResponse.BodyHandlers.ofString()), "a client without the CA does not trust the master");
        assertThrows(java.io.IOException.class, () -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .build().send(HttpRequest.newBuilder(url("http", cluster.leader(), "/health"))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));

        // A task, and its output read by the CLI over HTTPS from the leader and from the agent.
        final RecordingScheduler recorder = new RecordingScheduler();
        driver = new CorralSchedulerDriver(recorder, new FrameworkInfo("tls", "default"), cluster.mastersSpec())
            .credential(cluster.credential(LocalCluster.OPERATOR_PRINCIPAL));
        driver.start();
        final Offer offer = recorder.offers.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(offer);
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec("over-tls", "echo sealed and encrypted",
            Resources.of(0.1, 16))));
        Await.until("the task finishes", WAIT, () -> recorder.statuses.stream()
            .anyMatch(s -> s.taskId().equals("over-tls") && s.state() == TaskState.FINISHED));
        assertTrue(agent.httpEndpoint().startsWith("https://"), agent.httpEndpoint());
        final String[] logs = withCa(ca.ca, () -> Cli.runAs(credentialFile(), "logs", "over-tls", "--masters",
            cluster.mastersSpec()));
        assertEquals("0", logs[0], logs[2]);
        assertEquals("sealed and encrypted\n", logs[1]);

        // Raft over mutual TLS keeps working through a leader change.
        final MasterNode old = cluster.leader();
        cluster.stopMaster(old);
        Await.until("a new leader over TLS", WAIT, () -> cluster.leader() != null && cluster.leader() != old);
        final String[] tasks = withCa(ca.ca, () -> Cli.runAs(credentialFile(), "tasks", "--masters",
            cluster.mastersSpec()));
        assertEquals("0", tasks[0], tasks[2]);
        assertTrue(tasks[1].contains("over-tls"), tasks[1]);
    }

    private Path credentialFile() throws Exception
    {
        final io.corral.codec.Credentials.Credential c = cluster.credential(LocalCluster.OPERATOR_PRINCIPAL);
        final Path file = dir.resolve("operator.credential");
        java.nio.file.Files.writeString(file, c.principal() + " " + new String(c.secret(),
            java.nio.charset.StandardCharsets.UTF_8) + "\n");
        return file;
    }

    private static String[] withCa(final Path ca, final java.util.concurrent.Callable<String[]> run) throws Exception
    {
        System.setProperty("corral.tls.ca", ca.toString());
        try
        {
            return run.call();
        }
        finally
        {
            System.clearProperty("corral.tls.ca");
        }
    }

    private static URI url(final String scheme, final MasterNode m, final String path)
    {
        return URI.create(scheme + "://" + Protocol.host(m.address()) + ":" + (Protocol.port(m.address()) +
            Protocol.HTTP_PORT_OFFSET) + path);
    }
}
