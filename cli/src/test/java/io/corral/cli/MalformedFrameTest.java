package io.corral.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.corral.agent.AgentNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.AcceptDecoder;
import io.corral.codec.sbe.AcknowledgeDecoder;
import io.corral.codec.sbe.AgentHeartbeatDecoder;
import io.corral.codec.sbe.AgentLostDecoder;
import io.corral.codec.sbe.AgentRegisteredDecoder;
import io.corral.codec.sbe.DeclineDecoder;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.KillDecoder;
import io.corral.codec.sbe.KillTaskDecoder;
import io.corral.codec.sbe.MessageHeaderEncoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.OfferDecoder;
import io.corral.codec.sbe.OfferRescindedDecoder;
import io.corral.codec.sbe.ReconcileDecoder;
import io.corral.codec.sbe.RegisterAgentDecoder;
import io.corral.codec.sbe.RunTaskDecoder;
import io.corral.codec.sbe.StatusAckDecoder;
import io.corral.codec.sbe.StatusUpdateDecoder;
import io.corral.codec.sbe.SubscribeDecoder;
import io.corral.codec.sbe.SubscribedDecoder;
import io.corral.codec.sbe.SuppressDecoder;
import io.corral.codec.sbe.TaskStatusDecoder;
import io.corral.codec.sbe.TeardownDecoder;
import io.corral.master.MasterNode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.corral.testkit.RecordingScheduler;
import io.corral.testkit.Await;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile frames at every endpoint role (masters, agents, a framework's driver): random bytes,
 * truncated frames, and valid headers whose var-data length claims 1 GiB or points past the end.
 * These used to make every master's decoders allocate the claimed length (OutOfMemoryError) and
 * end its duty thread. Afterwards every node must still be cycling and a task must launch.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MalformedFrameTest
{
    private static final int[][] MASTER_TEMPLATES = {
        { RegisterAgentDecoder.TEMPLATE_ID, RegisterAgentDecoder.BLOCK_LENGTH },
        { AgentHeartbeatDecoder.TEMPLATE_ID, AgentHeartbeatDecoder.BLOCK_LENGTH },
        { StatusUpdateDecoder.TEMPLATE_ID, StatusUpdateDecoder.BLOCK_LENGTH },
        { SubscribeDecoder.TEMPLATE_ID, SubscribeDecoder.BLOCK_LENGTH },
        { AcceptDecoder.TEMPLATE_ID, AcceptDecoder.BLOCK_LENGTH },
        { DeclineDecoder.TEMPLATE_ID, DeclineDecoder.BLOCK_LENGTH },
        { KillDecoder.TEMPLATE_ID, KillDecoder.BLOCK_LENGTH },
        { AcknowledgeDecoder.TEMPLATE_ID, AcknowledgeDecoder.BLOCK_LENGTH },
        { TeardownDecoder.TEMPLATE_ID, TeardownDecoder.BLOCK_LENGTH },
        { ReconcileDecoder.TEMPLATE_ID, ReconcileDecoder.BLOCK_LENGTH },
        { SuppressDecoder.TEMPLATE_ID, SuppressDecoder.BLOCK_LENGTH },
    };
    private static final int[][] AGENT_TEMPLATES = {
        { AgentRegisteredDecoder.TEMPLATE_ID, AgentRegisteredDecoder.BLOCK_LENGTH },
        { NotLeaderDecoder.TEMPLATE_ID, NotLeaderDecoder.BLOCK_LENGTH },
        { RunTaskDecoder.TEMPLATE_ID, RunTaskDecoder.BLOCK_LENGTH },
        { KillTaskDecoder.TEMPLATE_ID, KillTaskDecoder.BLOCK_LENGTH },
        { StatusAckDecoder.TEMPLATE_ID, StatusAckDecoder.BLOCK_LENGTH },
        { ErrorReplyDecoder.TEMPLATE_ID, ErrorReplyDecoder.BLOCK_LENGTH },
    };
    private static final int[][] CLIENT_TEMPLATES = {
        { SubscribedDecoder.TEMPLATE_ID, SubscribedDecoder.BLOCK_LENGTH },
        { NotLeaderDecoder.TEMPLATE_ID, NotLeaderDecoder.BLOCK_LENGTH },
        { OfferDecoder.TEMPLATE_ID, OfferDecoder.BLOCK_LENGTH },
        { TaskStatusDecoder.TEMPLATE_ID, TaskStatusDecoder.BLOCK_LENGTH },
        { OfferRescindedDecoder.TEMPLATE_ID, OfferRescindedDecoder.BLOCK_LENGTH },
        { ErrorReplyDecoder.TEMPLATE_ID, ErrorReplyDecoder.BLOCK_LENGTH },
        { AgentLostDecoder.TEMPLATE_ID, AgentLostDecoder.BLOCK_LENGTH },
    };

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private CorralSchedulerDriver driver;
    private Aeron aeron;
    private final List<ExclusivePublication> publications = new ArrayList<>();

    @AfterEach
    void stop()
    {
        publications.forEach(ExclusivePublication::close);
        if (aeron != null)
        {
            MediaDrivers.release(aeron);
        }
        if (driver != null)
        {
            driver.close();
        }
        if (cluster != null)
        {
            cluster.close();
        }
    }

    /** Frames of every kind that must be refused: ~100 per template plus random and truncated ones. */
    private static List<byte[]> hostileFrames(final int[][] templates, final SplittableRandom random)
    {
        final List<byte[]> frames = new ArrayList<>();
        for (final int[] t : templates)
        {
            for (int i = 0; i < 40; i++)
            {
                // A correct header and a zeroed block, then a var-data length of 1 GiB (the schema's
                // maximum), or of a little past what follows, or a random one.
                final int tail = random.nextInt(0, 64);
                final byte[] frame = new byte[MessageHeaderEncoder.ENCODED_LENGTH + t[1] + 4 + tail];
                final UnsafeBuffer b = new UnsafeBuffer(frame);
                new MessageHeaderEncoder().wrap(b, 0).blockLength(t[1]).templateId(t[0]).schemaId(Protocol.SCHEMA_ID)
                    .version(Protocol.SCHEMA_VERSION);
                final int length = switch (i % 3)
                {
                    case 0 -> 1 << 30;
                    case 1 -> tail + 1 + random.nextInt(0, 1000);
                    default -> random.nextInt();
                };
                b.putInt(MessageHeaderEncoder.ENCODED_LENGTH + t[1], length, ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < tail; k++)
                {
                    frame[frame.length - tail + k] = (byte)random.nextInt(256);
                }
                frames.add(frame);
            }
            // Truncated: a header that promises a block the frame does not have.
            final byte[] cut = new byte[MessageHeaderEncoder.ENCODED_LENGTH + 2];
            new MessageHeaderEncoder().wrap(new UnsafeBuffer(cut), 0).blockLength(t[1] + 8).templateId(t[0])
                .schemaId(Protocol.SCHEMA_ID).version(Protocol.SCHEMA_VERSION);
            frames.add(cut);
        }
        for (int i = 0; i < 100; i++)
        {
            final byte[] noise = new byte[random.nextInt(1, 300)];
            random.nextBytes(noise);
            frames.add(noise);
        }
        return frames;
    }

    private void send(final String endpoint, final List<byte[]> frames) throws InterruptedException
    {
        final ExclusivePublication pub = aeron.addExclusivePublication(Protocol.channel(endpoint), Protocol.STREAM_ID);
        publications.add(pub);
        for (final byte[] frame : frames)
        {
            final UnsafeBuffer b = new UnsafeBuffer(frame);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (pub.offer(b, 0, frame.length) < 0)
            {
                if (System.nanoTime() > deadline)
                {
                    fail("could not send to " + endpoint);
                }
                Thread.sleep(1);
            }
        }
    }

    @Test
    void shouldRefuseHostileFramesEverywhereAndStillLaunchATask() throws Exception
    {
        cluster = new LocalCluster(dir.toFile(), 3, 2, LocalCluster.freeBasePort(3), 2, 2048);
        cluster.awaitReady(60, TimeUnit.SECONDS);
        final RecordingScheduler recorder = new RecordingScheduler();
        driver = new CorralSchedulerDriver(recorder, new FrameworkInfo("hostile", "test"), cluster.mastersSpec());
        driver.start();
        Await.until("the framework registered", Duration.ofSeconds(30), () -> recorder.frameworkId != 0);
        aeron = MediaDrivers.connect();
        final SplittableRandom random = new SplittableRandom(7);
        for (final MasterNode m : cluster.masters())
        {
            send(m.address(), hostileFrames(MASTER_TEMPLATES, random));
        }
        for (final AgentNode a : cluster.agents())
        {
            send(a.endpoint(), hostileFrames(AGENT_TEMPLATES, random));
        }
        send(driver.endpoint(), hostileFrames(CLIENT_TEMPLATES, random));

        // Every master goes on cycling and says it is healthy.
        final HttpClient http = HttpClient.newHttpClient();
        for (final MasterNode m : cluster.masters())
        {
            Await.until("master " + m.id() + " reads its frames", Duration.ofSeconds(30),
                () -> metric(http, m, "corral_bad_frames_total") >= 300);
            assertTrue(m.dutyIdleMs() < 5_000, "master " + m.id() + "'s duty thread cycles");
            final HttpResponse<String> health = http.send(HttpRequest.newBuilder(healthUri(m)).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
        }

        // And the whole path still works: offer, launch, agent runs it, framework told.
        recorder.statuses.clear();
        Offer offer = null;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (offer == null && System.nanoTime() < deadline)
        {
            final Offer o = recorder.offers.poll(200, TimeUnit.MILLISECONDS);
            if (o != null && o.resources().cpusMilli() >= 100)
            {
                offer = o;
            }
        }
        assertNotNull(offer, "offers still come");
        driver.acceptOffer(offer.offerId(), List.of(new TaskSpec("after-garbage", "true", Resources.of(0.1, 16))));
        TaskStatus s;
        do
        {
            s = recorder.statuses.poll(30, TimeUnit.SECONDS);
            assertNotNull(s, "the task reports");
        }
        while (!s.state().isTerminal());
        assertEquals(TaskState.FINISHED, s.state(), s.toString());
    }

    private static URI healthUri(final MasterNode m)
    {
        return URI.create("http://" + Protocol.host(m.address()) + ":" + (Protocol.port(m.address()) +
            Protocol.HTTP_PORT_OFFSET) + "/health");
    }

    private static double metric(final HttpClient http, final MasterNode m, final String name)
    {
        try
        {
            final String body = http.send(HttpRequest.newBuilder(URI.create("http://" + Protocol.host(m.address()) + ":" +
                (Protocol.port(m.address()) + Protocol.HTTP_PORT_OFFSET) + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
            for (final String line : body.split("\n"))
            {
                if (line.startsWith(name + " "))
                {
                    return Double.parseDouble(line.substring(name.length() + 1).trim());
                }
            }
            return 0;
        }
        catch (final Exception ex)
        {
            return 0;
        }
    }
}
