package io.corral.master;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.corral.codec.sbe.MessageHeaderEncoder;
import io.corral.codec.sbe.RecordBatchEncoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proposes records through the master's Raft client without ever blocking the duty thread. Ratis
 * lets a client have 100 requests outstanding and parks the caller of the 101st until one
 * completes: on the duty thread that stopped heartbeats being answered (agents were removed for
 * it). So at most {@link #MAX_IN_FLIGHT} go out at once, and what one duty cycle proposed goes as
 * one log entry ({@code RecordBatch}, up to {@link #MAX_BATCH_BYTES}): 1,000 agents registering
 * at once are a few entries, not 1,000 commits queued behind each other. What does not fit waits
 * here, in order, and goes, batched, as replies come back. A refused entry's failure actions run
 * on the duty thread, only while the duties that proposed them are still in office. Owned by the
 * duty thread (replies arrive on Ratis threads and only touch the atomic count and the command queue).
 */
final class RaftProposer implements RecordProposer
{
    static final int MAX_IN_FLIGHT = 64;
    /** A batch stops growing here; a record larger than this goes on its own. */
    static final int MAX_BATCH_BYTES = 256 * 1024;
    /** The batch's group count is 16 bits. */
    private static final int MAX_BATCH_RECORDS = 65_535;
    private static final Logger LOG = LoggerFactory.getLogger(RaftProposer.class);

    private record Waiting(byte[] bytes, Runnable onFailure, LeaderDuties proposedBy)
    {
    }

    private final RaftClient client;
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands;
    private final MasterMetrics metrics;
    private final Supplier<LeaderDuties> duties;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final ExpandableArrayBuffer batchBuffer = new ExpandableArrayBuffer(64 * 1024);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final RecordBatchEncoder batch = new RecordBatchEncoder();

    /** {@code commands}: the duty thread's queue; {@code duties}: who leads now (null: nobody here). */
    RaftProposer(final RaftClient client, final ManyToOneConcurrentLinkedQueue<Runnable> commands,
        final MasterMetrics metrics, final Supplier<LeaderDuties> duties)
    {
        this.client = client;
        this.commands = commands;
        this.metrics = metrics;
        this.duties = duties;
    }

    /** Queued; goes out with the rest of the cycle's proposals in {@link #sendWaiting}. */
    @Override
    public void propose(final ExpandableArrayBuffer buffer, final int length, final Runnable onFailure)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        waiting.add(new Waiting(bytes, onFailure, duties.get()));
    }

    /** Duty thread, each cycle: sends what waits, batched, while there is room; returns how many entries went. */
    int sendWaiting()
    {
        int sent = 0;
        while (!waiting.isEmpty() && inFlight.get() < MAX_IN_FLIGHT)
        {
            send(nextBatch());
            sent++;
        }
        return sent;
    }

    /** Takes the next records off the queue (one, or as many as fit in a batch). */
    private List<Waiting> nextBatch()
    {
        final List<Waiting> taken = new ArrayList<>();
        int bytes = 0;
        while (!waiting.isEmpty() && taken.size() < MAX_BATCH_RECORDS)
        {
            final int next = waiting.peek().bytes().length + RecordBatchEncoder.RecordsEncoder.recordHeaderLength();
            if (!taken.isEmpty() && bytes + next > MAX_BATCH_BYTES)
            {
                break;
            }
            taken.add(waiting.poll());
            bytes += next;
        }
        return taken;
    }

    private Message message(final List<Waiting> records)
    {
        if (records.size() == 1)
        {
            return Message.valueOf(ByteString.copyFrom(records.get(0).bytes()));
        }
        final RecordBatchEncoder.RecordsEncoder group = batch.wrapAndApplyHeader(batchBuffer, 0, header)
            .recordsCount(records.size());
        for (final Waiting w : records)
        {
            group.next().putRecord(w.bytes(), 0, w.bytes().length);
        }
        return Message.valueOf(ByteString.copyFrom(batchBuffer.byteArray(), 0,
            MessageHeaderEncoder.ENCODED_LENGTH + batch.encodedLength()));
    }

    private void send(final List<Waiting> records)
    {
        inFlight.incrementAndGet();
        final long proposedNs = System.nanoTime();
        metrics.proposedRecords(records.size());
        client.async().send(message(records)).whenComplete((reply, ex) ->
        {
            inFlight.decrementAndGet();
            if (ex != null || reply == null || !reply.isSuccess())
            {
                metrics.proposalsFailed.inc();
                LOG.warn("proposal of {} record(s) failed: {}", records.size(), ex != null ? ex.toString() : reply);
                commands.offer(() ->
                {
                    final LeaderDuties now = duties.get();
                    for (final Waiting w : records)
                    {
                        if (w.onFailure() != null && now != null && now == w.proposedBy())
                        {
                            w.onFailure().run();
                        }
                    }
                });
            }
            else
            {
                metrics.committed(System.nanoTime() - proposedNs);
            }
        });
    }
}
