package io.corral.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.Scheduler;
import io.corral.client.SchedulerDriver;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;

/**
 * A batch job on Corral: split a text file into chunks, count each chunk's words in a task on the
 * agents, gather the counts from the tasks' sandboxes, and print the total and the top words.
 * A failed chunk is launched again (up to three attempts).
 */
public final class WordCount implements Scheduler
{
    private static final int MAX_ATTEMPTS = 3;
    private static final Resources PER_TASK = Resources.of(0.1, 32);
    /** Word frequencies of the chunk in CHUNK: "count word" lines. */
    private static final String COUNT = "printf '%s' \"$CHUNK\" | tr -s '[:space:]' '\\n' | grep -v '^$' | sort | uniq -c";

    private final List<String> chunks;
    private final String masters;
    private final PrintStream out;
    private final Map<Integer, Integer> attempts = new ConcurrentHashMap<>();
    private final List<Integer> pending = new ArrayList<>();
    private final Map<String, Integer> chunkOfTask = new ConcurrentHashMap<>();
    private final Map<String, Long> counts = new HashMap<>();
    /** Chunks whose counts are in: a chunk is counted once, whatever repeats or late attempts say. */
    private final java.util.Set<Integer> doneChunks = new java.util.HashSet<>();
    /** Tasks whose end was handled: a second terminal update of one changes nothing. */
    private final java.util.Set<String> endedTasks = new java.util.HashSet<>();
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    /** What the driver authenticates with, also asked for sandbox tokens (null: an insecure cluster). */
    private final io.corral.codec.Credentials.Credential credential;
    private volatile long frameworkId;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile int finished;
    private long callbackDelayMs;
    private String failure;

    public WordCount(final List<String> chunks, final String masters, final PrintStream out)
    {
        this.chunks = chunks;
        this.masters = masters;
        this.out = out;
        this.credential = io.corral.codec.Credentials.defaultFor(masters);
        int largest = 0;
        for (int i = 0; i < chunks.size(); i++)
        {
            pending.add(i);
            largest = Math.max(largest, chunks.get(i).getBytes(StandardCharsets.UTF_8).length);
        }
        // Each chunk travels in its task's environment, which is limited to 64 KiB.
        final int limit = TaskSpec.MAX_SPEC_BYTES - 1024;
        if (largest > limit)
        {
            final long total = chunks.stream().mapToLong(c -> c.getBytes(StandardCharsets.UTF_8).length).sum();
            throw new IllegalArgumentException("a chunk of " + (largest + 1023) / 1024 + " KiB is over the " +
                limit / 1024 + " KiB a task can carry: use --chunks " + Math.max(chunks.size() + 1,
                (int)((total + limit - 1) / limit) * 2) + " or more");
        }
    }

    /**
     * Makes every status callback take this long (a framework that does slow work per update, e.g.
     * writes to a database): updates then pile up, agents resend, masters redeliver.
     */
    public WordCount withCallbackDelayMs(final long ms)
    {
        this.callbackDelayMs = ms;
        return this;
    }

    /** Chunks counted so far. */
    public int finished()
    {
        return finished;
    }

    /** Splits a file into about {@code n} chunks on line boundaries. */
    public static List<String> split(final Path input, final int n) throws IOException
    {
        final List<String> lines = Files.readAllLines(input, StandardCharsets.UTF_8);
        final List<String> chunks = new ArrayList<>();
        final int per = Math.max(1, (lines.size() + n - 1) / n);
        for (int i = 0; i < lines.size(); i += per)
        {
            chunks.add(String.join("\n", lines.subList(i, Math.min(lines.size(), i + per))) + "\n");
        }
        return chunks;
    }

