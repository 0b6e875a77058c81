package io.corral.master;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import io.aeron.logbuffer.Header;
import io.corral.codec.AgentInbound;
import io.corral.codec.Credentials;
import io.corral.codec.InboundAdapter;
import io.corral.codec.Outbound;
import io.corral.codec.SchedulerInbound;
import io.corral.codec.Seal;
import io.corral.codec.sbe.TaskState;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterProperty;
import org.agrona.sbe.MessageDecoderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes the agents' and the frameworks' inbound adapters (AgentInbound, SchedulerInbound), bare
 * and behind a {@link Seal} that has no session yet, with random frames and edited copies of what
 * a real leader sent ({@link FrameMutation}). The handler reads every field of each message it is
 * given (the decoder's toString), as the agent's and the driver's handlers would: nothing may
 * throw out of the adapter or out of a decoder it hands over.
 */
class ClientInboundFuzzTest
{
    private static final String AGENT = "127.0.0.1:41001";
    private static final String FRAMEWORK = "127.0.0.1:41002";

    /** What a leader sent the agent and the framework through a launch's life, and a few more. */
    private static final List<byte[]> TO_AGENT = new ArrayList<>();
    private static final List<byte[]> TO_FRAMEWORK = new ArrayList<>();

    static
    {
        final RecordingPeers peers = new RecordingPeers();
        final InProcessLeader leader = new InProcessLeader(1, new MasterConfig().id(1).peers("1=127.0.0.1:40000")
            .agentTimeoutMs(5_000).offerTimeoutMs(60_000), peers, 1_000_000_000_000L);
        final Frames f = new Frames();
        long now = 1_000_000_000_000L;
        f.registerAgent(0, AGENT, 4000, 4096).to(leader, 1);
        leader.cycle(now);
        leader.commit();
        f.subscribe(0, FRAMEWORK, 1_000).to(leader, 2);
        for (int i = 0; i < 3; i++)
        {
            leader.cycle(now += 1_000_000_000L);
            leader.commit();
        }
        final long agentId = leader.agentIds()[0];
        final long frameworkId = leader.frameworkIds()[0];
        final List<RecordingPeers.Sent> offers = peers.to(FRAMEWORK, io.corral.codec.sbe.OfferDecoder.TEMPLATE_ID);
        final long offerId = offers.get(offers.size() - 1).decode(new io.corral.codec.sbe.OfferDecoder()).offerId();
        f.accept(frameworkId, offerId, "t1", 1000, 512).to(leader, 2);
        leader.cycle(now);
        leader.commit();
        f.statusUpdate(agentId, frameworkId, "t1", TaskState.RUNNING, 1, 1).to(leader, 1);
        leader.cycle(now);
        leader.commit();
        f.acknowledge(frameworkId, "t1", 1, 1).to(leader, 2); // the agent's update is acknowledged in turn
        leader.cycle(now);
        leader.commit();
        f.kill(frameworkId, "t1").to(leader, 2);
        leader.cycle(now);
        leader.commit();
        f.reconcile(frameworkId).to(leader, 2);
        leader.onFrame(new UnsafeBuffer(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }), 0, 9, 1); // an ErrorReply to each
        leader.onFrame(new UnsafeBuffer(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }), 0, 9, 2);
        // Then the agent falls silent (AgentLost, rescinds) for long enough to be removed.
        for (int i = 0; i < 12; i++)
        {
            leader.cycle(now += 1_000_000_000L);
            leader.commit();
        }
        for (final RecordingPeers.Sent s : peers.sent)
        {
            final byte[] bytes = new byte[s.bytes().capacity()];
            s.bytes().getBytes(0, bytes);
            (s.endpoint().equals(AGENT) ? TO_AGENT : TO_FRAMEWORK).add(bytes);
        }
        final Outbound out = new Outbound();
        out.notLeader.wrapAndApplyHeader(out.buffer, 0, out.header).leaderId(2).leaderEndpoint("127.0.0.1:40002");
        final byte[] notLeader = new byte[Outbound.length(out.notLeader.encodedLength())];
        out.buffer.getBytes(0, notLeader);
        TO_AGENT.add(notLeader);
        TO_FRAMEWORK.add(notLeader);
        // A Challenge and an AuthFailed, as a secure master answers a Hello and a wrong secret.
        final byte[] challenge = secureAnswers();
        TO_AGENT.add(challenge);
        TO_FRAMEWORK.add(challenge);
    }

    private static byte[] secureAnswers()
    {
        try
        {
            final java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("corral-fuzz");
            final java.nio.file.Path file = dir.resolve("credentials");
            Credentials.add(file, "agents");
            final Credentials credentials = Credentials.load(file);
            java.nio.file.Files.delete(file);
            java.nio.file.Files.delete(dir);
            final RecordingPeers peers = new RecordingPeers();
            final InProcessLeader leader = new InProcessLeader(1, new MasterConfig().id(1).peers("1=127.0.0.1:40000"),
                credentials, peers, 1_000_000_000_000L);
            final byte[] hello = new Frames().hello(new byte[16], "agents", AGENT).bytes();
            leader.onFrame(new UnsafeBuffer(hello), 0, hello.length, 1);
            final RecordingPeers.Sent s = peers.sent.get(0);
            final byte[] bytes = new byte[s.bytes().capacity()];
            s.bytes().getBytes(0, bytes);
            return bytes;
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private long handled;
    private long refused;
    private long fed;
    private final Header header = new Header(0, 0);

    {
        header.buffer(new UnsafeBuffer(new byte[64]));
    }

    /** A handler of any adapter's interface that reads every field of what it gets. */
    @SuppressWarnings("unchecked")
    private <H> H reader(final Class<H> type)
    {
        return (H)Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (proxy, method, args) ->
        {
            if (method.getName().equals("onBadFrame"))
            {
                refused++;
                return null;
            }
            for (final Object a : args == null ? new Object[0] : args)
            {
                if (a instanceof MessageDecoderFlyweight decoder)
                {
                    assertTrue(decoder.toString().length() > 0); // every field, var data and group
                    handled++;
                }
            }
            return null;
        });
    }

    private final AgentInbound agentBare = new AgentInbound(reader(AgentInbound.Handler.class));
    private final AgentInbound agentGated = gated(new AgentInbound(reader(AgentInbound.Handler.class)));
    private final SchedulerInbound schedulerBare = new SchedulerInbound(reader(SchedulerInbound.Handler.class));
    private final SchedulerInbound schedulerGated = gated(new SchedulerInbound(reader(SchedulerInbound.Handler.class)));

    private static <A extends InboundAdapter> A gated(final A adapter)
    {
        adapter.gate(Seal.of(new Credentials.Credential("agents", "a-secret-of-this-test".getBytes(
            java.nio.charset.StandardCharsets.UTF_8)), reason -> { }, () -> { }).endpoint(AGENT));
        return adapter;
    }

    @Provide
    Arbitrary<FrameMutation> mutations()
    {
        return FrameMutation.arbitrary();
    }

    private void feed(final InboundAdapter adapter, final byte[] frame)
    {
        fed++;
        try
        {
            adapter.onFragment(new UnsafeBuffer(frame), 0, frame.length, header);
        }
        catch (final Throwable t)
        {
            fail("the adapter threw on a frame of " + FrameMutation.hex(frame), t);
        }
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void theAgentsAdapterDecodesOrRefusesAnyFrame(@ForAll("mutations") final FrameMutation m)
    {
        final byte[] frame = m.apply(TO_AGENT);
        feed(agentBare, frame);
        feed(agentGated, frame);
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void theDriversAdapterDecodesOrRefusesAnyFrame(@ForAll("mutations") final FrameMutation m)
    {
        final byte[] frame = m.apply(TO_FRAMEWORK);
        feed(schedulerBare, frame);
        feed(schedulerGated, frame);
    }

    @net.jqwik.api.Example
    void theCorpusHoldsEveryMessageTheAdaptersTake()
    {
        assertTrue(templates(TO_AGENT).containsAll(java.util.Set.of(
            io.corral.codec.sbe.AgentRegisteredDecoder.TEMPLATE_ID, io.corral.codec.sbe.NotLeaderDecoder.TEMPLATE_ID,
            io.corral.codec.sbe.RunTaskDecoder.TEMPLATE_ID, io.corral.codec.sbe.KillTaskDecoder.TEMPLATE_ID,
            io.corral.codec.sbe.StatusAckDecoder.TEMPLATE_ID, io.corral.codec.sbe.ErrorReplyDecoder.TEMPLATE_ID,
            io.corral.codec.sbe.ChallengeDecoder.TEMPLATE_ID)), templates(TO_AGENT).toString());
        assertTrue(templates(TO_FRAMEWORK).containsAll(java.util.Set.of(
            io.corral.codec.sbe.SubscribedDecoder.TEMPLATE_ID, io.corral.codec.sbe.NotLeaderDecoder.TEMPLATE_ID,
            io.corral.codec.sbe.OfferDecoder.TEMPLATE_ID, io.corral.codec.sbe.TaskStatusDecoder.TEMPLATE_ID,
            io.corral.codec.sbe.OfferRescindedDecoder.TEMPLATE_ID, io.corral.codec.sbe.ErrorReplyDecoder.TEMPLATE_ID,
            io.corral.codec.sbe.AgentLostDecoder.TEMPLATE_ID)), templates(TO_FRAMEWORK).toString());
    }

    private static java.util.Set<Integer> templates(final List<byte[]> frames)
    {
        final java.util.Set<Integer> out = new java.util.TreeSet<>();
        for (final byte[] f : frames)
        {
            out.add(new io.corral.codec.sbe.MessageHeaderDecoder().wrap(new UnsafeBuffer(f), 0).templateId());
        }
        return out;
    }

    @AfterProperty
    void bothOutcomesHappened()
    {
        // A fuzz that only ever made frames the adapters refuse (or only ones they take) tested little.
        assertTrue(fed == 0 || handled > 0 && refused > 0, "handled " + handled + ", refused " + refused);
    }
}
