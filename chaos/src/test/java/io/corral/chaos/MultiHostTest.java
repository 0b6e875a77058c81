package io.corral.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three hosts on one machine, none talking over loopback: the masters in this network namespace on
 * a veth address, an agent in a namespace of its own and a framework ({@code corral run}) in
 * another, each reaching the masters over its own veth link. Proves that agents and frameworks
 * advertise addresses the masters can reach, and that a task runs on the agent's host.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MultiHostTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final long id = ProcessHandle.current().pid() % 10_000;
    private final int net = 200 + (int)(id % 50);
    private final String agentNs = "corral-a" + id;
    private final String frameworkNs = "corral-f" + id;
    private final String mastersHost = "10." + net + ".1.1";
    private final String agentHost = "10." + net + ".1.2";
    private final String frameworkGateway = "10." + net + ".2.1";
    private final String frameworkHost = "10." + net + ".2.2";
    private final List<Process> processes = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();

    /** Runs a setup command; fails the test with its output if it does not succeed. */
    private static void run(final String... command) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0)
        {
            fail(String.join(" ", command) + " failed: " + output);
        }
    }

    /** A namespace joined to this one by a veth pair: this side gets {@code gateway}, the other {@code address}. */
    private void host(final String ns, final String link, final String gateway, final String address)
        throws IOException, InterruptedException
    {
        run("ip", "netns", "add", ns);
        namespaces.add(ns);
        run("ip", "link", "add", link, "type", "veth", "peer", "name", link + "p");
        run("ip", "link", "set", link + "p", "netns", ns);
        run("ip", "addr", "add", gateway + "/24", "dev", link);
        run("ip", "link", "set", link, "up");
        run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        run("ip", "netns", "exec", ns, "ip", "addr", "add", address + "/24", "dev", link + "p");
        run("ip", "netns", "exec", ns, "ip", "link", "set", link + "p", "up");
        run("ip", "netns", "exec", ns, "ip", "route", "add", "default", "via", gateway);
    }

    private Process corral(final String ns, final String name, final String... args) throws IOException
    {
        final List<String> cmd = new ArrayList<>();
        if (ns != null)
        {
            cmd.addAll(List.of("ip", "netns", "exec", ns));
        }
        cmd.addAll(List.of(System.getProperty("java.home") + "/bin/java", "-Xmx160m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1"));
        cmd.addAll(ProcessCluster.JVM_FLAGS);
        cmd.add("-Dcorral.aeron.dir=" + dir.resolve("aeron-" + name));
        // The framework (corral run) authenticates as the operator; masters and the agent are given theirs.
        cmd.add("-Dcorral.credential=" + dir.resolve("operator.credential"));
        cmd.addAll(List.of("-jar", ChaosRun.findJar().getAbsolutePath()));
        cmd.addAll(List.of(args));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile()).start();
        processes.add(p);
        return p;
    }

    private JsonNode state(final HttpClient http, final int port) throws InterruptedException
    {
        try
        {
            // The masters have credentials, so reads need a token too.
            final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + mastersHost + ":" +
                port + "/api/v1/state")).timeout(Duration.ofSeconds(2)).header("Authorization",
                io.corral.codec.HttpAuth.bearer(io.corral.codec.Credentials.credential(dir.resolve("operator.credential"),
                null))).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private String log(final String name)
    {
        try
        {
            return Files.readString(dir.resolve(name + ".log"));
        }
        catch (final IOException ex)
        {
            return "(no log: " + ex + ")";
        }
    }

    @Test
    void anAgentAndAFrameworkOnOtherHostsRunATaskThroughTheMasters() throws Exception
    {
        host(agentNs, "cva" + id, mastersHost, agentHost);
        host(frameworkNs, "cvf" + id, frameworkGateway, frameworkHost);
        final int base = 30_000 + (int)(id % 500) * 10;
        final String peers = "1=" + mastersHost + ":" + base + ",2=" + mastersHost + ":" + (base + 1) + ",3=" +
            mastersHost + ":" + (base + 2);
        final String masters = mastersHost + ":" + base + "," + mastersHost + ":" + (base + 1) + "," + mastersHost +
            ":" + (base + 2);
        // Authentication on, as on real hosts: one credentials file for the masters, one line each for
        // the agent and the framework.
        final Path credentials = dir.resolve("credentials");
        Files.writeString(dir.resolve("agent.credential"), "agents " +
            io.corral.codec.Credentials.add(credentials, "agents") + "\n");
        Files.writeString(dir.resolve("operator.credential"), "operator " +
            io.corral.codec.Credentials.add(credentials, "operator") + "\n");
        // Raft's certificates as the README makes them: `corral certs` with the same --peers.
        final Process certs = corral(null, "certs", "certs", "--peers", peers, "--dir", dir.resolve("raft-tls").toString());
        assertTrue(certs.waitFor(60, TimeUnit.SECONDS) && certs.exitValue() == 0, "corral certs: " + log("certs"));
        for (int i = 1; i <= 3; i++)
        {
            corral(null, "master-" + i, "master", "--id", Integer.toString(i), "--peers", peers, "--data",
                dir.resolve("master-" + i).toString(), "--credentials", credentials.toString(), "--operators", "operator",
                "--raft-tls-cert", dir.resolve("raft-tls/master-" + i + ".pem").toString(),
                "--raft-tls-key", dir.resolve("raft-tls/master-" + i + "-key.pem").toString(),
                "--raft-tls-ca", dir.resolve("raft-tls/ca.pem").toString());
        }
        corral(agentNs, "agent", "agent", "--masters", masters, "--bind", agentHost, "--cpus", "1", "--mem", "512",
            "--work-dir", dir.resolve("agent-work").toString(), "--credential",
            dir.resolve("agent.credential").toString());

        final HttpClient http = HttpClient.newHttpClient();
        final int httpPort = base + 2000;
        JsonNode agents = null;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            final JsonNode s = state(http, httpPort);
            if (s != null && s.path("agents").size() == 1)
            {
                agents = s.path("agents");
                break;
            }
            Thread.sleep(200);
        }
        assertTrue(agents != null, "the agent registered from its namespace; agent log:\n" + log("agent") +
            "\nmaster-1 log:\n" + log("master-1"));
        assertTrue(agents.get(0).path("endpoint").asText().startsWith(agentHost + ":"), agents.toString());

        final Process framework = corral(frameworkNs, "framework", "run", "--masters", masters, "--offer-timeout", "60",
            "--", "sleep 2; ip -4 -o addr show; echo ran-on-agent");
        String frameworkEndpoint = null;
        while (framework.isAlive() && frameworkEndpoint == null && System.nanoTime() < deadline + 30_000_000_000L)
        {
            final JsonNode s = state(http, httpPort);
            if (s != null && s.path("frameworks").size() > 0)
            {
                frameworkEndpoint = s.path("frameworks").get(0).path("endpoint").asText();
            }
            Thread.sleep(100);
        }
        assertTrue(framework.waitFor(60, TimeUnit.SECONDS), "corral run ended");
        final String output = log("framework");
        assertEquals(0, framework.exitValue(), output);
        assertTrue(output.contains("FINISHED"), output);
        assertTrue(frameworkEndpoint != null && frameworkEndpoint.startsWith(frameworkHost + ":"),
            "the framework received on its own host's address: " + frameworkEndpoint);

        final String sandbox = output.lines().filter(l -> l.contains("stdout: ")).findFirst().orElseThrow()
            .replaceAll(".*stdout: ", "").trim();
        final String taskOut = Files.readString(Path.of(sandbox));
        assertTrue(taskOut.contains("ran-on-agent") && taskOut.contains(agentHost) && !taskOut.contains(mastersHost),
            "the task ran in the agent's namespace: " + taskOut);
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        for (final Process p : processes)
        {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (final Process p : processes)
        {
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (final String ns : namespaces)
        {
            // Deleting the namespace deletes its end of the veth pair, and with it this end.
            new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
