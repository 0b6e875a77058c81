package io.corral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import io.corral.codec.Protocol;
import org.junit.jupiter.api.Test;

/** The ports tests give their masters: free, and below the kernel's ephemeral range. */
class FreePortsTest
{
    @Test
    void blocksOfMasterPortsLieBelowTheEphemeralRangeTheKernelReports() throws Exception
    {
        final Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        if (Files.exists(range))
        {
            // As the kernel reports it, read the plain way (a shell's `cat`).
            final Process cat = new ProcessBuilder("cat", range.toString()).start();
            final String text = new String(cat.getInputStream().readAllBytes()).trim();
            assertEquals(Integer.parseInt(text.split("\\s+")[0]), LocalCluster.ephemeralRangeStart(), text);
        }
        for (int i = 0; i < 20; i++)
        {
            final int base = LocalCluster.freeBasePort(5);
            assertTrue(base > 1024, "not a privileged port: " + base);
            assertTrue(base + 4 + Protocol.HTTP_PORT_OFFSET < LocalCluster.ephemeralRangeStart(),
                "the block from " + base + " (HTTP up to " + (base + 4 + Protocol.HTTP_PORT_OFFSET) + ") is below " +
                    LocalCluster.ephemeralRangeStart());
        }
    }
}
