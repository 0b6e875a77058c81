package io.corral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import io.corral.codec.Credentials;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The real command line: {@code corral credentials add} writes a file masters can load; mistakes exit 2 with a reason. */
class CredentialsCommandTest
{
    @TempDir
    Path dir;

    private int run(final ByteArrayOutputStream out, final ByteArrayOutputStream err, final String... args)
    {
        final PrintStream oldOut = System.out;
        System.setOut(new PrintStream(out, true));
        try
        {
            final CommandLine cli = Corral.commandLine();
            cli.setErr(new PrintWriter(err, true));
            return cli.execute(args);
        }
        finally
        {
            System.setOut(oldOut);
        }
    }

    @Test
    void addWritesALoadableFileAndListShowsNamesOnly() throws Exception
    {
        final Path file = dir.resolve("credentials");
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, run(out, err, "credentials", "add", "agents", "--file", file.toString()));
        final String[] printed = out.toString().strip().split(" ");
        assertEquals("agents", printed[0]);
        final byte[] nonce = Credentials.nonce();
        assertTrue(Credentials.load(file).verify("agents", nonce, Credentials.response(printed[1], nonce)),
            "the printed secret is the one in the file");

        final ByteArrayOutputStream listed = new ByteArrayOutputStream();
        assertEquals(0, run(listed, err, "credentials", "list", "--file", file.toString()));
        assertEquals(Set.of("agents"), Set.of(listed.toString().strip().split("\n")));
        assertFalse(listed.toString().contains(printed[1]), "no secret listed");

        final ByteArrayOutputStream again = new ByteArrayOutputStream();
        assertEquals(2, run(new ByteArrayOutputStream(), again, "credentials", "add", "agents", "--file", file.toString()));
        assertTrue(again.toString().startsWith("corral: principal 'agents' is already in"), again.toString());
        assertFalse(again.toString().contains("Exception"), "no stack trace: " + again);
        assertEquals(1, Files.readAllLines(file).size(), "the file is unchanged");
    }
}
