package io.corral.master;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.corral.codec.Credentials;
import io.corral.codec.SessionCipher;
import io.corral.codec.sbe.ChallengeDecoder;
import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.OfferDecoder;
import io.corral.codec.sbe.RunTaskDecoder;
import io.corral.codec.sbe.SealedDecoder;
import io.corral.codec.sbe.TaskState;
import io.corral.codec.sbe.TaskStatusDecoder;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterProperty;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes a leading master's inbound adapter (MasterInbound, its Sessions gate, the endpoint and
 * the Controls behind it, one {@link InProcessLeader}) with random frames and edited valid ones
 * ({@link FrameMutation}), as a stranger on the network sends them. Nothing may throw out of the
 * adapter, nothing the leader proposes may fail to apply, and afterwards the master still serves.
 * With credentials, no frame made without the session key may change anything: no proposal, no
 * effect a client would see. Tries: {@code jqwik.tries.default} (20,000 in the build; the long
 * run in chaos/README.md gives 1,000,000). A hang ends in surefire's timeout.
 */
class InboundFuzzTest
{
    private static final long SECOND = 1_000_000_000L;
    private static final String AGENT = "127.0.0.1:41001";
    private static final String FRAMEWORK = "127.0.0.1:41002";
    /** The hostile insider's own agent and framework: authenticated, and lying. */
    private static final String INSIDER_AGENT = "127.0.0.1:41011";
    private static final String INSIDER_FRAMEWORK = "127.0.0.1:41012";

    private final Frames frames = new Frames();
    private final Sink sink = new Sink();
    private final List<byte[]> corpus = new ArrayList<>();
    private InProcessLeader leader;
    private long now = 1_000 * SECOND;
    private long agentId;
    private long frameworkId;
    private int tries;
    /** Secure runs only: the ciphers the genuine agent and framework hold, and the state before fuzzing. */
    private SessionCipher agentCipher;
    private SessionCipher frameworkCipher;
    private String before;
    /** Insider runs only: the insider's ciphers, what it sends (mutated), and the victims before it did. */
    private Credentials credentials;
    private SessionCipher insiderAgentCipher;
    private SessionCipher insiderFrameworkCipher;
    private final List<byte[]> insiderCorpus = new ArrayList<>();
    private String victimsBefore;

    /** What the master sends, counted per endpoint and (for sealed frames) per template inside. */
    private static final class Sink implements Peers
    {
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final SealedDecoder sealed = new SealedDecoder();
        private final UnsafeBuffer inner = new UnsafeBuffer(0, 0);
        private final ChallengeDecoder challenge = new ChallengeDecoder();
        private final OfferDecoder offer = new OfferDecoder();
        final Map<String, long[]> byEndpoint = new HashMap<>();
        final Map<String, Long> lastOffer = new HashMap<>();
        long challengeSession;
        final byte[] serverNonce = new byte[16];

