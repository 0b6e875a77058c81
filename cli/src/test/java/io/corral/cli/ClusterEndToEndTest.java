package io.corral.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.master.MasterNode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.corral.testkit.RecordingScheduler;
import io.corral.testkit.Await;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The walking skeleton end to end: three real masters (Ratis on loopback), two real agents, a
 * framework through the thin client, Aeron on loopback, and tasks run as real processes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterEndToEndTest
{
    private static final double AGENT_CPUS = 2;
    private static final long AGENT_MEM = 2048;
    /** Every agent also offers a custom kind, which the masters are started knowing. */
    private static final long AGENT_SSD = 100;

    @TempDir
    static Path dir;

    private LocalCluster cluster;
    private RecordingScheduler scheduler;
    private CorralSchedulerDriver driver;

    @BeforeAll
    void startCluster() throws Exception
    {
        final int basePort = LocalCluster.freeBasePort(3);
        cluster = new LocalCluster(dir.toFile(), 3, 2, basePort, AGENT_CPUS, AGENT_MEM, c -> { }, "ssd:" + AGENT_SSD);
        cluster.awaitReady(60, TimeUnit.SECONDS);
        scheduler = new RecordingScheduler();
        driver = new CorralSchedulerDriver(scheduler, new FrameworkInfo("e2e", "test").withPrincipal("e2e-tester"),
            cluster.mastersSpec());
        driver.start();
    }

    @AfterAll
    void stopCluster()
    {
        if (driver != null)
        {
            driver.close();
        }
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private Offer takeOffer(final Predicate<Offer> wanted) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline)
        {
            final Offer offer = scheduler.offers.poll(200, TimeUnit.MILLISECONDS);
            if (offer == null)
            {
                continue;
            }
            if (wanted.test(offer))
            {
                return offer;
            }
            driver.declineOffer(offer.offerId(), 0);
        }
        fail("no suitable offer within 30 s");
        return null;
    }

    private TaskStatus awaitState(final String taskId, final TaskState state) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline)
        {
            final TaskStatus s = scheduler.statuses.poll(200, TimeUnit.MILLISECONDS);
            if (s != null && s.taskId().equals(taskId))
            {
                if (s.state() == state)
                {
                    return s;
                }
                if (s.state().isTerminal())
                {
                    fail("task " + taskId + " ended " + s.state() + " (" + s.message() + "), expected " + state);
                }
            }
        }
        fail("task " + taskId + " did not reach " + state + " within 30 s");
        return null;
    }

    private String launch(final String taskId, final String command) throws InterruptedException
    {
        final Offer offer = takeOffer(o -> o.resources().cpusMilli() >= 100 && o.resources().memMiB() >= 32);
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec(taskId, command, Resources.of(0.1, 32))));
        return taskId;
    }

    /** Every agent's whole capacity is offered again: nothing is still held. */
    private void awaitAllResourcesBack() throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        final java.util.Set<Long> fullAgents = new java.util.HashSet<>();
        while (System.nanoTime() < deadline && fullAgents.size() < cluster.agents().size())
        {
            final Offer offer = scheduler.offers.poll(200, TimeUnit.MILLISECONDS);
            if (offer == null)
            {
                continue;
            }
            if (offer.resources().cpusMilli() == Math.round(AGENT_CPUS * 1000) && offer.resources().memMiB() == AGENT_MEM &&
                offer.resources().custom("ssd") == AGENT_SSD)
            {
                fullAgents.add(offer.agentId());
            }
            driver.declineOffer(offer.offerId(), 0);
        }
        assertEquals(cluster.agents().size(), fullAgents.size(), "every agent's full capacity is offered again");
    }

    @Test
    void taskThatExitsZeroFinishesAndGivesItsResourcesBack() throws Exception
    {
        final String id = launch("ok-" + System.nanoTime(), "echo hello from corral");
        final TaskStatus starting = awaitState(id, TaskState.STARTING);
        awaitState(id, TaskState.RUNNING);
        final TaskStatus finished = awaitState(id, TaskState.FINISHED);
        assertEquals(0, finished.exitCode());
        final String sandbox = starting.message().replace("sandbox: ", "");
        assertEquals("hello from corral", Files.readString(new File(sandbox, "stdout").toPath()).trim());
        assertEquals(TaskState.FINISHED, replicatedState(id));
        awaitAllResourcesBack();
    }

    @Test
    void taskThatExitsThreeFailsWithExitCodeThree() throws Exception
    {
        final String id = launch("fail-" + System.nanoTime(), "exit 3");
        final TaskStatus failed = awaitState(id, TaskState.FAILED);
        assertEquals(3, failed.exitCode());
        assertTrue(failed.message().contains("3"), failed.message());
        awaitAllResourcesBack();
    }

    @Test
    void killedTaskEndsKilled() throws Exception
    {
        final String id = launch("sleep-" + System.nanoTime(), "sleep 60");
        awaitState(id, TaskState.RUNNING);
        driver.killTask(id);
        final TaskStatus killed = awaitState(id, TaskState.KILLED);
        assertNotNull(killed);
        assertEquals(TaskState.KILLED, replicatedState(id));
        awaitAllResourcesBack();
    }

    private String launch(final TaskSpec spec) throws InterruptedException
    {
        final Offer offer = takeOffer(o -> o.resources().cpusMilli() >= 100 && o.resources().memMiB() >= 32);
        driver.acceptOffer(offer.offerId(), List.of(spec));
        return spec.taskId();
    }

    @Test
    void aTaskGetsItsEnvironmentAndSandboxAndOffersShowAgentAttributes() throws Exception
    {
        final Offer offer = takeOffer(o -> true);
        assertTrue(offer.attributes().get("host").startsWith("agent-"), offer.attributes().toString());
        assertEquals("local", offer.attributes().get("zone"));
        driver.declineOffer(offer.offerId(), 0);
        final String id = launch(new TaskSpec("env-" + System.nanoTime(),
            "echo \"$GREETING $CORRAL_TASK_ID\" > out.txt; pwd", Resources.of(0.1, 32))
            .withEnv(java.util.Map.of("GREETING", "hi")));
        final TaskStatus starting = awaitState(id, TaskState.STARTING);
        awaitState(id, TaskState.FINISHED);
        final String sandbox = starting.message().replace("sandbox: ", "");
        assertEquals("hi " + id, Files.readString(Path.of(sandbox, "out.txt")).trim());
        assertEquals(sandbox, Files.readString(Path.of(sandbox, "stdout")).trim(), "the sandbox is the working directory");
        awaitAllResourcesBack();
    }

    @Test
    void aDaemonThatDoubleForkedOutOfItsTaskEndsWithTheTask() throws Exception
    {
        // The daemon leaves the task's process tree (setsid in a subshell that exits), but not its cgroup.
        final String id = launch(new TaskSpec("daemon-" + System.nanoTime(),
            "(setsid sh -c 'echo $$ > daemon.pid; exec sleep 300' &); while [ ! -s daemon.pid ]; do sleep 0.05; done",
            Resources.of(0.1, 32)));
        final TaskStatus starting = awaitState(id, TaskState.STARTING);
        awaitState(id, TaskState.FINISHED);
        final long daemon = Long.parseLong(Files.readString(Path.of(starting.message().replace("sandbox: ", ""),
            "daemon.pid")).trim());
        Await.whileTrue(Duration.ofSeconds(10), () -> io.corral.agent.Processes.running(daemon));
        final boolean left = io.corral.agent.Processes.running(daemon);
        ProcessHandle.of(daemon).ifPresent(ProcessHandle::destroyForcibly);
        assertTrue(!left, "the agent killed the daemon left in the task's cgroup (pid " + daemon + ")");
        awaitAllResourcesBack();
    }

    /** Runs a corral command in this JVM; returns {exit code, stdout, stderr}. */
    private static String[] corral(final String... args)
    {
        return Cli.run(args);
    }

    @Test
    void operatorCommandsShowTheClusterAndKillATask() throws Exception
    {
        final String id = launch("cli-" + System.nanoTime(), "sleep 60");
        awaitState(id, TaskState.RUNNING);
        final String[] tasks = corral("tasks", "--masters", cluster.mastersSpec());
        assertEquals("0", tasks[0], tasks[2]);
        assertTrue(tasks[1].startsWith("Tasks ("), tasks[1]);
        assertTrue(tasks[1].lines().skip(1).findFirst().orElse("").startsWith("FRAMEWORK"), tasks[1]);
        assertTrue(tasks[1].lines().anyMatch(l -> l.contains(id) && l.contains("RUNNING")), tasks[1]);
        final String[] frameworks = corral("frameworks", "--masters", cluster.mastersSpec(), "--json");
        assertTrue(frameworks[1].contains("\"principal\" : \"e2e-tester\""), frameworks[1]);
        final String[] agents = corral("agents", "--masters", cluster.mastersSpec(), "--json");
        final com.fasterxml.jackson.databind.JsonNode agentsJson = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(agents[1]);
        assertEquals(2, agentsJson.size(), agents[1]);
        assertTrue(agentsJson.get(0).path("attributes").isObject(), "attributes are an object: " + agents[1]);
        assertTrue(agentsJson.get(0).path("attributes").has("zone"), agents[1]);
        assertTrue(agentsJson.get(0).path("free").has("cpus") && agentsJson.get(0).path("used").has("mem"), agents[1]);
        final String[] tasksJson = corral("tasks", "--masters", cluster.mastersSpec(), "--json");
        for (final com.fasterxml.jackson.databind.JsonNode t : new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(tasksJson[1]))
        {
            if (t.path("taskId").asText().equals(id))
            {
                assertTrue(t.path("exitCode").isNull(), "a running task has no exit code yet: " + t);
                assertEquals("sleep 60", t.path("command").asText(), t.toString());
            }
        }
        final String[] state = corral("state", "--masters", cluster.mastersSpec());
        assertTrue(state[1].startsWith("leader: master " + cluster.leader().id()), state[1]);

        final String[] kill = corral("kill", id, "--masters", cluster.mastersSpec());
        assertEquals("0", kill[0], kill[2]);
        awaitState(id, TaskState.KILLED);
        final String[] again = corral("kill", id, "--masters", cluster.mastersSpec());
        assertEquals("2", again[0]);
        assertTrue(again[2].contains("has already ended"), again[2]);
        final String[] unknown = corral("kill", "no-such-task", "--masters", cluster.mastersSpec());
        assertTrue(unknown[2].contains("unknown task 'no-such-task'"), unknown[2]);
        final String[] nobody = corral("tasks", "--masters", "127.0.0.1:1");
        assertEquals("2", nobody[0]);
        assertTrue(nobody[2].contains("no master reachable"), nobody[2]);
        awaitAllResourcesBack();
    }

    /** The first offer to {@code other}, while the main framework keeps stepping aside. */
    private Offer firstOfferFor(final RecordingScheduler other) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline)
        {
            Offer held;
            while ((held = scheduler.offers.poll()) != null)
            {
                driver.declineOffer(held.offerId(), 5);
            }
            final Offer offer = other.offers.poll(100, TimeUnit.MILLISECONDS);
            if (offer != null)
            {
                return offer;
            }
        }
        return null;
    }

    @Test
    void aFrameworkInTwoRolesCanSuppressAndReviveOffersPerRole() throws Exception
    {
        final RecordingScheduler two = new RecordingScheduler();
        try (CorralSchedulerDriver roles = new CorralSchedulerDriver(two, FrameworkInfo.inRoles("two-roles", "ra", "rb"),
            cluster.mastersSpec()))
        {
            roles.start();
            final Offer first = firstOfferFor(two);
            assertNotNull(first);
            assertTrue(first.role().equals("ra") || first.role().equals("rb"), first.role());
            roles.suppressOffers(List.of());
            roles.declineOffer(first.offerId(), 0);
            Offer more;
            while ((more = two.offers.poll(1, TimeUnit.SECONDS)) != null)
            {
                roles.declineOffer(more.offerId(), 0);
            }
            assertEquals(null, two.offers.poll(2, TimeUnit.SECONDS), "suppressed in every role: no offers");
            roles.reviveOffers(List.of("rb"));
            final Offer revived = firstOfferFor(two);
            assertNotNull(revived, "revived in rb");
            assertEquals("rb", revived.role(), "ra stays suppressed");
            roles.acceptOffer(revived.offerId(), List.of(new TaskSpec("in-rb", "true", Resources.of(0.1, 32))));
            TaskStatus s;
            do
            {
                s = two.statuses.poll(10, TimeUnit.SECONDS);
            }
            while (s != null && !s.state().isTerminal());
            assertNotNull(s);
            assertEquals(TaskState.FINISHED, s.state());
            roles.stop();
            roles.join();
        }
        awaitAllResourcesBack();
    }

    @Test
    void aFrameworkReceivesOnTheAddressItIsGivenAndABadOneIsRefusedAtStart() throws Exception
    {
        assertTrue(driver.endpoint().startsWith("127.0.0.1:"), "toward masters on loopback it receives on loopback: " +
            driver.endpoint());
        final RecordingScheduler elsewhere = new RecordingScheduler();
        try (CorralSchedulerDriver other = new CorralSchedulerDriver(elsewhere, new FrameworkInfo("elsewhere", "test"),
            cluster.mastersSpec()).bindHost("127.0.0.2"))
        {
            other.start();
            assertTrue(other.endpoint().startsWith("127.0.0.2:"), other.endpoint());
            final Offer offer = firstOfferFor(elsewhere);
            assertNotNull(offer, "the masters send offers to the address the framework gave");
            final String id = "elsewhere-" + System.nanoTime();
            other.acceptOffer(offer.offerId(), List.of(new TaskSpec(id, "true", Resources.of(0.1, 32))));
            TaskStatus s;
            do
            {
                s = elsewhere.statuses.poll(10, TimeUnit.SECONDS);
            }
            while (s != null && s.state() != TaskState.FINISHED);
            assertNotNull(s, "its task's statuses came back to it");
        }
        final CorralSchedulerDriver nowhere = new CorralSchedulerDriver(new RecordingScheduler(),
            new FrameworkInfo("nowhere", "test"), cluster.mastersSpec()).bindHost("192.0.2.254");
        final IllegalStateException ex = assertThrows(IllegalStateException.class, nowhere::start);
        assertTrue(ex.getMessage().contains("cannot receive on 192.0.2.254"), ex.getMessage());
        nowhere.close();
        awaitAllResourcesBack();
    }

    @Test
    void aFrameworkThatStopsWithFailoverKeepsItsTasksAndReregistersWithItsId() throws Exception
    {
        final RecordingScheduler first = new RecordingScheduler();
        final FrameworkInfo info = new FrameworkInfo("failover-fw", "test").withFailoverTimeoutMs(60_000);
        final long id;
        try (CorralSchedulerDriver d1 = new CorralSchedulerDriver(first, info, cluster.mastersSpec()))
        {
            d1.start();
            final Offer o = firstOfferFor(first);
            assertNotNull(o);
            d1.acceptOffer(o.offerId(), List.of(new TaskSpec("keeps-running", "sleep 60", Resources.of(0.1, 32))));
            TaskStatus s;
            do
            {
                s = first.statuses.poll(10, TimeUnit.SECONDS);
            }
            while (s != null && s.state() != TaskState.RUNNING);
            assertNotNull(s);
            id = d1.frameworkId();
            d1.stop(true);
        }
        final RecordingScheduler second = new RecordingScheduler();
        try (CorralSchedulerDriver d2 = new CorralSchedulerDriver(second, info.withId(id), cluster.mastersSpec()))
        {
            d2.start();
            Await.whileTrue(Duration.ofSeconds(10), () -> second.frameworkId == 0);
            assertEquals(id, second.frameworkId, "re-registered under its old id");
            assertEquals(io.corral.codec.sbe.TaskState.RUNNING, cluster.leader().state().task(id, "keeps-running").state(),
                "its task kept running");
            d2.killTask("keeps-running");
            TaskStatus s;
            do
            {
                s = second.statuses.poll(10, TimeUnit.SECONDS);
            }
            while (s != null && !s.state().isTerminal());
            assertNotNull(s, "the new instance hears about the old instance's task");
            assertEquals(TaskState.KILLED, s.state());
            d2.stop();
        }
        awaitAllResourcesBack();
    }

    /** Runs {@code body} while the main framework keeps declining what it is offered. */
    private <T> T whileMainFrameworkStepsAside(final java.util.concurrent.Callable<T> body) throws Exception
    {
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final Thread decliner = new Thread(() ->
        {
            while (!stop.get())
            {
                try
                {
                    final Offer o = scheduler.offers.poll(50, TimeUnit.MILLISECONDS);
                    if (o != null)
                    {
                        driver.declineOffer(o.offerId(), 2);
                    }
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
        });
        decliner.start();
        try
        {
            return body.call();
        }
        finally
        {
            stop.set(true);
            decliner.join();
        }
    }

    @Test
    void corralRunRetriesPassesTheEnvironmentAndTimesOut() throws Exception
    {
        whileMainFrameworkStepsAside(() ->
        {
            runCommands();
            return null;
        });
        awaitAllResourcesBack();
    }

    private void runCommands() throws Exception
    {
        final Path marker = dir.resolve("marker-" + System.nanoTime());
        final String[] retried = corral("run", "--masters", cluster.mastersSpec(), "--attempts", "3", "--",
            "test -f " + marker + " || { touch " + marker + "; exit 7; }");
        assertEquals("0", retried[0], retried[1] + retried[2]);
        assertTrue(retried[1].contains("FAILED") && retried[1].contains("trying again") &&
            retried[1].contains("FINISHED"), retried[1]);

        final String[] env = corral("run", "--masters", cluster.mastersSpec(), "--env", "GREETING=hi", "--",
            "test \"$GREETING\" = hi");
        assertEquals("0", env[0], env[1] + env[2]);

        final String[] slow = corral("run", "--masters", cluster.mastersSpec(), "--timeout", "1", "--", "sleep 30");
        assertEquals("124", slow[0], slow[1] + slow[2]);
        assertTrue(slow[1].contains("KILLED"), slow[1]);

        final String[] failing = corral("run", "--masters", cluster.mastersSpec(), "--", "exit 5");
        assertEquals("5", failing[0], failing[1]);

        final String[] withSsd = corral("run", "--masters", cluster.mastersSpec(), "--resource", "ssd=10", "--", "true");
        assertEquals("0", withSsd[0], withSsd[1] + withSsd[2]);
        final String[] noFpga = corral("run", "--masters", cluster.mastersSpec(), "--resource", "fpga=1",
            "--offer-timeout", "2", "--", "true");
        assertTrue(!noFpga[0].equals("0") && noFpga[2].contains("no agent has 1 fpga"), noFpga[0] + noFpga[1] + noFpga[2]);
    }

    @Test
    void corralLogsPrintsAndFollowsASandboxAndServesNothingOutsideIt() throws Exception
    {
        final String id = launch("logs-" + System.nanoTime(), "echo first; echo oops >&2; sleep 1; echo second");
        awaitState(id, TaskState.RUNNING);
        final String[] followed = corral("logs", id, "--follow", "--masters", cluster.mastersSpec());
        assertEquals("0", followed[0], followed[2]);
        assertEquals("first\nsecond\n", followed[1], "followed until the task ended");
        final String[] err = corral("logs", id, "--stderr", "--masters", cluster.mastersSpec());
        assertEquals("oops\n", err[1]);
        final String agentHttp = cluster.agents().stream().map(io.corral.agent.AgentNode::httpEndpoint)
            .filter(h -> h != null).findFirst().orElseThrow();
        final var escape = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://" + agentHttp + "/files/" + scheduler.frameworkId + "/" + id +
                "?path=../../../../../../../../etc/passwd")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(403, escape.statusCode(), escape.body());
        final String[] unknown = corral("logs", "nope", "--masters", cluster.mastersSpec());
        assertEquals("2", unknown[0]);
        awaitAllResourcesBack();
    }

    @Test
    void wordcountCountsWhatWcCounts() throws Exception
    {
        final java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        final String[] vocabulary = { "raft", "offer", "agent", "task", "quorum", "leader", "share", "role" };
        final StringBuilder text = new StringBuilder();
        final java.util.Map<String, Long> expected = new java.util.HashMap<>();
        for (int line = 0; line < 2000; line++)
        {
            for (int w = random.nextInt(0, 12); w > 0; w--)
            {
                final String word = vocabulary[random.nextInt(vocabulary.length)];
                expected.merge(word, 1L, Long::sum);
                text.append(word).append(random.nextBoolean() ? " " : "\t ");
            }
            text.append('\n');
        }
        final Path input = dir.resolve("words-" + System.nanoTime() + ".txt");
        Files.writeString(input, text);
        final Process wc = new ProcessBuilder("wc", "-w", input.toString()).start();
        final long wcTotal = Long.parseLong(new String(wc.getInputStream().readAllBytes()).trim().split("\\s+")[0]);

        final String[] result = whileMainFrameworkStepsAside(() -> corral("wordcount", "--input", input.toString(),
            "--chunks", "64", "--top", "1", "--masters", cluster.mastersSpec()));

        assertEquals("0", result[0], result[1] + result[2]);
        final List<String> lines = result[1].lines().toList();
        assertEquals("total " + wcTotal, lines.get(lines.size() - 1), result[1]);
        // 64 chunks asked (2000 lines make 63): the size at which repeated updates used to be counted twice.
        final int chunks = io.corral.examples.WordCount.split(input, 64).size();
        assertTrue(result[1].contains(chunks + "/" + chunks + " chunks done"), result[1]);
        assertTrue(!result[1].contains((chunks + 1) + "/" + chunks), result[1]);
        final var top = expected.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).orElseThrow();
        assertEquals(top.getValue() + " " + top.getKey(), lines.get(lines.size() - 2));
        awaitAllResourcesBack();
    }

    @Test
    void twoOffersOfOneAgentCanBeAcceptedTogether() throws Exception
    {
        final Offer whole = takeOffer(o -> o.resources().cpusMilli() == 2000);
        final String first = "first-half-" + System.nanoTime();
        driver.acceptOffer(whole.offerId(), List.of(new TaskSpec(first, "sleep 1", Resources.of(0.5, 32))));
        // What the first task left is offered again; when it ends, its 0.5 cpus come as a second offer.
        final Offer rest = takeOffer(o -> o.agentId() == whole.agentId() && o.resources().cpusMilli() == 1500);
        awaitState(first, TaskState.FINISHED);
        final Offer freed = takeOffer(o -> o.agentId() == whole.agentId() && o.resources().cpusMilli() == 500);
        final String big = "whole-agent-" + System.nanoTime();
        driver.acceptOffers(List.of(rest.offerId(), freed.offerId()),
            List.of(new TaskSpec(big, "true", new Resources(2000, 1024, 0, 0))));
        awaitState(big, TaskState.FINISHED);

        final Offer a = takeOffer(o -> true);
        final Offer b = takeOffer(o -> o.agentId() != a.agentId());
        scheduler.errors.clear();
        driver.acceptOffers(List.of(a.offerId(), b.offerId()), List.of(new TaskSpec("across", "true",
            Resources.of(0.1, 32))));
        final String error = scheduler.errors.poll(10, TimeUnit.SECONDS);
        assertNotNull(error);
        assertTrue(error.contains("different agents"), error);
        driver.declineOffer(a.offerId(), 0);
        driver.declineOffer(b.offerId(), 0);
        awaitAllResourcesBack();
    }

    @Test
    void theArgvFormPassesArgumentsUnchanged() throws Exception
    {
        final String id = launch(TaskSpec.ofArgv("argv-" + System.nanoTime(), Resources.of(0.1, 32),
            "printf", "%s|", "two words", "it's", "$HOME", "a\nb"));
        final TaskStatus starting = awaitState(id, TaskState.STARTING);
        awaitState(id, TaskState.FINISHED);
        final String sandbox = starting.message().replace("sandbox: ", "");
        assertEquals("two words|it's|$HOME|a\nb|", Files.readString(Path.of(sandbox, "stdout")));
        assertThrows(IllegalArgumentException.class, () -> TaskSpec.ofArgv("x", Resources.of(0.1, 32)));
        awaitAllResourcesBack();
    }

    @Test
    void aTaskThatIgnoresSigtermIsKilledWithSigkillAfterItsGracePeriod() throws Exception
    {
        final String stubborn = launch(new TaskSpec("stubborn-" + System.nanoTime(),
            "trap '' TERM; touch trapped; sleep 60", Resources.of(0.1, 32)).withKillGraceMs(300));
        final String sandbox = awaitState(stubborn, TaskState.STARTING).message().replace("sandbox: ", "");
        awaitState(stubborn, TaskState.RUNNING);
        // Kill only once the shell ignores SIGTERM: RUNNING means started, not that it got that far.
        Await.whileTrue(Duration.ofSeconds(10), () -> !Files.exists(Path.of(sandbox, "trapped")));
        driver.killTask(stubborn);
        final TaskStatus killed = awaitState(stubborn, TaskState.KILLED);
        assertEquals(137, killed.exitCode(), "SIGTERM was ignored, SIGKILL ended it: " + killed.message());

        final String polite = launch("polite-" + System.nanoTime(), "sleep 60");
        awaitState(polite, TaskState.RUNNING);
        driver.killTask(polite);
        assertEquals(143, awaitState(polite, TaskState.KILLED).exitCode(), "SIGTERM was enough");
        awaitAllResourcesBack();
    }

    @Test
    void aTaskWhoseHealthCheckKeepsFailingIsKilledAsUnhealthy() throws Exception
    {
        final TaskSpec.HealthCheck check = new TaskSpec.HealthCheck("test -f ready", 200, 1000, 3);
        final String sick = launch(new TaskSpec("sick-" + System.nanoTime(), "sleep 60", Resources.of(0.1, 32))
            .withHealthCheck(check));
        final TaskStatus killed = awaitState(sick, TaskState.KILLED);
        assertTrue(killed.message().startsWith("UNHEALTHY"), killed.message());

        final String well = launch(new TaskSpec("well-" + System.nanoTime(), "touch ready; sleep 2",
            Resources.of(0.1, 32)).withHealthCheck(check));
        awaitState(well, TaskState.FINISHED);
        awaitAllResourcesBack();
    }

    @Test
    void anAcceptLargerThanOneAeronFrameLaunchesEveryTask() throws Exception
    {
        final Offer offer = takeOffer(o -> o.resources().cpusMilli() >= 600 && o.resources().memMiB() >= 240);
        final List<TaskSpec> tasks = new java.util.ArrayList<>();
        final String prefix = "batch-" + System.nanoTime() + "-";
        for (int i = 0; i < 60; i++)
        {
            tasks.add(new TaskSpec(prefix + i, "true # a comment to make the message longer than one Aeron frame",
                new Resources(10, 4, 0, 0)));
        }
        driver.acceptOffer(offer.offerId(), tasks);
        final java.util.Set<String> finished = new java.util.HashSet<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (finished.size() < 60 && System.nanoTime() < deadline)
        {
            final TaskStatus s = scheduler.statuses.poll(200, TimeUnit.MILLISECONDS);
            if (s != null && s.taskId().startsWith(prefix))
            {
                assertTrue(!s.state().isTerminal() || s.state() == TaskState.FINISHED, s.taskId() + " " + s.state() +
                    ": " + s.message());
                if (s.state() == TaskState.FINISHED)
                {
                    finished.add(s.taskId());
                }
            }
        }
        assertEquals(60, finished.size(), "every task of the large accept finished");
        awaitAllResourcesBack();
    }

    @Test
    void aTaskThatOutgrowsItsMemoryIsKilledWithMemoryLimit() throws Exception
    {
        final String id = launch("hog-" + System.nanoTime(),
            "python3 -c 'b = bytearray(300 * 1024 * 1024); import time; time.sleep(30)'");
        final TaskStatus failed = awaitState(id, TaskState.FAILED);
        assertTrue(failed.message().startsWith("MEMORY_LIMIT"), failed.message());
        assertTrue(failed.message().contains("32 MiB"), failed.message());
        awaitAllResourcesBack();
    }

    @Test
    void acceptingAnUnknownOrUsedOfferIsRefusedAndLaunchesNothing() throws Exception
    {
        scheduler.errors.clear();
        driver.acceptOffer(123456789L, List.of(new TaskSpec("ghost", "true", Resources.of(0.1, 32))));
        final String error = scheduler.errors.poll(10, TimeUnit.SECONDS);
        assertNotNull(error, "an error reaches the framework");
        assertTrue(error.contains("UNKNOWN_OFFER") && error.contains("123456789"), error);

        final Offer offer = takeOffer(o -> o.resources().cpusMilli() >= 200);
        final String first = "used-" + System.nanoTime();
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec(first, "true", Resources.of(0.1, 32))));
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec("again-" + first, "true", Resources.of(0.1, 32))));
        final String second = scheduler.errors.poll(10, TimeUnit.SECONDS);
        assertNotNull(second);
        assertTrue(second.contains("UNKNOWN_OFFER"), second);
        awaitState(first, TaskState.FINISHED);
        assertEquals(null, cluster.leader().state().task(scheduler.frameworkId, "again-" + first),
            "the second accept launched nothing");
        awaitAllResourcesBack();
    }

    @Test
    void taskAskingForMoreThanTheOfferGetsTaskErrorWithTheReason() throws Exception
    {
        final Offer offer = takeOffer(o -> true);
        final String id = "greedy-" + System.nanoTime();
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec(id, "true",
            new Resources(offer.resources().cpusMilli() + 1000, 32, 0, 0))));
        final TaskStatus error = awaitState(id, TaskState.ERROR);
        assertTrue(error.message().contains("but the offer has only"), error.message());
        assertEquals(null, cluster.leader().state().task(scheduler.frameworkId, id), "nothing was launched");
        awaitAllResourcesBack();
    }

    /** Waits for each task to reach its state, whatever order the updates come in. */
    private java.util.Map<String, TaskStatus> awaitStates(final java.util.Map<String, TaskState> wanted)
        throws InterruptedException
    {
        final java.util.Map<String, TaskStatus> seen = new java.util.HashMap<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (seen.size() < wanted.size() && System.nanoTime() < deadline)
        {
            final TaskStatus s = scheduler.statuses.poll(200, TimeUnit.MILLISECONDS);
            if (s != null && s.state() == wanted.get(s.taskId()))
            {
                seen.put(s.taskId(), s);
            }
        }
        assertEquals(wanted.keySet(), seen.keySet(), "every task reached its state within 30 s");
        return seen;
    }

    @Test
    void customResourceKindsAreOfferedAccountedAndCheckedByName() throws Exception
    {
        final Offer offer = takeOffer(o -> o.resources().custom("ssd") == AGENT_SSD && o.resources().cpusMilli() >= 300 &&
            o.resources().memMiB() >= 96);
        final String holder = "ssd-holder-" + System.nanoTime();
        final String tooMuch = "ssd-over-" + System.nanoTime();
        final String unknown = "fpga-" + System.nanoTime();
        driver.acceptOffer(offer.offerId(), List.of(
            new TaskSpec(holder, "sleep 60", Resources.of(0.1, 32).with("ssd", 60)),
            new TaskSpec(tooMuch, "true", Resources.of(0.1, 32).with("ssd", 50)),
            new TaskSpec(unknown, "true", Resources.of(0.1, 32).with("fpga", 1))));
        final var seen = awaitStates(java.util.Map.of(holder, TaskState.RUNNING, tooMuch, TaskState.ERROR,
            unknown, TaskState.ERROR));
        assertTrue(seen.get(tooMuch).message().contains("ssd 50 but the offer has only 40 left"),
            seen.get(tooMuch).message());
        assertTrue(seen.get(unknown).message().contains("'fpga' is unknown to the masters") &&
            seen.get(unknown).message().contains("--resource-kinds"), seen.get(unknown).message());

        // While the holder runs, its agent offers only what is left of the custom kind.
        final Offer rest = takeOffer(o -> o.agentId() == offer.agentId());
        assertEquals(AGENT_SSD - 60, rest.resources().custom("ssd"), rest.toString());
        driver.declineOffer(rest.offerId(), 0);
        for (final MasterNode m : cluster.masters())
        {
            final var task = m.state().task(scheduler.frameworkId, holder);
            assertNotNull(task, "master " + m.id() + " has the task");
            assertEquals(60, task.resources()[m.vectors().kinds().indexOf("ssd")]);
        }
        final String json = corral("agents", "--json", "--masters", cluster.mastersSpec())[1];
        assertTrue(json.contains("\"ssd\" : " + AGENT_SSD), json);
        final String table = corral("agents", "--masters", cluster.mastersSpec())[1];
        assertTrue(table.contains("ssd:" + AGENT_SSD), table);

        driver.killTask(holder);
        awaitState(holder, TaskState.KILLED);
        awaitAllResourcesBack();
    }

    @Test
    void anAgentOfferingAKindTheMastersDoNotKnowIsRefusedWithTheFix() throws Exception
    {
        final io.corral.agent.AgentNode stranger = new io.corral.agent.AgentNode(new io.corral.agent.AgentConfig()
            .masters(cluster.mastersSpec()).cpus(1).memMiB(256).diskMiB(0).resources("fpga:2").hostname("stranger")
            .workDir(dir.resolve("stranger").toFile()));
        try
        {
            Await.whileTrue(Duration.ofSeconds(20), () -> stranger.lastRefusal() == null);
            final String refusal = stranger.lastRefusal();
            assertNotNull(refusal, "the leader answered the registration");
            assertTrue(refusal.contains("'fpga'") && refusal.contains("--resource-kinds"), refusal);
            assertEquals(0, stranger.agentId(), "not admitted");
            for (final MasterNode m : cluster.masters())
            {
                assertTrue(m.state().agents().stream().noneMatch(a -> a.hostname().equals("stranger")),
                    "master " + m.id() + " did not admit it");
            }
        }
        finally
        {
            stranger.close();
        }
    }

    @Test
    void malformedFrameGetsAnErrorReplyAndTheMasterKeepsServing() throws Exception
    {
        final MasterNode leader = cluster.leader();
        final Aeron aeron = MediaDrivers.connect();
        try (Subscription replies = aeron.addSubscription(Protocol.channel("127.0.0.1:0"), Protocol.STREAM_ID);
            ExclusivePublication toLeader = aeron.addExclusivePublication(Protocol.channel(leader.address()),
                Protocol.STREAM_ID))
        {
            String endpoint;
            while ((endpoint = replies.resolvedEndpoint()) == null)
            {
                Thread.onSpinWait();
            }
            final Outbound out = new Outbound();
            // Introduce ourselves (a subscription in a role the master rejects), then send garbage.
            out.subscribe.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(0).name("x").role("-bad")
                .endpoint(endpoint).principal("");
            awaitOffer(toLeader, out.buffer, Outbound.length(out.subscribe.encodedLength()));
            final UnsafeBuffer garbage = new UnsafeBuffer(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 });
            awaitOffer(toLeader, garbage, 12);
            final ErrorReplyDecoder error = new ErrorReplyDecoder();
            final MessageHeaderDecoder header = new MessageHeaderDecoder();
            final java.util.List<String> seen = new java.util.ArrayList<>();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seen.size() < 2 && System.nanoTime() < deadline)
            {
                // (the master sends what it has for one endpoint in a cycle as one Bundle frame)
                replies.poll((frame, frameOffset, frameLength, h) -> io.corral.codec.Bundle.forEach(frame, frameOffset,
                    frameLength, (buffer, offset, length) ->
                    {
                        header.wrap(buffer, offset);
                        if (header.templateId() == ErrorReplyDecoder.TEMPLATE_ID)
                        {
                            error.wrapAndApplyHeader(buffer, offset, header);
                            seen.add(error.code() + " " + error.message());
                        }
                    }), 10);
                Thread.sleep(5);
            }
            assertEquals(2, seen.size(), "two error replies: " + seen);
            assertTrue(seen.get(0).contains("role '-bad' is invalid"), seen.get(0));
            assertTrue(seen.get(1).contains("bad frame"), seen.get(1));
        }
        finally
        {
            MediaDrivers.release(aeron);
        }
        final String id = launch("after-garbage-" + System.nanoTime(), "true");
        awaitState(id, TaskState.FINISHED);
    }

    @Test
    void withExplicitAcknowledgementsUpdatesComeWithoutWaitingAndARepeatIsNotHandedOverAgain() throws Exception
    {
        final RecordingScheduler explicit = new RecordingScheduler();
        try (CorralSchedulerDriver second = new CorralSchedulerDriver(explicit, new FrameworkInfo("explicit", "test"),
            cluster.mastersSpec()).explicitAcknowledgements())
        {
            second.start();
            // Let the second framework have the agents: the first keeps giving back what it is offered.
            Offer offer = null;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (offer == null && System.nanoTime() < deadline)
            {
                Offer held;
                while ((held = scheduler.offers.poll()) != null)
                {
                    driver.declineOffer(held.offerId(), 3);
                }
                offer = explicit.offers.poll(100, TimeUnit.MILLISECONDS);
            }
            assertNotNull(offer, "the second framework gets an offer");
            second.acceptOffer(offer.offerId(), List.of(new TaskSpec("acked", "true", Resources.of(0.1, 32))));
            // The agent sends each update as it has it, without waiting for the acknowledgement of the
            // one before (issue 27): STARTING, RUNNING and FINISHED come in order, none acknowledged.
            final List<TaskStatus> got = new ArrayList<>();
            while (got.size() < 3)
            {
                final TaskStatus s = explicit.statuses.poll(10, TimeUnit.SECONDS);
                assertNotNull(s, "the next update, unacknowledged ones before it; so far " + got);
                got.add(s);
            }
            assertEquals(List.of(TaskState.STARTING, TaskState.RUNNING, TaskState.FINISHED),
                got.stream().map(TaskStatus::state).toList());
            // The agent resends them (after 1 s, then 2 s) and the master redelivers them, but the
            // driver hands each update to the scheduler once.
            assertEquals(null, explicit.statuses.poll(4, TimeUnit.SECONDS), "a repeat is not handed over again");
            got.forEach(second::acknowledgeStatusUpdate);
            second.stop();
        }
    }

    private static java.net.http.HttpResponse<String> postRole(final MasterNode master, final String name,
        final String json) throws Exception
    {
        final int port = Protocol.port(master.address()) + Protocol.HTTP_PORT_OFFSET;
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + port + "/api/v1/roles/" + name))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json")
            .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static java.net.http.HttpResponse<String> get(final MasterNode master, final String path) throws Exception
    {
        final int port = Protocol.port(master.address()) + Protocol.HTTP_PORT_OFFSET;
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + port + path)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one sample line of a Prometheus text page, e.g. {@code corral_agents}. */
    private static double sample(final String page, final String series)
    {
        for (final String line : page.split("\n"))
        {
            if (line.startsWith(series + " "))
            {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        fail("no sample " + series + " in:\n" + page);
        return -1;
    }

    @Test
    void everyMasterServesPrometheusMetricsAndTheWebUi() throws Exception
    {
        launch(new TaskSpec("metered-" + System.nanoTime(), "true", Resources.of(0.1, 32)));
        final MasterNode leader = cluster.leader();
        final var metrics = get(leader, "/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
            metrics.headers().toString());
        final String page = metrics.body();
        assertEquals(1.0, sample(page, "corral_leader"));
        assertEquals(cluster.agents().size(), sample(page, "corral_agents"));
        assertTrue(sample(page, "corral_offers_sent_total") > 0, page);
        assertTrue(sample(page, "corral_tasks_launched_total") > 0, page);
        assertTrue(sample(page, "corral_allocation_pass_seconds_count{kind=\"full\"}") > 0, page);
        assertTrue(sample(page, "corral_log_commit_seconds_count") > 0, page);
        final double p99 = sample(page, "corral_log_commit_seconds{quantile=\"0.99\"}");
        assertTrue(p99 > 0 && p99 < 60, "a commit latency in seconds: " + p99);
        for (final MasterNode m : cluster.masters())
        {
            if (m != leader)
            {
                final String followerPage = get(m, "/metrics").body();
                assertEquals(0.0, sample(followerPage, "corral_leader"), "master " + m.id());
                assertEquals(sample(page, "corral_term"), sample(followerPage, "corral_term"));
            }
        }

        final var ui = get(cluster.masters().get(0), "/");
        assertEquals(200, ui.statusCode());
        assertTrue(ui.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(ui.body().contains("<title>Corral</title>") && ui.body().contains("/api/v1/state"), ui.body());
        final var missing = get(leader, "/no-such-page");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("/api/v1/state"), missing.body());
    }

    @Test
    void roleWeightsAndQuotasAreCheckedByTheLeaderAndReplicatedToEveryMaster() throws Exception
    {
        final MasterNode leader = cluster.leader();
        final MasterNode follower = cluster.masters().stream().filter(m -> m != leader).findFirst().orElseThrow();
        final var redirected = postRole(follower, "analytics", "{\"weight\": 3}");
        assertEquals(421, redirected.statusCode(), redirected.body());
        assertTrue(redirected.body().contains(leader.address()), redirected.body());

        final var tooBig = postRole(leader, "analytics", "{\"guarantee\": \"cpus:100\"}");
        assertEquals(400, tooBig.statusCode());
        assertTrue(tooBig.body().contains("too large"), tooBig.body());
        final var badWeight = postRole(leader, "analytics", "{\"weight\": -1}");
        assertEquals(400, badWeight.statusCode());

        final var unknownKind = postRole(leader, "analytics", "{\"limit\": \"fpga:1\"}");
        assertEquals(400, unknownKind.statusCode());
        assertTrue(unknownKind.body().contains("fpga"), unknownKind.body());

        final var ok = postRole(leader, "analytics",
            "{\"weight\": 3, \"guarantee\": \"cpus:1;mem:512\", \"limit\": \"cpus:3;ssd:20\"}");
        assertEquals(200, ok.statusCode(), ok.body());
        for (final MasterNode m : cluster.masters())
        {
            Await.whileTrue(Duration.ofSeconds(10), () -> m.state().roles().isEmpty());
            assertEquals(1, m.state().roles().size(), "master " + m.id() + " has the role");
            final var role = m.state().roles().get(0);
            assertEquals("analytics", role.name());
            assertEquals(3.0, role.weight());
            assertEquals(1000, role.guarantee()[0]);
            assertEquals(3000, role.limit()[0]);
            assertEquals(Long.MAX_VALUE, role.limit()[1], "kinds without a limit have none");
            assertEquals(20, role.limit()[m.state().vectors().kinds().indexOf("ssd")], "a custom kind's limit");
        }
        final com.fasterxml.jackson.databind.JsonNode state = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(corral("state", "--masters", cluster.mastersSpec(), "--json")[1]);
        for (final com.fasterxml.jackson.databind.JsonNode r : state.path("roles"))
        {
            if (r.path("name").asText().equals("analytics"))
            {
                assertTrue(r.path("limit").path("mem").isNull(), "no limit is null, not 2^63-1: " + r);
                assertEquals(3.0, r.path("limit").path("cpus").asDouble(), r.toString());
            }
        }
    }

    private static void awaitOffer(final ExclusivePublication pub, final org.agrona.DirectBuffer buffer,
        final int length) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pub.offer(buffer, 0, length) < 0)
        {
            if (System.nanoTime() > deadline)
            {
                fail("could not send to the leader");
            }
            Thread.sleep(5);
        }
    }

    private TaskState replicatedState(final String taskId) throws InterruptedException
    {
        // Every master applies the same log: all three must agree on the task's state.
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        TaskState agreed = null;
        while (System.nanoTime() < deadline)
        {
            agreed = null;
            boolean same = true;
            for (final MasterNode m : cluster.masters())
            {
                final var task = m.state().task(scheduler.frameworkId, taskId);
                final TaskState s = task == null ? null : TaskState.valueOf(task.state().name());
                if (agreed == null)
                {
                    agreed = s;
                }
                same &= s != null && s == agreed;
            }
            if (same && agreed != null && agreed.isTerminal())
            {
                return agreed;
            }
            Thread.sleep(50);
        }
        return agreed;
    }
}
