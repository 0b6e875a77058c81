package io.corral.master;

import java.util.ArrayList;
import java.util.List;

import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.TaskState;
import io.corral.codec.sbe.TaskStatusDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** A {@link Peers} that keeps a copy of everything sent, for tests to decode. */
final class RecordingPeers implements Peers
{
    /** One message as sent. */
    record Sent(String endpoint, int templateId, UnsafeBuffer bytes)
    {
        <D extends org.agrona.sbe.MessageDecoderFlyweight> D decode(final D decoder)
        {
            final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(bytes, 0);
            decoder.wrap(bytes, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
            return decoder;
        }
    }

    /** A TaskStatus as a framework got it. */
    record Status(String taskId, TaskState state, long uuidMsb, long uuidLsb, String message)
    {
    }

    final List<Sent> sent = new ArrayList<>();

    @Override
    public void send(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
    {
        if (endpoint == null || endpoint.isEmpty())
        {
            return;
        }
        final byte[] copy = new byte[length];
        buffer.getBytes(0, copy);
        final UnsafeBuffer bytes = new UnsafeBuffer(copy);
        sent.add(new Sent(endpoint, new MessageHeaderDecoder().wrap(bytes, 0).templateId(), bytes));
    }

    List<Sent> to(final String endpoint, final int templateId)
    {
        return sent.stream().filter(s -> s.endpoint().equals(endpoint) && s.templateId() == templateId).toList();
    }

    int count(final String endpoint, final int templateId)
    {
        return to(endpoint, templateId).size();
    }

    List<Status> statuses(final String frameworkEndpoint)
    {
        final List<Status> out = new ArrayList<>();
        for (final Sent s : to(frameworkEndpoint, TaskStatusDecoder.TEMPLATE_ID))
        {
            final TaskStatusDecoder d = s.decode(new TaskStatusDecoder());
            final long msb = d.uuidMsb();
            final long lsb = d.uuidLsb();
            final TaskState state = d.state();
            final String taskId = d.taskId();
            out.add(new Status(taskId, state, msb, lsb, d.message()));
        }
        return out;
    }

    void clear()
    {
        sent.clear();
    }
}
