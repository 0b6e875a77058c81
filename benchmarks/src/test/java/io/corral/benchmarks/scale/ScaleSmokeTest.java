package io.corral.benchmarks.scale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** Keeps the scale harness working: a few agents and one framework, briefly (not a measurement). */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ScaleSmokeTest
{
    @Test
    void theHarnessRegistersItsAgentsRunsTasksAndPrintsItsLine()
    {
        final ScaleRun run = new ScaleRun();
        final int code = new CommandLine(run).execute("--agents", "10", "--agents-per-endpoint", "5", "--frameworks", "1", "--seconds", "8",
            "--task-ms", "50", "--master-heap-mb", "256", "--register-timeout-s", "90");
        assertEquals(0, code);
        final String line = run.resultLine();
        assertNotNull(line, "the harness printed its result line");
        assertTrue(line.contains("agents=10 registered=10 "), line);
        final Matcher launches = Pattern.compile("launches_per_s=(\\d+)").matcher(line);
        assertTrue(launches.find() && Long.parseLong(launches.group(1)) > 0, "tasks were launched: " + line);
        // Finished means the whole status path worked: agent → master → framework → its
        // acknowledgement → master → agent, which then stops resending.
        final Matcher finished = Pattern.compile("finished_per_s=(\\d+)").matcher(line);
        assertTrue(finished.find() && Long.parseLong(finished.group(1)) > 0, "tasks finished: " + line);
    }
}
