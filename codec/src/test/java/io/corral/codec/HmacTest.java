package io.corral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class HmacTest
{
    @Test
    void agreesWithTheJdksHmacSha256ForKeysAndMessagesOfEveryLength() throws Exception
    {
        final Random random = new Random(13);
        final Mac jdk = Mac.getInstance("HmacSHA256");
        for (int i = 0; i < 2_000; i++)
        {
            // Keys shorter and longer than the 64-byte block (long keys are hashed first).
            final byte[] key = new byte[1 + random.nextInt(150)];
            random.nextBytes(key);
            final byte[] message = new byte[random.nextInt(600)];
            random.nextBytes(message);
            jdk.init(new SecretKeySpec(key, "HmacSHA256"));
            final byte[] expected = jdk.doFinal(message);

            final Hmac hmac = new Hmac(key);
            assertArrayEquals(expected, hmac.start().update(message).finish(), "key " + key.length + " message " +
                message.length);
            // In pieces, from a direct buffer, and reused after a first use: the same answer.
            final int cut = message.length == 0 ? 0 : random.nextInt(message.length);
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[message.length + 8]);
            buffer.putBytes(8, message);
            hmac.start().update(message, 0, cut).update(buffer, 8 + cut, message.length - cut);
            final byte[] truncated = new byte[SessionCipher.MAC_LENGTH];
            hmac.finish(truncated, 0, truncated.length);
            assertArrayEquals(java.util.Arrays.copyOf(expected, truncated.length), truncated);
        }
    }

    @Test
    void sameComparesEveryByte()
    {
        final byte[] a = new byte[16];
        final byte[] b = new byte[16];
        assertTrue(Hmac.same(a, 0, b, 0, 16));
        for (int i = 0; i < 16; i++)
        {
            b[i] = 1;
            assertFalse(Hmac.same(a, 0, b, 0, 16), "a difference at byte " + i);
            b[i] = 0;
        }
    }
}
