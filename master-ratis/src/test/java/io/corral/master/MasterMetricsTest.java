package io.corral.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The latency summaries: count and sum since the start, quantiles over the last minute. */
class MasterMetricsTest
{
    private static final long SECOND = 1_000_000_000L;

    private final MasterMetrics metrics = new MasterMetrics(null);

    private double sample(final String name) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write(out);
        for (final String line : out.toString(StandardCharsets.UTF_8).split("\n"))
        {
            if (line.startsWith(name + " "))
            {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError(name + " not in " + out);
    }

    @Test
    void quantilesForgetWhatIsOlderThanAMinuteWhileCountAndSumKeepIt() throws IOException
    {
        metrics.committed(5 * SECOND); // a warm-up's slow commit
        metrics.publish(0, true);
        assertEquals(5.0, sample("corral_log_commit_seconds{quantile=\"0.99\"}"), 0.01);

        metrics.committed(10_000_000L); // 10 ms, a minute and more later
        metrics.publish(70 * SECOND, true);
        assertEquals(0.01, sample("corral_log_commit_seconds{quantile=\"0.99\"}"), 0.001,
            "the 5 s commit is out of the window");
        assertEquals(2.0, sample("corral_log_commit_seconds_count"));
        assertEquals(5.01, sample("corral_log_commit_seconds_sum"), 0.01);
    }

    @Test
    void aSummaryWithNothingInTheLastMinuteSaysSoInsteadOfZero() throws IOException
    {
        metrics.committed(SECOND);
        metrics.publish(0, true);
        metrics.publish(120 * SECOND, true);
        assertTrue(Double.isNaN(sample("corral_log_commit_seconds{quantile=\"0.5\"}")), "no commit in the window");
        assertEquals(1.0, sample("corral_log_commit_seconds_count"));
    }
}