        @Override
        public void send(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
        {
            header.wrap(buffer, 0);
            DirectBuffer b = buffer;
            if (header.templateId() == SealedDecoder.TEMPLATE_ID)
            {
                sealed.wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
                sealed.wrapFrame(inner);
                b = inner;
                header.wrap(b, 0);
            }
            final int template = header.templateId();
            byEndpoint.computeIfAbsent(endpoint, e -> new long[64])[template]++;
            if (template == OfferDecoder.TEMPLATE_ID)
            {
                lastOffer.put(endpoint, offer.wrap(b, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
                    header.version()).offerId());
            }
            else if (template == ChallengeDecoder.TEMPLATE_ID)
            {
                challenge.wrap(b, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
                challengeSession = challenge.session();
                challenge.getServerNonce(serverNonce, 0, 16);
            }
        }

        long total(final int template)
        {
            return byEndpoint.values().stream().mapToLong(c -> c[template]).sum();
        }

        long count(final String endpoint, final int template)
        {
            return byEndpoint.getOrDefault(endpoint, new long[64])[template];
        }

        /** Everything sent to the genuine clients but the handshake's unsealed answers. */
        long toClients()
        {
            long n = 0;
            for (final String e : List.of(AGENT, FRAMEWORK))
            {
                final long[] counts = byEndpoint.getOrDefault(e, new long[64]);
                for (int t = 0; t < counts.length; t++)
                {
                    n += t == ChallengeDecoder.TEMPLATE_ID || t == io.corral.codec.sbe.AuthFailedDecoder.TEMPLATE_ID ||
                        t == io.corral.codec.sbe.ErrorReplyDecoder.TEMPLATE_ID ? 0 : counts[t];
                }
            }
            return n;
        }
    }

    private static MasterConfig config()
    {
        return new MasterConfig().id(1).peers("1=127.0.0.1:40000").agentTimeoutMs(3_600_000)
            .frameworkTimeoutMs(3_600_000).offerTimeoutMs(0);
    }

    /** A duty cycle after {@code nanos}, its proposals committed. */
    private void after(final long nanos)
    {
        now += nanos;
        leader.cycle(now);
        leader.commit();
    }

    /** {@code frame} as the genuine client with {@code cipher} sends it (sealed when it has a session). */
    private byte[] as(final SessionCipher cipher, final byte[] frame)
    {
        if (cipher == null)
        {
            return frame;
        }
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer(frame.length + 128);
        final int n = cipher.seal(new UnsafeBuffer(frame), 0, frame.length, out);
        final byte[] bytes = new byte[n];
        out.getBytes(0, bytes);
        return bytes;
    }

    private void deliver(final byte[] frame, final int aeronSession)
    {
        leader.onFrame(new UnsafeBuffer(frame), 0, frame.length, aeronSession);
    }

    /** The handshake a client makes; returns its cipher. */
    private SessionCipher hello(final Credentials credentials, final String principal, final String endpoint,
        final int aeronSession)
    {
        final byte[] nonce = new byte[16];
        nonce[0] = (byte)aeronSession;
        sink.challengeSession = 0;
        deliver(frames.hello(nonce, principal, endpoint).bytes(), aeronSession);
        assertTrue(sink.challengeSession != 0, "the master answers the Hello of " + principal);
        return SessionCipher.client(sink.challengeSession, SessionCipher.sessionKey(credentials.secretOf(principal),
            principal, endpoint, nonce, sink.serverNonce));
    }

    /**
     * A leader with one agent, one framework and one running task; the corpus is every message a
     * master takes, as the genuine agent and framework would send it now (sealed, if secure).
     */
    private void start(final Credentials credentials)
    {
        leader = new InProcessLeader(1, config(), credentials, sink, now);
        if (credentials != null)
        {
            agentCipher = hello(credentials, "agents", AGENT, 1);
            frameworkCipher = hello(credentials, "tenant", FRAMEWORK, 2);
        }
        deliver(as(agentCipher, frames.registerAgent(0, AGENT, 4000, 4096).bytes()), 1);
        after(0);
        agentId = leader.agentIds()[0];
        deliver(as(frameworkCipher, frames.subscribe(0, FRAMEWORK, 60_000).bytes()), 2);
        after(0);
        after(0);
        frameworkId = leader.frameworkIds()[0];
        final long offerId = sink.lastOffer.get(FRAMEWORK);
        deliver(as(frameworkCipher, frames.accept(frameworkId, offerId, "t1", 1000, 512).bytes()), 2);
        after(0);
        deliver(as(agentCipher, frames.statusUpdate(agentId, frameworkId, "t1", TaskState.RUNNING, 1, 1).bytes()), 1);
        after(0);
        assertEquals(TaskState.RUNNING, leader.state().task(frameworkId, "t1").state);

        final List<byte[]> agentFrames = List.of(
            frames.registerAgent(agentId, AGENT, 4000, 4096).bytes(),
            frames.heartbeat(agentId).bytes(),
            frames.agentTasks(agentId, 0, frameworkId + "/t1\tRUNNING").bytes(),
            frames.statusUpdate(agentId, frameworkId, "t1", TaskState.FINISHED, 2, 2).bytes());
        final List<byte[]> frameworkFrames = List.of(
            frames.subscribe(frameworkId, FRAMEWORK, 60_000).bytes(),
            frames.accept(frameworkId, sink.lastOffer.getOrDefault(FRAMEWORK, 0L), "t2", 500, 256).bytes(),
            frames.decline(frameworkId, sink.lastOffer.getOrDefault(FRAMEWORK, 0L), 5_000).bytes(),
            frames.acknowledge(frameworkId, "t1", 1, 1).bytes(),
            frames.reconcile(frameworkId, "t1", "nope").bytes(),
            frames.suppress(frameworkId, true, "default").bytes(),
            frames.reconcile(frameworkId).bytes());
        // Unsealed only: sent sealed once, as the corpus is below, they would end the framework or its task.
        corpus.add(frames.kill(frameworkId, "t1").bytes());
        corpus.add(frames.teardown(frameworkId).bytes());
        for (final byte[] f : agentFrames)
        {
            corpus.add(f);
            corpus.add(as(agentCipher, f));
        }
        for (final byte[] f : frameworkFrames)
        {
            corpus.add(f);
            corpus.add(as(frameworkCipher, f));
        }
        corpus.add(frames.hello(new byte[16], "agents", AGENT).bytes());
        corpus.add(frames.hello(new byte[16], "stranger", "127.0.0.1:41003").bytes());
        if (credentials != null)
        {
            // Every sealed frame of the corpus arrives once, as the genuine clients sent it: from now on each
            // is a replay, so only what a stranger could make from them is left to fuzz.
            for (final byte[] f : corpus)
            {
                deliver(f, 1);
                deliver(f, 2);
            }
            for (int i = 0; i < 5; i++)
            {
                after(0);
            }
            before = fingerprint();
        }
    }

    private String fingerprint()
    {
        final MasterState s = leader.state();
        final StringBuilder b = new StringBuilder();
        s.agents().forEach(a -> b.append(a.id()).append(a.endpoint()).append(java.util.Arrays.toString(a.resources()))
            .append(a.attributes()).append(';'));
        s.frameworks().forEach(f -> b.append(f).append(';'));
        s.tasks().forEach(t -> b.append(t).append(java.util.Arrays.toString(t.resources())).append(';'));
        s.roles().forEach(r -> b.append(r.name()).append(r.weight()).append(java.util.Arrays.toString(r.guarantee()))
            .append(java.util.Arrays.toString(r.limit())).append(';'));
        return b + "|" + s.acl().text() + "|" + leader.pendingProposals() + "|" + sink.toClients();
    }

    @Provide
    Arbitrary<FrameMutation> mutations()
    {
        return FrameMutation.arbitrary();
    }

    /** The leader of this property's run, made at its first try (jqwik makes one instance per property). */
    private void startOnce(final boolean secure)
    {
        if (leader != null)
        {
            return;
        }
        if (!secure)
        {
            start(null);
            return;
        }
        try
        {
            final Path dir = Files.createTempDirectory("corral-fuzz");
            try
            {
                final Path file = dir.resolve("credentials");
                Credentials.add(file, "agents");
                Credentials.add(file, "tenant");
                Credentials.add(file, "mallory");
                credentials = Credentials.load(file);
                start(credentials);
            }
            finally
            {
                Files.deleteIfExists(dir.resolve("credentials"));
                Files.delete(dir);
            }
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    /** The frames since the last commit: what to report when committing them throws. */
    private final java.util.ArrayDeque<byte[]> sinceCommit = new java.util.ArrayDeque<>();

    private void send(final FrameMutation m)
    {
        final byte[] frame = m.apply(corpus);
        try
        {
            deliver(frame, 1 + Math.floorMod(m.source(), 3));
        }
        catch (final Throwable t)
        {
            fail("the master threw on a frame of " + FrameMutation.hex(frame), t);
        }
        sinceCommit.add(frame);
        if (++tries % 64 == 0)
        {
            try
            {
                after(0);
            }
            catch (final Throwable t)
            {
                final StringBuilder frames = new StringBuilder();
                sinceCommit.forEach(f -> frames.append("\n  ").append(FrameMutation.hex(f)));
                fail("committing what one of these frames proposed threw:" + frames, t);
            }
            sinceCommit.clear();
        }
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void anInsecureMasterNeverThrowsAndProposesOnlyWhatApplies(@ForAll("mutations") final FrameMutation m)
    {
        startOnce(false);
        send(m);
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void aSecureMasterChangesNothingForFramesMadeWithoutTheKey(@ForAll("mutations") final FrameMutation m)
    {
        startOnce(true);
        send(m);
        leader.cycle(now);
        assertEquals(0, leader.pendingProposals(), "a frame made without the key was acted on: " +
            FrameMutation.hex(m.apply(corpus)));
    }

    /**
     * The insider: an agent with the agents' credential and a framework of principal 'mallory',
     * each registered as itself, whose frames name the victims' ids (their agent, framework, task,
     * offers), claim their ids, and carry whatever numbers the mutations put there.
     */
    private void insidersOnce()
    {
        if (insiderAgentCipher != null)
        {
            return;
        }
        // The victim: a task running on the genuine agent (t1 ended when the corpus was replayed).
        deliver(as(frameworkCipher, frames.suppress(frameworkId, false, "").bytes()), 2);
        after(2 * SECOND);
        deliver(as(agentCipher, frames.heartbeat(agentId).bytes()), 1);
        deliver(as(frameworkCipher, frames.accept(frameworkId, sink.lastOffer.get(FRAMEWORK), "v1", 500, 256)
            .bytes()), 2);
        after(0);
        deliver(as(agentCipher, frames.statusUpdate(agentId, frameworkId, "v1", TaskState.RUNNING, 11, 11).bytes()), 1);
        after(0);
        assertEquals(TaskState.RUNNING, leader.state().task(frameworkId, "v1").state, "the victim's task runs");
        insiderAgentCipher = hello(credentials, "agents", INSIDER_AGENT, 4);
        insiderFrameworkCipher = hello(credentials, "mallory", INSIDER_FRAMEWORK, 5);
        deliver(as(insiderAgentCipher, frames.registerAgent(0, INSIDER_AGENT, 2000, 2048).bytes()), 4);
        deliver(as(insiderFrameworkCipher, frames.subscribe(0, INSIDER_FRAMEWORK, 60_000).bytes()), 5);
        after(0);
        after(0);
        long insiderAgent = 0;
        for (final long id : leader.agentIds())
        {
            insiderAgent = id != agentId ? id : insiderAgent;
        }
        long insiderFramework = 0;
        for (final long id : leader.frameworkIds())
        {
            insiderFramework = id != frameworkId ? id : insiderFramework;
        }
        assertTrue(insiderAgent != 0 && insiderFramework != 0, "the insider is registered as itself");
        final long victimOffer = sink.lastOffer.getOrDefault(FRAMEWORK, 0L);
        insiderCorpus.addAll(List.of(
            frames.registerAgent(agentId, INSIDER_AGENT, 4000, 4096).bytes(), // the victim's id, its own secret
            frames.registerAgent(insiderAgent, INSIDER_AGENT, 1L << 40, 1L << 40).bytes(),
            frames.heartbeat(agentId).bytes(),
            frames.agentTasks(agentId, 0, frameworkId + "/other\tRUNNING").bytes(), // a part of the victim's list
            frames.agentTasks(insiderAgent, 3, "").bytes(),
            frames.statusUpdate(agentId, frameworkId, "v1", TaskState.FINISHED, 7, 7).bytes(),
            frames.statusUpdate(insiderAgent, frameworkId, "v1", TaskState.KILLED, 8, 8).bytes(),
            frames.subscribe(frameworkId, INSIDER_FRAMEWORK, Long.MAX_VALUE).bytes(),
            frames.subscribe(insiderFramework, INSIDER_FRAMEWORK, Long.MAX_VALUE).bytes(),
            frames.accept(frameworkId, victimOffer, "stolen", 1000, 512).bytes(),
            frames.accept(insiderFramework, victimOffer, "stolen", 1000, 512).bytes(),
            frames.decline(frameworkId, victimOffer, Long.MAX_VALUE).bytes(),
            frames.decline(insiderFramework, victimOffer, Long.MAX_VALUE).bytes(),
            frames.acknowledge(frameworkId, "v1", 11, 11).bytes(),
            frames.reconcile(frameworkId, "v1").bytes(),
            frames.suppress(frameworkId, true, "default").bytes(),
            frames.kill(frameworkId, "v1").bytes(),
            frames.kill(insiderFramework, "v1").bytes(),
            frames.teardown(frameworkId).bytes()));
        victimsBefore = victims();
    }

    /** What the insider must not change: the victim agent, framework and task, as the state holds them. */
    private String victims()
    {
        final MasterState s = leader.state();
        final MasterState.Agent a = s.agent(agentId);
        final MasterState.Task t = s.task(frameworkId, "v1");
        return (a == null ? "no agent" : a.id() + a.endpoint() + java.util.Arrays.toString(a.resources()) +
            a.secretHash()) + "|" + s.framework(frameworkId) + "|" + (t == null ? "no task" : t.agentId + " " + t.state +
            " " + java.util.Arrays.toString(t.resources));
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void aHostileInsiderChangesNothingButItsOwn(@ForAll("mutations") final FrameMutation m)
    {
        startOnce(true);
        insidersOnce();
        final byte[] frame = m.apply(insiderCorpus);
        final int template = frame.length >= 4 ? (frame[2] & 0xFF) | (frame[3] & 0xFF) << 8 : 0;
        final boolean asAgent = template < 20;
        try
        {
            deliver(as(asAgent ? insiderAgentCipher : insiderFrameworkCipher, frame), asAgent ? 4 : 5);
        }
        catch (final Throwable t)
        {
            fail("the master threw on an insider's frame " + FrameMutation.hex(frame), t);
        }
        sinceCommit.add(frame);
        if (++tries % 16 == 0)
        {
            after(0);
            if (!victimsBefore.equals(victims()))
            {
                final StringBuilder sent = new StringBuilder();
                sinceCommit.forEach(f -> sent.append("\n  ").append(FrameMutation.hex(f)));
                fail("the insider changed a victim: " + victims() + " (was " + victimsBefore + ") with one of:" + sent);
            }
            sinceCommit.clear();
        }
    }

    @AfterProperty
    void stillServes()
    {
        after(0);
        assertEquals(0, leader.badRecords(), "every proposal applied");
        if (victimsBefore != null || before != null)
        {
            if (victimsBefore != null)
            {
                assertEquals(victimsBefore, victims(), "the victims are as before the insider's frames");
            }
            else
            {
                assertEquals(before, fingerprint(), "the state and what clients heard are as before the fuzzing");
            }
            // The genuine framework's session still works: a reconcile is answered.
            final long statuses = sink.count(FRAMEWORK, TaskStatusDecoder.TEMPLATE_ID);
            deliver(as(frameworkCipher, frames.reconcile(frameworkId).bytes()), 2);
            after(0);
            assertTrue(sink.count(FRAMEWORK, TaskStatusDecoder.TEMPLATE_ID) > statuses, "reconcile answered");
            return;
        }
        // A new framework and agent after the storm are answered, and offers still go out.
        final String agent = "127.0.0.1:42001";
        final String framework = "127.0.0.1:42002";
        deliver(frames.subscribe(0, framework, 60_000).bytes(), 902);
        after(0);
        assertEquals(1, sink.count(framework, io.corral.codec.sbe.SubscribedDecoder.TEMPLATE_ID), "subscribed");
        deliver(frames.registerAgent(0, agent, 2000, 1024).bytes(), 901);
        after(0);
        assertEquals(1, sink.count(agent, io.corral.codec.sbe.AgentRegisteredDecoder.TEMPLATE_ID), "registered");
        final long offers = sink.total(OfferDecoder.TEMPLATE_ID);
        after(2 * SECOND);
        after(2 * SECOND);
        assertTrue(sink.total(OfferDecoder.TEMPLATE_ID) > offers, "the new agent is offered");
    }
}
