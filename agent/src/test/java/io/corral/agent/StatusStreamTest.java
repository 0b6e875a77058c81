package io.corral.agent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Seal;
import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.StatusUpdateDecoder;
import io.corral.codec.sbe.TaskState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's status stream over a real Aeron stream and a real Chronicle Map checkpoint. */
class StatusStreamTest
{
    private static final long T0 = 1_000_000_000_000L;

    @TempDir
    Path dir;

    /**
     * New updates go at once and in order; a resend carries only the task's latest update. An
     * older one resent after a later one had gone took a task backwards after a leader kill (the
     * new leader forwarded the resent STARTING after the old one had forwarded RUNNING).
     */
    @Test
    void updatesGoInOrderAtOnceAndAResendCarriesOnlyTheLatest()
    {
        final Aeron aeron = MediaDrivers.connect();
        final AgentCheckpoint checkpoint = new AgentCheckpoint(dir.toFile());
        try (Subscription sub = aeron.addSubscription("aeron:ipc", 77);
            Publication pub = aeron.addPublication("aeron:ipc", 77))
        {
            final Map<String, RunningTask> tasks = new HashMap<>();
            final TaskRecord record = new TaskRecord();
            record.frameworkId = 7;
            record.taskId = "t1";
            record.command = "true";
            record.resources = new long[4];
            final RunningTask task = new RunningTask(record);
            tasks.put(record.key(), task);
            final StatusStream stream = new StatusStream(checkpoint, tasks);
            final Seal seal = Seal.insecure();
            while (!pub.isConnected())
            {
                Thread.onSpinWait();
            }

            stream.queue(task, TaskState.STARTING, 0, "");
            stream.queue(task, TaskState.RUNNING, 0, "");
            assertEquals(2, stream.sendDue(T0, 42, pub, seal));
            assertEquals(List.of(TaskState.STARTING, TaskState.RUNNING), read(sub, 2));

            assertEquals(0, stream.sendDue(T0 + AgentNode.STATUS_RETRY_FIRST_NS / 2, 42, pub, seal),
                "nothing is due before the backoff");
            assertEquals(1, stream.sendDue(T0 + AgentNode.STATUS_RETRY_FIRST_NS, 42, pub, seal));
            assertEquals(List.of(TaskState.RUNNING), read(sub, 1), "the resend is the latest only");

            stream.queue(task, TaskState.FINISHED, 0, "exited 0");
            stream.resendAllNow(); // a new leader: what is pending goes now
            assertEquals(1, stream.sendDue(T0 + AgentNode.STATUS_RETRY_FIRST_NS + 1, 42, pub, seal));
            assertEquals(List.of(TaskState.FINISHED), read(sub, 1));
            assertEquals(3, stream.pending(), "nothing is dropped before its acknowledgement");
        }
        finally
        {
            checkpoint.close();
            MediaDrivers.release(aeron);
        }
    }

    private static List<TaskState> read(final Subscription sub, final int expected)
    {
        final List<TaskState> states = new ArrayList<>();
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final StatusUpdateDecoder update = new StatusUpdateDecoder();
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (states.size() < expected && System.nanoTime() < deadline)
        {
            sub.poll((buffer, offset, length, h) ->
            {
                header.wrap(buffer, offset);
                assertEquals(StatusUpdateDecoder.TEMPLATE_ID, header.templateId());
                update.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
                states.add(update.state());
            }, 10);
        }
        // Anything more would have arrived with these (one stream, in order): none may follow.
        assertTrue(sub.poll((b, o, l, h) -> states.add(null), 10) == 0, "no more than " + expected + " went");
        return states;
    }
}
