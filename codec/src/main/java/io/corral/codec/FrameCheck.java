package io.corral.codec;

import io.corral.codec.sbe.MessageHeaderDecoder;
import org.agrona.DirectBuffer;

/** Checks a frame's SBE header before anything decodes it; says what is wrong, or null if fine. */
public final class FrameCheck
{
    private FrameCheck()
    {
    }

    public static String problem(final MessageHeaderDecoder header, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            return "frame of " + length + " bytes is shorter than an SBE header";
        }
        header.wrap(buffer, offset);
        if (header.schemaId() != Protocol.SCHEMA_ID)
        {
            return "schema id " + header.schemaId() + " is not Corral's (" + Protocol.SCHEMA_ID + ")";
        }
        if (header.version() > Protocol.SCHEMA_VERSION)
        {
            return "schema version " + header.version() + " is newer than this node's (" + Protocol.SCHEMA_VERSION + ")";
        }
        if (length < MessageHeaderDecoder.ENCODED_LENGTH + header.blockLength())
        {
            return "frame of " + length + " bytes is shorter than its block length " + header.blockLength();
        }
        return null;
    }
}