    /** Runs the job; returns the word counts, or throws with the reason it failed. */
    public Map<String, Long> run(final long timeoutSeconds) throws Exception
    {
        try (CorralSchedulerDriver driver = new CorralSchedulerDriver(this, new FrameworkInfo("wordcount", "default"),
            masters))
        {
            driver.start();
            if (!done.await(timeoutSeconds, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("wordcount did not finish within " + timeoutSeconds + " s (" + finished +
                    "/" + chunks.size() + " chunks done)");
            }
            driver.stop();
        }
        if (failure != null)
        {
            throw new IllegalStateException(failure);
        }
        return counts;
    }

    @Override
    public void registered(final SchedulerDriver driver, final long frameworkId)
    {
        this.frameworkId = frameworkId;
        out.println("wordcount: " + chunks.size() + " chunks");
    }

    @Override
    public void resourceOffers(final SchedulerDriver driver, final List<Offer> offers)
    {
        for (final Offer offer : offers)
        {
            long cpus = offer.resources().cpusMilli();
            long mem = offer.resources().memMiB();
            final List<TaskSpec> tasks = new ArrayList<>();
            int bytes = 0;
            while (!pending.isEmpty() && cpus >= PER_TASK.cpusMilli() && mem >= PER_TASK.memMiB())
            {
                final int chunk = pending.get(0);
                final int attempt = attempts.getOrDefault(chunk, 0) + 1;
                final String id = "chunk-" + chunk + "-" + attempt;
                final TaskSpec task = new TaskSpec(id, COUNT, PER_TASK).withEnv(Map.of("CHUNK", chunks.get(chunk)));
                if (!tasks.isEmpty() && bytes + task.wireBytes() > CorralSchedulerDriver.MAX_ACCEPT_BYTES)
                {
                    break; // one accept carries at most 128 KiB: the rest waits for the next offer
                }
                pending.remove(0);
                attempts.put(chunk, attempt);
                chunkOfTask.put(id, chunk);
                tasks.add(task);
                bytes += task.wireBytes();
                cpus -= PER_TASK.cpusMilli();
                mem -= PER_TASK.memMiB();
            }
            if (tasks.isEmpty())
            {
                driver.declineOffer(offer.offerId(), 5);
            }
            else
            {
                driver.acceptOffer(offer.offerId(), tasks);
            }
        }
    }

    @Override
    public void statusUpdate(final SchedulerDriver driver, final TaskStatus status)
    {
        if (callbackDelayMs > 0)
        {
            try
            {
                Thread.sleep(callbackDelayMs);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        final Integer chunk = chunkOfTask.get(status.taskId());
        if (chunk == null || !status.state().isTerminal() || !endedTasks.add(status.taskId()))
        {
            return;
        }
        if (doneChunks.contains(chunk))
        {
            return; // an earlier attempt of this chunk already counted
        }
        if (status.state() == TaskState.FINISHED && gather(status))
        {
            doneChunks.add(chunk);
            finished++;
            out.println("wordcount: " + finished + "/" + chunks.size() + " chunks done");
            if (finished == chunks.size())
            {
                done.countDown();
            }
            return;
        }
        if (!status.taskId().equals("chunk-" + chunk + "-" + attempts.get(chunk)) || pending.contains(chunk))
        {
            return; // not the chunk's latest attempt: that one decides
        }
        if (attempts.get(chunk) >= MAX_ATTEMPTS)
        {
            failure = "chunk " + chunk + " failed " + MAX_ATTEMPTS + " times; last: " + status.state() + " " +
                status.message();
            done.countDown();
            return;
        }
        out.println("wordcount: chunk " + chunk + " " + status.state() + " (" + status.message() + "): trying again");
        pending.add(chunk);
        driver.reviveOffers(List.of());
    }

    @Override
    public void error(final SchedulerDriver driver, final String message)
    {
        out.println("wordcount: error: " + message);
    }

    /** Reads the task's "count word" lines from its agent's sandbox and adds them up. */
    private boolean gather(final TaskStatus status)
    {
        try
        {
            final String stdout = fetch(status);
            for (final String line : stdout.split("\n"))
            {
                final String trimmed = line.trim();
                final int space = trimmed.indexOf(' ');
                if (space > 0)
                {
                    counts.merge(trimmed.substring(space + 1), Long.parseLong(trimmed.substring(0, space)), Long::sum);
                }
            }
            return true;
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            out.println("wordcount: could not read the output of " + status.taskId() + ": " + ex.getMessage());
            return false;
        }
    }

    /**
     * The task's stdout, as {@code corral logs} reads it: the leader says where the sandbox is and
     * hands over a token the agent accepts (on a cluster with credentials; the framework's own
     * credential, Credentials.defaultFor, asks for it), then the agent serves the file.
     */
    private String fetch(final TaskStatus status) throws IOException, InterruptedException
    {
        final java.util.Deque<String> targets = new java.util.ArrayDeque<>(List.of(masters.split(",")));
        final java.util.Set<String> tried = new java.util.HashSet<>();
        JsonNode grant = null;
        String problem = "no master reachable at " + masters;
        while (grant == null && !targets.isEmpty())
        {
            final String master = targets.poll().trim();
            if (!tried.add(master))
            {
                continue;
            }
            final int colon = master.lastIndexOf(':');
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + master.substring(0, colon) +
                ":" + (Integer.parseInt(master.substring(colon + 1)) + 2000) + "/api/v1/tasks/" + frameworkId + "/" +
                java.net.URLEncoder.encode(status.taskId(), StandardCharsets.UTF_8) + "/sandbox"));
            if (credential != null)
            {
                request.header("Authorization", io.corral.codec.HttpAuth.bearer(credential));
            }
            try
            {
                final HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                final JsonNode body = json.readTree(r.body());
                if (r.statusCode() == 200)
                {
                    grant = body;
                }
                else if (r.statusCode() == 421 && !body.path("leader").asText("").isEmpty())
                {
                    targets.addFirst(body.path("leader").asText());
                }
                else
                {
                    problem = body.path("error").asText(r.body());
                }
            }
            catch (final IOException ex)
            {
                // try the next master
            }
        }
        if (grant == null)
        {
            throw new IOException(problem);
        }
        final HttpRequest.Builder read = HttpRequest.newBuilder(URI.create("http://" + grant.path("agent").asText() +
            "/files/" + frameworkId + "/" + java.net.URLEncoder.encode(status.taskId(), StandardCharsets.UTF_8) +
            "?path=stdout"));
        if (grant.path("token").isTextual())
        {
            read.header("Authorization", "Bearer " + grant.path("token").asText());
        }
        final HttpResponse<String> r = http.send(read.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200)
        {
            throw new IOException("agent answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }
}
