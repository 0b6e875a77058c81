package io.corral.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.HelloEncoder;
import io.corral.master.MasterNode;
import io.corral.testkit.Await;
import io.corral.testkit.RecordingScheduler;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Strangers without a credential against a quorum started as {@code corral dev} starts it: Hellos
 * whose endpoint smuggles Aeron URI parameters or names a host open nothing, and a flood of
 * Hellos naming tens of thousands of endpoints (the 70,000 the security review sent) keeps the
 * masters' publications bounded and does not stop a framework from logging in after a leader kill.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StrangerFloodTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<AutoCloseable> closing = new ArrayList<>();

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

    /** A stranger's Aeron publication to one master, and Hellos made with the codec's own encoder. */
    private static final class Stranger implements AutoCloseable
    {
        private final Aeron aeron = MediaDrivers.connect();
        private final ExclusivePublication publication;
        private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(512);
        private final HelloEncoder hello = new HelloEncoder();
        private final io.corral.codec.sbe.MessageHeaderEncoder header = new io.corral.codec.sbe.MessageHeaderEncoder();
        private final byte[] nonce = new byte[16];

        Stranger(final String master)
        {
            publication = aeron.addExclusivePublication(Protocol.channel(master), Protocol.STREAM_ID);
        }

        /** Sends a Hello naming {@code endpoint}; false if the publication is back-pressured (or not connected). */
        boolean hello(final String endpoint)
        {
            hello.wrapAndApplyHeader(buffer, 0, header).putClientNonce(nonce, 0, 16).principal("stranger")
                .endpoint(endpoint);
            return Outbound.offer(publication, buffer, Outbound.length(hello.encodedLength()));
        }

        @Override
        public void close()
        {
            publication.close();
            MediaDrivers.release(aeron);
        }
    }

    private static double metric(final MasterNode m, final String series)
    {
        try
        {
            return MasterProbe.metric(m, series);
        }
        catch (final Exception ex)
        {
            return Double.NaN;
        }
    }

    @Test
    void hellosFromStrangersOpenNothingBadAndDoNotKeepAFrameworkOut() throws Exception
    {
        cluster = LocalCluster.secured(dir.toFile(), 3, 1, LocalCluster.freeBasePort(3), 1, 512, c -> { }, "");
        final MasterNode leader = cluster.awaitReady(60, TimeUnit.SECONDS);
        final String provisional = "corral_publications_open{kind=\"provisional\"}";

        // Endpoints that are not a plain address:port: each dropped and counted, nothing opened.
        final Stranger atLeader = new Stranger(leader.address());
        closing.add(atLeader);
        final String[] bad = { "127.0.0.1:9|term-length=1g", "host:1|term-length=1g", "no-such-host.invalid:1",
            "127.0.0.q:17190", "127.0.0.1:0" };
        for (final String endpoint : bad)
        {
            Await.until("the Hello naming " + endpoint + " goes out", WAIT, () -> atLeader.hello(endpoint));
        }
        Await.until("all " + bad.length + " counted", WAIT,
            () -> metric(leader, "corral_endpoints_refused_total") >= bad.length);
        assertEquals(0, metric(leader, provisional), "no publication for any of them");

        // The flood: Hellos naming a new endpoint each, from one stranger per master, while the leader
        // is killed and a framework logs in to the next one.
        final List<Stranger> strangers = new ArrayList<>();
        for (final MasterNode m : cluster.masters())
        {
            strangers.add(m == leader ? atLeader : new Stranger(m.address()));
        }
        strangers.stream().filter(s -> s != atLeader).forEach(closing::add);
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong sent = new AtomicLong();
        final Thread flood = new Thread(() ->
        {
            // As fast as the masters take them, but never spinning: on a 2-core machine a spinning
            // sender would starve the masters' own threads (their elections), which is not what is tested.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            for (int i = 0; !stop.get() && System.nanoTime() < deadline && sent.get() < 2_000_000; i++)
            {
                if (strangers.get(i % strangers.size()).hello("127.0.0.1:" + (10_000 + i % 50_000)))
                {
                    sent.incrementAndGet();
                }
                else
                {
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
                if (i % 1_000 == 999)
                {
                    Thread.yield();
                }
            }
        }, "stranger-flood");
        flood.setDaemon(true);
        flood.start();
        closing.add(() ->
        {
            stop.set(true);
            flood.join(10_000);
        });
        Await.until("70,000 Hellos sent", WAIT, () -> sent.get() >= 70_000);
        for (final MasterNode m : cluster.masters())
        {
            final double open = metric(m, provisional);
            assertTrue(open <= 2_048, "master " + m.id() + " holds " + open + " provisional publications");
        }
        assertTrue(metric(leader, "corral_auth_refused_total{reason=\"rate_limited\"}") > 0,
            "the flood was held to its budget");

        cluster.stopMaster(leader);
        Await.until("a new leader", WAIT, () -> cluster.leader() != null);
        final RecordingScheduler scheduler = new RecordingScheduler();
        final CorralSchedulerDriver driver = new CorralSchedulerDriver(scheduler, new FrameworkInfo("after-flood",
            "default"), cluster.mastersSpec()).credential(cluster.credential(LocalCluster.OPERATOR_PRINCIPAL));
        closing.add(driver);
        driver.start();
        assertNotNull(scheduler.offers.poll(WAIT.toSeconds(), TimeUnit.SECONDS),
            "the framework logged in and was offered while " + sent.get() + " Hellos had been sent");
        assertTrue(flood.isAlive() || sent.get() >= 70_000, "the flood went on meanwhile");
        stop.set(true);
    }
}
