package io.corral.codec;

import java.util.ArrayList;
import java.util.List;

import io.aeron.logbuffer.Header;
import io.corral.codec.sbe.AcceptDecoder;
import io.corral.codec.sbe.AcknowledgeDecoder;
import io.corral.codec.sbe.AgentHeartbeatDecoder;
import io.corral.codec.sbe.DeclineDecoder;
import io.corral.codec.sbe.KillDecoder;
import io.corral.codec.sbe.RegisterAgentDecoder;
import io.corral.codec.sbe.StatusUpdateDecoder;
import io.corral.codec.sbe.SubscribeDecoder;
import io.corral.codec.sbe.TeardownDecoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MasterInboundTest
{
    private final List<String> seen = new ArrayList<>();
    private final MasterInbound inbound = new MasterInbound(new MasterInbound.Handler()
    {
        public void onRegisterAgent(final RegisterAgentDecoder m, final int s)
        {
            seen.add("register " + m.agentId() + " " + m.resources().cpus() + " " + m.hostname() + " " + m.endpoint());
        }

        public void onAgentHeartbeat(final AgentHeartbeatDecoder m, final int s)
        {
            seen.add("heartbeat " + m.agentId());
        }

        public void onAgentTasks(final io.corral.codec.sbe.AgentTasksDecoder m, final int s)
        {
            seen.add("tasks " + m.agentId() + " part " + m.part() + " " + m.tasks());
        }

        public void onStatusUpdate(final StatusUpdateDecoder m, final int s)
        {
        }

        public void onSubscribe(final SubscribeDecoder m, final int s)
        {
        }

        public void onAccept(final AcceptDecoder m, final int s)
        {
        }

        public void onDecline(final DeclineDecoder m, final int s)
        {
        }

        public void onKill(final KillDecoder m, final int s)
        {
        }

        public void onAcknowledge(final AcknowledgeDecoder m, final int s)
        {
        }

        public void onTeardown(final TeardownDecoder m, final int s)
        {
        }

        public void onReconcile(final io.corral.codec.sbe.ReconcileDecoder m, final int s)
        {
        }

        public void onSuppress(final io.corral.codec.sbe.SuppressDecoder m, final int s)
        {
        }

        public void onBadFrame(final int sessionId, final int templateId, final String problem)
        {
            seen.add("bad " + templateId + ": " + problem);
        }
    });
    private final Header header = new Header(0, 0);

    {
        header.buffer(new UnsafeBuffer(new byte[64]));
    }

    @Test
    void shouldDecodeAMessageItAccepts()
    {
        final Outbound out = new Outbound();
        out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(7);
        out.registerAgent.resources().cpus(2000).mem(1024).disk(0).gpus(0);
        out.registerAgent.hostname("h1").endpoint("127.0.0.1:5000").attributes("").httpEndpoint("")
            .customResources("").tasks("").agentSecret("");
        inbound.onFragment(out.buffer, 0, Outbound.length(out.registerAgent.encodedLength()), header);
        assertEquals(List.of("register 7 2000 h1 127.0.0.1:5000"), seen);
    }

    @Test
    void shouldRefuseAMessageWhoseLengthsReachPastTheFrame()
    {
        final Outbound out = new Outbound();
        out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(7);
        out.registerAgent.resources().cpus(2000).mem(1024).disk(0).gpus(0);
        // Its last fields are missing: the frame ends after the endpoint.
        out.registerAgent.hostname("h1").endpoint("127.0.0.1:5000");
        inbound.onFragment(out.buffer, 0, Outbound.length(out.registerAgent.encodedLength()), header);
        assertEquals(1, seen.size());
        assertTrue(seen.get(0).startsWith("bad 1: template 1: a length field points past the end"), seen.get(0));

        // A hostname claiming 1 GiB: refused before anything allocates it.
        seen.clear();
        out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(7);
        out.registerAgent.resources().cpus(2000).mem(1024).disk(0).gpus(0);
        out.registerAgent.hostname("h1").endpoint("e").attributes("").httpEndpoint("").customResources("").tasks("")
            .agentSecret("");
        final int hostnameAt = io.corral.codec.sbe.MessageHeaderEncoder.ENCODED_LENGTH +
            io.corral.codec.sbe.RegisterAgentEncoder.BLOCK_LENGTH;
        out.buffer.putInt(hostnameAt, 1 << 30, java.nio.ByteOrder.LITTLE_ENDIAN);
        inbound.onFragment(out.buffer, 0, Outbound.length(out.registerAgent.encodedLength()), header);
        assertEquals(1, seen.size());
        assertTrue(seen.get(0).startsWith("bad 1:"), seen.get(0));
    }

    @Test
    void shouldReportWhatItDoesNotAcceptInsteadOfThrowing()
    {
        final Outbound out = new Outbound();
        // A message meant for agents, sent to a master.
        final int len = out.encodeNotLeader(1, "127.0.0.1:7001");
        inbound.onFragment(out.buffer, 0, len, header);
        // Too short for a header, a foreign schema, a newer version, a body cut short.
        inbound.onFragment(new UnsafeBuffer(new byte[4]), 0, 4, header);
        final UnsafeBuffer foreign = new UnsafeBuffer(new byte[32]);
        foreign.putShort(0, (short)8);
        foreign.putShort(2, (short)4);
        foreign.putShort(4, (short)99);
        inbound.onFragment(foreign, 0, 32, header);
        out.heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(1);
        out.buffer.putShort(6, (short)(Protocol.SCHEMA_VERSION + 1));
        inbound.onFragment(out.buffer, 0, Outbound.length(out.heartbeat.encodedLength()), header);
        out.heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(1);
        inbound.onFragment(out.buffer, 0, 10, header);

        assertEquals(5, seen.size(), seen.toString());
        assertTrue(seen.get(0).contains("not a message this endpoint accepts"), seen.get(0));
        assertTrue(seen.get(1).contains("shorter than an SBE header"), seen.get(1));
        assertTrue(seen.get(2).contains("schema id 99"), seen.get(2));
        assertTrue(seen.get(3).contains("newer than this node's"), seen.get(3));
        assertTrue(seen.get(4).contains("shorter than its block length"), seen.get(4));
    }

    private static int heartbeat(final Outbound out, final long agentId)
    {
        out.heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId);
        return Outbound.length(out.heartbeat.encodedLength());
    }

    @Test
    void aBundleIsHandledMessageByMessageInOrderAndABrokenOneStopsWhereItBreaks()
    {
        final Outbound out = new Outbound();
        final Bundle bundle = new Bundle();
        for (long id = 1; id <= 3; id++)
        {
            final int n = heartbeat(out, id);
            assertTrue(bundle.fits(n));
            bundle.add(out.buffer, 0, n);
        }
        final UnsafeBuffer frame = bundle.frame();
        final int length = bundle.frameLength();
        inbound.onFragment(frame, 0, length, header);
        assertEquals(List.of("heartbeat 1", "heartbeat 2", "heartbeat 3"), seen);

        // The third message's length claims more than is left: the first two are handled, then a bad frame.
        seen.clear();
        final byte[] copy = new byte[length];
        frame.getBytes(0, copy);
        final UnsafeBuffer broken = new UnsafeBuffer(copy);
        final int third = Bundle.FIRST_OFFSET + 2 * (4 + heartbeat(out, 0));
        broken.putInt(third, 1 << 30, java.nio.ByteOrder.LITTLE_ENDIAN);
        inbound.onFragment(broken, 0, length, header);
        assertEquals(3, seen.size(), seen.toString());
        assertEquals("heartbeat 2", seen.get(1));
        assertTrue(seen.get(2).startsWith("bad 44: bundle message 2 of 3 claims"), seen.get(2));

        // A bundle inside a bundle, and a handshake inside one, are refused; a single message is itself.
        seen.clear();
        final Bundle outer = new Bundle();
        outer.add(frame, 0, length);
        final Bundle second = new Bundle();
        second.add(out.buffer, 0, heartbeat(out, 9));
        outer.add(second.frame(), 0, second.frameLength());
        final io.corral.codec.sbe.HelloEncoder hello = new io.corral.codec.sbe.HelloEncoder();
        hello.wrapAndApplyHeader(out.buffer, 0, out.header).principal("p").endpoint("127.0.0.1:1");
        outer.add(out.buffer, 0, Outbound.length(hello.encodedLength()));
        inbound.onFragment(outer.frame(), 0, outer.frameLength(), header);
        assertEquals(3, seen.size(), seen.toString());
        assertTrue(seen.get(0).startsWith("bad 44: a bundle inside a bundle"), seen.get(0));
        assertEquals("heartbeat 9", seen.get(1), "a bundle of one is that message, sent as it is");
        assertTrue(seen.get(2).startsWith("bad 40: template 40 cannot travel in a bundle"), seen.get(2));
    }
}
