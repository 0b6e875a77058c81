package io.corral.master;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.RecordBatchDecoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The write path with a fake clock and a fake log: batching, linger, the in-flight bound, back-pressure, failures. */
class RaftProposerTest
{
    private static final long MS = 1_000_000L;

    /** Entries submitted, each with the future the test completes. */
    private final List<Message> entries = new ArrayList<>();
    private final List<CompletableFuture<RaftClientReply>> replies = new ArrayList<>();
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands = new ManyToOneConcurrentLinkedQueue<>();
    private long nowNs = 1_000 * MS;
    private Object duties;
    private final RaftProposer proposer = new RaftProposer(entry ->
    {
        entries.add(entry);
        final CompletableFuture<RaftClientReply> reply = new CompletableFuture<>();
        replies.add(reply);
        return reply;
    }, commands, new MasterMetrics(null), () -> duties, () -> nowNs);

    private static ExpandableArrayBuffer record(final int bytes)
    {
        final ExpandableArrayBuffer b = new ExpandableArrayBuffer(bytes);
        for (int i = 0; i < bytes; i++)
        {
            b.putByte(i, (byte)i);
        }
        return b;
    }

    /** Records in the i-th entry. */
    private int recordsIn(final int i)
    {
        final byte[] bytes = entries.get(i).getContent().toByteArray();
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, 0);
        assertEquals(RecordBatchDecoder.TEMPLATE_ID, header.templateId());
        final RecordBatchDecoder batch = new RecordBatchDecoder().wrapAndApplyHeader(buffer, 0, header);
        int n = 0;
        for (final RecordBatchDecoder.RecordsDecoder r : batch.records())
        {
            final byte[] record = new byte[r.recordLength()];
            r.getRecord(record, 0, record.length);
            for (int k = 0; k < record.length; k++)
            {
                assertEquals((byte)k, record[k], "record bytes arrive as proposed");
            }
            n++;
        }
        return n;
    }

    private static RaftClientReply success()
    {
        return RaftClientReply.newBuilder().setClientId(ClientId.randomId()).setServerId(RaftPeerId.valueOf("m1"))
            .setGroupId(RaftGroupId.randomId()).setCallId(1).setSuccess(true).build();
    }

    private void runCommands()
    {
        Runnable r;
        while ((r = commands.poll()) != null)
        {
            r.run();
        }
    }

    @Test
    void anIdleLogTakesARecordAtOnce()
    {
        proposer.propose(record(40), 40, (Runnable)null);
        assertEquals(1, proposer.sendWaiting(nowNs), "nothing in flight: no linger");
        assertEquals(1, recordsIn(0));
    }

    @Test
    void whileEntriesAreInFlightRecordsGatherUntilTheLingerEnds()
    {
        proposer.propose(record(40), 40, (Runnable)null);
        proposer.sendWaiting(nowNs);
        for (int i = 0; i < 5; i++)
        {
            proposer.propose(record(30 + i), 30 + i, (Runnable)null);
        }
        nowNs += RaftProposer.LINGER_NS - 1;
        assertEquals(0, proposer.sendWaiting(nowNs), "still lingering");
        nowNs += 1;
        assertEquals(1, proposer.sendWaiting(nowNs), "the linger is over: one entry");
        assertEquals(5, recordsIn(1), "the five records went as one entry");
    }

    @Test
    void aFullBatchClosesWithoutWaitingAndABigRecordGoesAlone()
    {
        proposer.propose(record(10), 10, (Runnable)null);
        proposer.sendWaiting(nowNs); // one in flight from now on
        final int big = RaftProposer.MAX_BATCH_BYTES / 3;
        for (int i = 0; i < 4; i++)
        {
            proposer.propose(record(big), big, (Runnable)null);
        }
        assertEquals(1, proposer.sendWaiting(nowNs), "a batch that filled up goes at once");
        assertEquals(2, recordsIn(1));
        proposer.propose(record(RaftProposer.MAX_BATCH_BYTES + 10), RaftProposer.MAX_BATCH_BYTES + 10, (Runnable)null);
        nowNs += RaftProposer.LINGER_NS;
        assertEquals(2, proposer.sendWaiting(nowNs), "the rest, then the record larger than a batch on its own");
        assertEquals(2, recordsIn(2));
        assertEquals(1, recordsIn(3));
    }

    @Test
    void atMostSoManyEntriesAreInFlightAndABacklogStopsAdmission()
    {
        final int big = RaftProposer.MAX_BATCH_BYTES;
        for (int i = 0; i < RaftProposer.MAX_IN_FLIGHT + 3; i++)
        {
            proposer.propose(record(big), big, (Runnable)null); // each fills a batch of its own
        }
        proposer.propose(record(10), 10, (Runnable)null);
        assertEquals(RaftProposer.MAX_IN_FLIGHT, proposer.sendWaiting(nowNs));
        assertEquals(RaftProposer.MAX_IN_FLIGHT, proposer.inFlight());
        assertTrue(proposer.backlogged(), "closed batches wait: admit no more work");
        nowNs += 10 * RaftProposer.LINGER_NS;
        assertEquals(0, proposer.sendWaiting(nowNs), "no room in flight");
        replies.get(0).complete(success());
        assertEquals(1, proposer.sendWaiting(nowNs), "one answered, one more goes");
        replies.get(1).complete(success());
        replies.get(2).complete(success());
        replies.get(3).complete(success());
        assertEquals(3, proposer.sendWaiting(nowNs), "the two closed batches, then the open one");
        assertFalse(proposer.backlogged());
        assertEquals(1, recordsIn(entries.size() - 1));
    }

    @Test
    void aFailedEntryRevertsItsRecordsOnTheDutyThreadOnlyForTheDutiesThatProposedIt()
    {
        duties = new Object(); // this master leads
        final AtomicInteger reverted = new AtomicInteger();
        final CompletableFuture<String> operator = new CompletableFuture<>();
        proposer.propose(record(20), 20, reverted::incrementAndGet);
        proposer.propose(record(20), 20, operator);
        proposer.sendWaiting(nowNs);
        assertEquals(1, entries.size(), "both in one entry");
        replies.get(0).completeExceptionally(new java.io.IOException("not the leader"));
        assertEquals(0, reverted.get(), "failure actions run on the duty thread, not Ratis's");
        runCommands();
        assertEquals(1, reverted.get());
        assertTrue(operator.join().startsWith("not committed"), operator.join());
        assertTrue(proposer.failingForNs(nowNs + MS) > 0, "failing since the entry was proposed");

        // Proposed under one leadership, failed under another: the new duties do not run the old ones' reverts.
        proposer.propose(record(20), 20, reverted::incrementAndGet);
        proposer.sendWaiting(nowNs);
        duties = new Object(); // another leadership
        replies.get(1).completeExceptionally(new java.io.IOException("stepped down"));
        runCommands();
        assertEquals(1, reverted.get());

        final CompletableFuture<String> committed = new CompletableFuture<>();
        proposer.propose(record(20), 20, committed);
        proposer.sendWaiting(nowNs);
        replies.get(2).complete(success());
        assertNull(committed.join(), "committed: the operator's future says so");
        assertEquals(0, proposer.failingForNs(nowNs), "a success ends the failing streak");
    }
}
