package io.corral.cli;

import java.io.File;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.corral.agent.AgentConfig;
import io.corral.agent.AgentNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.Resources;
import io.corral.codec.Protocol;
import io.corral.master.MasterConfig;
import io.corral.master.MasterNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code corral wordcount}: the example batch framework. */
@Command(name = "wordcount", mixinStandardHelpOptions = true, description = "Example batch framework: count the words of a file on the agents.")
final class WordCountCommand implements Callable<Integer>
{
    @Option(names = "--input", required = true, description = "The text file.")
    File input;

    @Option(names = "--chunks", defaultValue = "4", description = "Tasks to split it into (default ${DEFAULT-VALUE}).")
    int chunks;

    @Option(names = "--top", defaultValue = "10", description = "Top words to print (default ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
    String masters;

    @Override
    public Integer call() throws Exception
    {
        if (!input.isFile())
        {
            throw new IllegalArgumentException("--input " + input + " is not a readable file");
        }
        if (chunks < 1)
        {
            throw new IllegalArgumentException("--chunks must be at least 1");
        }
        final java.util.Map<String, Long> counts = new io.corral.examples.WordCount(
            io.corral.examples.WordCount.split(input.toPath(), chunks), masters, System.out).run(600);
        counts.entrySet().stream()
            .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()
                .thenComparing(java.util.Map.Entry.comparingByKey()))
            .limit(top).forEach(e -> System.out.println(e.getValue() + " " + e.getKey()));
        System.out.println("total " + counts.values().stream().mapToLong(Long::longValue).sum());
        return 0;
    }
}
