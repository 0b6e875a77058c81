package io.corral.codec;

import java.nio.ByteOrder;

import io.corral.codec.sbe.BundleEncoder;
import io.corral.codec.sbe.MessageHeaderEncoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * Messages to one endpoint gathered during a duty cycle and sent as one frame ({@code Bundle}):
 * one Aeron frame, and sealed, one MAC, instead of one of each per message. The layout is the
 * SBE message's (a group of var-data entries), written in place as messages come, with the count
 * patched when the bundle is taken. A bundle of one message is sent as that message. Owned by one
 * thread.
 */
public final class Bundle
{
    /** A bundle stops growing here (well under the largest message a publication takes). */
    public static final int MAX_BYTES = 16 * 1024;
    private static final int COUNT_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + BundleEncoder.BLOCK_LENGTH + 2;
    /** Where the first message's length goes. */
    public static final int FIRST_OFFSET = COUNT_OFFSET + 2;
    private static final int MAX_MESSAGES = 65_535;

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
    private final BundleEncoder encoder = new BundleEncoder();
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final org.agrona.concurrent.UnsafeBuffer view = new org.agrona.concurrent.UnsafeBuffer(0, 0);
    private int length;
    private int count;
    private int firstAt;
    private int firstLength;

    public Bundle()
    {
        clear();
    }

    /** True if a message of {@code messageLength} bytes fits in this bundle now. */
    public boolean fits(final int messageLength)
    {
        return count == 0 || count < MAX_MESSAGES && length + 4 + messageLength <= MAX_BYTES;
    }

    /** Appends a message (check {@link #fits} first; an empty bundle takes any one message). */
    public void add(final DirectBuffer message, final int offset, final int messageLength)
    {
        buffer.putInt(length, messageLength, ByteOrder.LITTLE_ENDIAN);
        buffer.putBytes(length + 4, message, offset, messageLength);
        if (count == 0)
        {
            firstAt = length + 4;
            firstLength = messageLength;
        }
        length += 4 + messageLength;
        count++;
    }

    public int count()
    {
        return count;
    }

    public boolean isEmpty()
    {
        return count == 0;
    }

    /**
     * The frame to send, from 0 of the returned view ({@link #frameLength} bytes): the one message
     * itself, or the bundle of them. Valid until the next change.
     */
    public org.agrona.concurrent.UnsafeBuffer frame()
    {
        if (count > 1)
        {
            buffer.putShort(COUNT_OFFSET, (short)count, ByteOrder.LITTLE_ENDIAN);
            view.wrap(buffer, 0, length);
        }
        else
        {
            view.wrap(buffer, firstAt, firstLength);
        }
        return view;
    }

    public int frameLength()
    {
        return count == 1 ? firstLength : length;
    }

    public void clear()
    {
        encoder.wrapAndApplyHeader(buffer, 0, header).messagesCount(0);
        length = FIRST_OFFSET;
        count = 0;
    }

    /** Takes one message of a frame. */
    @FunctionalInterface
    public interface Each
    {
        void message(DirectBuffer buffer, int offset, int length);
    }

    /**
     * Each message a frame carries, in order: the frame itself if it is not a bundle (for raw
     * clients and tools; endpoints get this from their inbound adapter). Stops at a length that
     * does not fit.
     */
    public static void forEach(final DirectBuffer buffer, final int offset, final int length, final Each each)
    {
        if (length < FIRST_OFFSET || (buffer.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF) !=
            io.corral.codec.sbe.BundleDecoder.TEMPLATE_ID)
        {
            each.message(buffer, offset, length);
            return;
        }
        final int count = buffer.getShort(offset + COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        int at = FIRST_OFFSET;
        for (int i = 0; i < count && at + 4 <= length; i++)
        {
            final int n = buffer.getInt(offset + at, ByteOrder.LITTLE_ENDIAN);
            if (n < 0 || n > length - at - 4)
            {
                return;
            }
            each.message(buffer, offset + at + 4, n);
            at += 4 + n;
        }
    }
}
