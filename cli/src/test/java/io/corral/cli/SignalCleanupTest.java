package io.corral.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client process ended by SIGTERM (or Ctrl-C) leaves no Aeron directory. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SignalCleanupTest
{
    @TempDir
    Path dir;

    private static File[] aeronDirsOf(final long pid)
    {
        final File[] found = new File("/dev/shm").listFiles((d, name) -> name.startsWith("corral-aeron-" + pid + "-"));
        final File[] inTmp = new File(System.getProperty("java.io.tmpdir"))
            .listFiles((d, name) -> name.startsWith("corral-aeron-" + pid + "-"));
        final int a = found == null ? 0 : found.length;
        final int b = inTmp == null ? 0 : inTmp.length;
        final File[] all = new File[a + b];
        if (a > 0)
        {
            System.arraycopy(found, 0, all, 0, a);
        }
        if (b > 0)
        {
            System.arraycopy(inTmp, 0, all, a, b);
        }
        return all;
    }

    @Test
    void shouldRemoveTheAeronDirectoryWhenStoppedBySigterm() throws Exception
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // No cluster is needed: `corral wordcount` starts its driver, then looks for a leader.
        final Path input = Files.writeString(dir.resolve("words.txt"), "a b c\n");
        final Process run = new ProcessBuilder(java, "-Xmx128m", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), "io.corral.cli.Corral", "wordcount", "--input",
            input.toString(), "--masters", "127.0.0.1:" + LocalCluster.freeBasePort(1))
            .redirectErrorStream(true).redirectOutput(dir.resolve("run.out").toFile()).start();
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (aeronDirsOf(run.pid()).length == 0)
            {
                assertTrue(run.isAlive(), "corral wordcount is still running");
                assertTrue(System.nanoTime() < deadline, "corral wordcount made its Aeron directory");
                Thread.sleep(20);
            }
            run.destroy(); // SIGTERM
            assertTrue(run.waitFor(30, TimeUnit.SECONDS), "corral wordcount ends on SIGTERM");
            assertTrue(aeronDirsOf(run.pid()).length == 0, "its Aeron directory is gone");
        }
        finally
        {
            run.destroyForcibly();
        }
    }
}
