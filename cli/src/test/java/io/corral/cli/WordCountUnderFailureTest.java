package io.corral.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.corral.examples.WordCount;
import io.corral.master.MasterNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.corral.testkit.Await;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The answer a user sees: wordcount over 64 chunks, with a scheduler whose callbacks take 200 ms
 * (so updates are resent and redelivered) and the leading master stopped in the middle of the run,
 * must count exactly what the file holds.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class WordCountUnderFailureTest
{
    @TempDir
    Path dir;

    private LocalCluster cluster;

    @AfterEach
    void stop()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    @Test
    void shouldCountEveryWordOnceThroughSlowCallbacksAndALeaderStop() throws Exception
    {
        cluster = new LocalCluster(dir.resolve("cluster").toFile(), 3, 2, LocalCluster.freeBasePort(3), 2, 2048,
            c -> c.reregistrationGraceMs(5000));
        cluster.awaitReady(60, TimeUnit.SECONDS);
        final SplittableRandom random = new SplittableRandom(11);
        final StringBuilder text = new StringBuilder();
        long words = 0;
        for (int line = 0; line < 4000; line++)
        {
            for (int w = random.nextInt(0, 9); w > 0; w--)
            {
                text.append("w").append(random.nextInt(300)).append(' ');
                words++;
            }
            text.append('\n');
        }
        final Path input = Files.writeString(dir.resolve("words.txt"), text);
        final List<String> chunks = WordCount.split(input, 64);
        final WordCount job = new WordCount(chunks, cluster.mastersSpec(), System.out).withCallbackDelayMs(200);
        final CompletableFuture<Map<String, Long>> result = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return job.run(240);
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        Await.until("a quarter of the chunks counted", Duration.ofSeconds(120),
            () -> job.finished() >= chunks.size() / 4);
        final MasterNode leader = cluster.leader();
        cluster.stopMaster(leader);
        final Map<String, Long> counts = result.get(250, TimeUnit.SECONDS);
        assertEquals(words, counts.values().stream().mapToLong(Long::longValue).sum(),
            "the total equals the words in the file");
    }
}
