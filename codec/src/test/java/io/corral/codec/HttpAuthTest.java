package io.corral.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpAuthTest
{
    @TempDir
    Path dir;

    @Test
    void aTokenNamesItsPrincipalUntilItExpiresAndNothingElsePasses() throws Exception
    {
        final Path file = dir.resolve("credentials");
        final String secret = Credentials.add(file, "ops");
        Credentials.add(file, "other");
        final Credentials credentials = Credentials.load(file);
        final Credentials.Credential ops = Credentials.credential(file, "ops");
        final long now = 1_800_000_000L;
        final String token = HttpAuth.token(ops, now + 60);

        final HttpAuth.Caller ok = HttpAuth.check(credentials, "Bearer " + token, now);
        assertEquals("ops", ok.principal());
        assertNull(ok.problem());
        assertTrue(HttpAuth.check(credentials, "Bearer " + token, now + 61).problem().contains("expired 1 s ago"));
        // Its maker chose the expiry: a token good for 10^12 s, or just past a day, is refused.
        assertTrue(HttpAuth.check(credentials, "Bearer " + HttpAuth.token(ops, now + 1_000_000_000_000L), now)
            .problem().contains("more than the 86400 s"));
        assertFalse(HttpAuth.check(credentials, "Bearer " + HttpAuth.token(ops, now + HttpAuth.MAX_TTL_SECONDS + 1),
            now).known());
        assertEquals("ops", HttpAuth.check(credentials, "Bearer " + HttpAuth.token(ops, now + HttpAuth.MAX_TTL_SECONDS),
            now).principal());
        // The expiry or the principal changed in the token: its MAC no longer matches.
        assertFalse(HttpAuth.check(credentials, "Bearer " + token.replace("." + (now + 60) + ".", "." + (now + 6000) +
            "."), now).known());
        assertFalse(HttpAuth.check(credentials, "Bearer " + token.replace("corral1.ops.", "corral1.other."), now)
            .known());
        assertFalse(HttpAuth.check(credentials, "Bearer " + HttpAuth.token(new Credentials.Credential("ghost",
            new byte[32]), now + 60), now).known());
        assertTrue(HttpAuth.check(credentials, null, now).problem().contains("needs authentication"));
        assertTrue(HttpAuth.check(credentials, "Bearer nonsense", now).problem().contains("not a Corral token"));
        assertTrue(HttpAuth.check(credentials, "Digest x", now).problem().contains("unsupported"));

        final String basic = Base64.getEncoder().encodeToString(("ops:" + secret).getBytes(StandardCharsets.UTF_8));
        assertEquals("ops", HttpAuth.check(credentials, "Basic " + basic, now).principal());
        final String wrong = Base64.getEncoder().encodeToString("ops:guess".getBytes(StandardCharsets.UTF_8));
        assertFalse(HttpAuth.check(credentials, "Basic " + wrong, now).known());
        assertFalse(HttpAuth.check(credentials, "Basic !!!", now).known());
        assertTrue(Files.exists(file));
    }
}
