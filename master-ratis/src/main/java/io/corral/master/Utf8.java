package io.corral.master;

import org.agrona.DirectBuffer;

/** Text fields of a message compared and read in place. */
final class Utf8
{
    private Utf8()
    {
    }

    /** True if {@code bytes} (UTF-8, the whole buffer) spell {@code text}; no allocation when it is ASCII. */
    static boolean same(final DirectBuffer bytes, final String text)
    {
        final int length = bytes.capacity();
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c >= 0x80)
            {
                return text.equals(string(bytes));
            }
            if (i >= length || bytes.getByte(i) != c)
            {
                return false;
            }
        }
        return length == text.length();
    }

    static String string(final DirectBuffer bytes)
    {
        return bytes.getStringWithoutLengthUtf8(0, bytes.capacity());
    }
}
