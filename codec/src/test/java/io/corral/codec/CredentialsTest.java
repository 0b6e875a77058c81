package io.corral.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsTest
{
    @TempDir
    Path dir;

    @Test
    void addedPrincipalsLoadBackAndTheFileIsTheOwnersOnly() throws Exception
    {
        final Path file = dir.resolve("sub/credentials");
        final String agents = Credentials.add(file, "agents");
        final String ops = Credentials.add(file, "ops");
        assertNotEquals(agents, ops, "each secret is drawn anew");
        assertEquals(43, agents.length(), "32 random bytes, base64url");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        final Credentials credentials = Credentials.load(file);
        assertEquals(Set.of("agents", "ops"), credentials.principals());
        assertFalse(credentials.toString().contains(agents), "no secret in toString: " + credentials);

        final byte[] nonce = Credentials.nonce();
        assertTrue(credentials.verify("agents", nonce, Credentials.response(agents, nonce)));
        assertFalse(credentials.verify("agents", nonce, Credentials.response(ops, nonce)), "another's secret");
        assertFalse(credentials.verify("agents", Credentials.nonce(), Credentials.response(agents, nonce)),
            "an answer to another nonce (a replay)");
        assertFalse(credentials.verify("nobody", nonce, Credentials.response(agents, nonce)), "unknown principal");
        assertFalse(credentials.verify("agents", nonce, null));
    }

    @Test
    void aPrincipalAddedTwiceIsRefusedAndTheFileUnchanged() throws Exception
    {
        final Path file = dir.resolve("credentials");
        Credentials.add(file, "fw");
        final List<String> before = Files.readAllLines(file);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Credentials.add(file, "fw"));
        assertTrue(e.getMessage().contains("'fw' is already in"), e.getMessage());
        assertEquals(before, Files.readAllLines(file));
        assertThrows(IllegalArgumentException.class, () -> Credentials.add(file, "has space"));
    }

    @Test
    void mesosStyleFilesLoadAndMalformedLinesNameTheLineAndTheFix() throws Exception
    {
        final Path file = dir.resolve("mesos-credentials");
        Files.writeString(file, "# a Mesos --credentials text file\n\nprincipal1  secret-of-sixteen-chars\n");
        assertEquals(Set.of("principal1"), Credentials.load(file).principals());

        Files.writeString(file, "a secret-of-sixteen-chars\nb short\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Credentials.load(file));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("at least 16"), e.getMessage());

        Files.writeString(file, "a secret-of-sixteen-chars extra\n");
        e = assertThrows(IllegalArgumentException.class, () -> Credentials.load(file));
        assertTrue(e.getMessage().contains("line 1: expected `principal secret`"), e.getMessage());

        Files.writeString(file, "a secret-of-sixteen-chars\na another-secret-16chars\n");
        e = assertThrows(IllegalArgumentException.class, () -> Credentials.load(file));
        assertTrue(e.getMessage().contains("appears twice"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> Credentials.load(dir.resolve("missing")));
        assertTrue(e.getMessage().contains("corral credentials add"), e.getMessage());
    }
}
