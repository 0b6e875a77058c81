package io.corral.codec;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import org.agrona.DirectBuffer;

/**
 * HMAC-SHA256 (RFC 2104) over the JDK's SHA-256, for one key, that allocates nothing per message:
 * {@code javax.crypto.Mac.doFinal} returns a new array on every call, and a session computes one
 * MAC per message on the hot path. Equal to {@code Mac.getInstance("HmacSHA256")} (HmacTest checks
 * it against the JDK on random keys and inputs). One thread at a time.
 */
public final class Hmac
{
    public static final int LENGTH = 32;
    private static final int BLOCK = 64;

    private final MessageDigest digest;
    private final byte[] innerPad = new byte[BLOCK];
    private final byte[] outerPad = new byte[BLOCK];
    private final byte[] inner = new byte[LENGTH];
    private final byte[] scratch = new byte[512];

    public Hmac(final byte[] key)
    {
        digest = sha256();
        final byte[] k = key.length > BLOCK ? digest.digest(key) : key;
        for (int i = 0; i < BLOCK; i++)
        {
            final byte b = i < k.length ? k[i] : 0;
            innerPad[i] = (byte)(b ^ 0x36);
            outerPad[i] = (byte)(b ^ 0x5c);
        }
        digest.reset();
    }

    static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("this JVM has no SHA-256", ex);
        }
    }

    /** Starts a MAC. */
    public Hmac start()
    {
        digest.reset();
        digest.update(innerPad, 0, BLOCK);
        return this;
    }

    public Hmac update(final byte[] bytes, final int offset, final int length)
    {
        digest.update(bytes, offset, length);
        return this;
    }

    public Hmac update(final byte[] bytes)
    {
        return update(bytes, 0, bytes.length);
    }

    public Hmac update(final String text)
    {
        return update(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds {@code length} bytes of {@code buffer} from {@code offset}, without copying when it wraps an array. */
    public Hmac update(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] array = buffer.byteArray();
        if (array != null)
        {
            digest.update(array, buffer.wrapAdjustment() + offset, length);
            return this;
        }
        int done = 0;
        while (done < length)
        {
            final int n = Math.min(scratch.length, length - done);
            buffer.getBytes(offset + done, scratch, 0, n);
            digest.update(scratch, 0, n);
            done += n;
        }
        return this;
    }

    /** Ends the MAC and writes its first {@code length} bytes (at most 32) into {@code out} at {@code offset}. */
    public void finish(final byte[] out, final int offset, final int length)
    {
        try
        {
            digest.digest(inner, 0, LENGTH);
            digest.update(outerPad, 0, BLOCK);
            digest.update(inner, 0, LENGTH);
            digest.digest(inner, 0, LENGTH);
        }
        catch (final java.security.DigestException ex)
        {
            throw new IllegalStateException(ex);
        }
        System.arraycopy(inner, 0, out, offset, length);
    }

    /** The whole MAC, in a new array (handshakes; not the message path). */
    public byte[] finish()
    {
        final byte[] out = new byte[LENGTH];
        finish(out, 0, LENGTH);
        return out;
    }

    /** Compares in time that does not depend on where the first difference is. */
    public static boolean same(final byte[] a, final int aOffset, final byte[] b, final int bOffset, final int length)
    {
        int diff = 0;
        for (int i = 0; i < length; i++)
        {
            diff |= a[aOffset + i] ^ b[bOffset + i];
        }
        return diff == 0;
    }
}
