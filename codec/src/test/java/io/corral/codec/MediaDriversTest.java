package io.corral.codec;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MediaDriversTest
{
    @TempDir
    Path dir;

    @Test
    void shouldSweepDirectoriesOfProcessesThatAreGoneAndKeepLiveOnes() throws Exception
    {
        // A pid that cannot be running: above the kernel's pid_max (at most 2^22).
        final File dead = Files.createDirectories(dir.resolve("corral-aeron-99999999-abcd1234")).toFile();
        Files.writeString(dead.toPath().resolve("cnc.dat"), "x");
        final File mine = Files.createDirectories(dir.resolve("corral-aeron-" + ProcessHandle.current().pid() + "-ef")).toFile();
        final File other = Files.createDirectories(dir.resolve("not-corral-99999999")).toFile();

        assertEquals(1, MediaDrivers.sweepStale(dir.toFile()));
        assertFalse(dead.exists(), "a dead process's directory is removed");
        assertTrue(mine.exists(), "a live process's directory stays");
        assertTrue(other.exists(), "other directories are not touched");
    }
}
