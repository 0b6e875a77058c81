package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * The agent's memory across crashes: its id and its tasks (with pending status updates), in two
 * Chronicle Map files under {@code WORK/checkpoint/}. Every change is written through at once; a
 * map left open by a killed agent is recovered when it is opened again.
 */
final class AgentCheckpoint implements AutoCloseable
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AGENT_ID = "agentId";
    private static final String SECRET = "agentSecret";

    private final ChronicleMap<String, String> meta;
    private final ChronicleMap<String, String> tasks;

    AgentCheckpoint(final File workDir)
    {
        final File dir = new File(workDir, "checkpoint");
        if (!dir.isDirectory() && !dir.mkdirs())
        {
            throw new IllegalArgumentException("cannot create checkpoint directory " + dir);
        }
        try
        {
            meta = open(ChronicleMap.of(String.class, String.class).name("corral-agent-meta")
                .averageKey(AGENT_ID).averageValue("1234567890123456789").entries(16), new File(dir, "meta.cm"));
            final TaskRecord sample = new TaskRecord();
            sample.taskId = "a-typical-task-id-0000";
            sample.command = "a typical command line with a few arguments";
            sample.sandbox = new File(workDir, "frameworks/1234567890/tasks/a-typical-task-id-0000/runs/0").getPath();
            sample.resources = new long[4];
            sample.pending.add(new TaskRecord.Update());
            sample.pending.get(0).message = "a typical status message";
            tasks = open(ChronicleMap.of(String.class, String.class).name("corral-agent-tasks")
                .averageKey("1234567890123/a-typical-task-id-0000").averageValue(JSON.writeValueAsString(sample))
                .entries(10_000).maxBloatFactor(10), new File(dir, "tasks.cm"));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open the agent checkpoint in " + dir, ex);
        }
    }

    /** Creates the file, or recovers it (it may have been left open by an agent killed with -9). */
    private static ChronicleMap<String, String> open(
        final net.openhft.chronicle.map.ChronicleMapBuilder<String, String> builder, final File file) throws IOException
    {
        return file.exists() ? builder.recoverPersistedTo(file, true) : builder.createPersistedTo(file);
    }

    long agentId()
    {
        final String id = meta.get(AGENT_ID);
        return id == null ? 0 : Long.parseLong(id);
    }

    void agentId(final long id)
    {
        meta.put(AGENT_ID, Long.toString(id));
    }

    /**
     * The agent's own secret (made once, at its first start, and kept with its id): a registration
     * that claims its id must present it, so no other agent can take the id over.
     */
    String secret()
    {
        String secret = meta.get(SECRET);
        if (secret == null)
        {
            final byte[] random = new byte[16];
            new java.security.SecureRandom().nextBytes(random);
            secret = java.util.HexFormat.of().formatHex(random);
            meta.put(SECRET, secret);
        }
        return secret;
    }

    /** Every checkpointed task, in key order. */
    Map<String, TaskRecord> tasks()
    {
        final Map<String, TaskRecord> out = new LinkedHashMap<>();
        for (final Map.Entry<String, String> e : new TreeMap<>(tasks).entrySet())
        {
            try
            {
                out.put(e.getKey(), JSON.readValue(e.getValue(), TaskRecord.class));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("checkpoint entry " + e.getKey() + " is unreadable", ex);
            }
        }
        return out;
    }

    void save(final TaskRecord record)
    {
        try
        {
            tasks.put(record.key(), JSON.writeValueAsString(record));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final net.openhft.chronicle.hash.ChronicleHashClosedException ex)
        {
            // The JVM is exiting and Chronicle's own shutdown hook closed the map first; what is on
            // disk is the last state saved, which a restarted agent recovers from.
        }
    }

    void remove(final String key)
    {
        try
        {
            tasks.remove(key);
        }
        catch (final net.openhft.chronicle.hash.ChronicleHashClosedException ex)
        {
            // as in save: closed at JVM exit
        }
    }

    void clearTasks()
    {
        tasks.clear();
    }

    @Override
    public void close()
    {
        if (tasks.isOpen())
        {
            tasks.close();
        }
        if (meta.isOpen())
        {
            meta.close();
        }
    }
}
