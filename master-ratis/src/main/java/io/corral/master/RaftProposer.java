package io.corral.master;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.corral.codec.sbe.MessageHeaderEncoder;
import io.corral.codec.sbe.RecordBatchEncoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's one write path (Kafka's controller appends the same way): every record any part of
 * the duty thread proposes is appended to the open batch; a batch becomes one log entry
 * ({@code RecordBatch}) when it reaches {@link #MAX_BATCH_BYTES}, when it has lingered
 * {@link #LINGER_NS}, or at once when nothing is in flight (an idle master adds no delay). At most
 * {@link #MAX_IN_FLIGHT} entries are in flight; while they are, records gather into the next batch
 * (group commit: the busier the log, the more records per entry), and {@link #backlogged} tells
 * the leader's admission to stop taking work. A refused entry's failure actions run on the duty
 * thread, only while the duties that proposed them are still in office; an operator's record gets
 * its future completed with why. Owned by the duty thread; replies arrive on Ratis threads and
 * touch only the atomic count and the command queue.
 */
final class RaftProposer implements RecordProposer
{
    /** Entries in flight at most: enough to keep Raft's pipeline full, few enough that batches grow under load. */
    static final int MAX_IN_FLIGHT = 8;
    /** A batch closes at this size; a record larger than this goes on its own. */
    static final int MAX_BATCH_BYTES = 256 * 1024;
    /** A batch waits at most this long for more records while entries are in flight. */
    static final long LINGER_NS = 2_000_000L;
    /** The batch's group count is 16 bits. */
    private static final int MAX_BATCH_RECORDS = 65_535;
    /** Closed batches waiting for room in flight beyond which the leader stops admitting work. */
    private static final int BACKLOG_BATCHES = 2;
    private static final Logger LOG = LoggerFactory.getLogger(RaftProposer.class);

    /**
     * Proposals failing without a success for this long: the master reports itself unhealthy and
     * gives up leadership, so that a master that can commit leads instead.
     */
    static final long FAILING_TOO_LONG_NS = 10_000_000_000L;

    /** Where entries go: the local Raft server in process, or a Raft client (gRPC, loopback). */
    interface RaftLog
    {
        CompletableFuture<RaftClientReply> submit(Message entry);

        /** Ratis gave up on {@code failure}: make a new way in if this one is closed for good (counted). */
        default void failed(final Throwable failure)
        {
        }

        /** Fault injection: as if Ratis had closed the way in. */
        default void breakOnPurpose()
        {
        }

        default void close()
        {
        }
    }

    /** One log entry's worth of records, and who to tell if it fails. */
    private static final class Batch
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64 * 1024);
        final List<Runnable> onFailure = new ArrayList<>();
        final List<CompletableFuture<String>> results = new ArrayList<>();
        Object proposedBy;
        int records;
        int length;
        long firstAtNs;

        void clear()
        {
            onFailure.clear();
            results.clear();
            proposedBy = null;
            records = 0;
            length = 0;
        }
    }

    private static final int GROUP_COUNT_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + RecordBatchEncoder.BLOCK_LENGTH + 2;
    private static final int FIRST_RECORD_OFFSET = GROUP_COUNT_OFFSET + 2;

    private final RaftLog log;
    private final java.util.function.LongSupplier clock;
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands;
    private final MasterMetrics metrics;
    private final Supplier<?> duties;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong failingSinceNs = new AtomicLong();
    private final ArrayDeque<Batch> closed = new ArrayDeque<>();
    private final ArrayDeque<Batch> spare = new ArrayDeque<>();
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final RecordBatchEncoder batchEncoder = new RecordBatchEncoder();
    private Batch open;
    /** Fault injection: while on, every proposal fails at once, as if Raft could not commit. */
    private volatile boolean failingOnPurpose;

    /** {@code commands}: the duty thread's queue; {@code duties}: who leads now (the leader's duties, compared by identity; null: nobody here). */
    RaftProposer(final RaftLog log, final ManyToOneConcurrentLinkedQueue<Runnable> commands,
        final MasterMetrics metrics, final Supplier<?> duties)
    {
        this(log, commands, metrics, duties, System::nanoTime);
    }

    /** With the clock the linger is measured on ({@code System::nanoTime}; a fake one in tests). */
    RaftProposer(final RaftLog log, final ManyToOneConcurrentLinkedQueue<Runnable> commands,
        final MasterMetrics metrics, final Supplier<?> duties, final java.util.function.LongSupplier clock)
    {
        this.clock = clock;
        this.log = log;
        this.commands = commands;
        this.metrics = metrics;
        this.duties = duties;
    }

    /** Appended to the open batch; goes out in {@link #sendWaiting}. */
    @Override
    public void propose(final ExpandableArrayBuffer buffer, final int length, final Runnable onFailure)
    {
        final Batch b = append(buffer, length, clock.getAsLong());
        if (onFailure != null)
        {
            b.onFailure.add(onFailure);
        }
    }

    /**
     * An operator's record (an ACL or a role change), through the same batching and in-flight bound
     * as every other: {@code result} completes with null once it is committed, or with why not.
     */
    void propose(final ExpandableArrayBuffer buffer, final int length, final CompletableFuture<String> result)
    {
        append(buffer, length, clock.getAsLong()).results.add(result);
    }

    private Batch append(final ExpandableArrayBuffer buffer, final int length, final long nowNs)
    {
        final Object by = duties.get();
        if (open != null && (open.records > 0 && open.length + 4 + length > MAX_BATCH_BYTES ||
            open.records == MAX_BATCH_RECORDS || open.proposedBy != by))
        {
            closeOpen();
        }
        if (open == null)
        {
            open = spare.isEmpty() ? new Batch() : spare.poll();
            open.proposedBy = by;
            open.firstAtNs = nowNs;
            batchEncoder.wrapAndApplyHeader(open.buffer, 0, header).recordsCount(0);
            open.length = FIRST_RECORD_OFFSET;
        }
        final Batch b = open;
        b.buffer.putInt(b.length, length, java.nio.ByteOrder.LITTLE_ENDIAN);
        b.buffer.putBytes(b.length + 4, buffer, 0, length);
        b.length += 4 + length;
        b.records++;
        return b;
    }

    private void closeOpen()
    {
        open.buffer.putShort(GROUP_COUNT_OFFSET, (short)open.records, java.nio.ByteOrder.LITTLE_ENDIAN);
        closed.add(open);
        open = null;
    }

    /**
     * True while closed batches wait for room in flight: the log is taking records more slowly than
     * they come, and the leader should not admit more work (offers, launches) until it catches up.
     */
    @Override
    public boolean backlogged()
    {
        return closed.size() >= BACKLOG_BATCHES;
    }

    /** Entries submitted and not yet answered. */
    int inFlight()
    {
        return inFlight.get();
    }

    /** How long proposals have failed without a success in between (0: they succeed). */
    long failingForNs(final long nowNs)
    {
        final long since = failingSinceNs.get();
        return since == 0 ? 0 : Math.max(0, nowNs - since);
    }

    void failOnPurpose(final boolean on)
    {
        failingOnPurpose = on;
    }

    /** Fault injection, duty thread: breaks the way into the log, as Ratis closes a client whose retries ran out. */
    void closeClientOnPurpose()
    {
        log.breakOnPurpose();
    }

    /**
     * Duty thread, each cycle: submits closed batches, and the open one if it has lingered long
     * enough or nothing is in flight, while there is room. Returns how many entries went.
     */
    int sendWaiting()
    {
        return sendWaiting(clock.getAsLong());
    }

    int sendWaiting(final long nowNs)
    {
        int sent = 0;
        while (inFlight.get() < MAX_IN_FLIGHT)
        {
            if (closed.isEmpty())
            {
                if (open == null || inFlight.get() > 0 && nowNs - open.firstAtNs < LINGER_NS)
                {
                    break;
                }
                closeOpen();
            }
            send(closed.poll());
            sent++;
        }
        return sent;
    }

    private void send(final Batch b)
    {
        inFlight.incrementAndGet();
        final long proposedNs = clock.getAsLong();
        metrics.proposedRecords(b.records);
        final Runnable[] failures = b.onFailure.isEmpty() ? null : b.onFailure.toArray(new Runnable[0]);
        @SuppressWarnings("unchecked")
        final CompletableFuture<String>[] results = b.results.isEmpty() ? null :
            b.results.toArray(new CompletableFuture[0]);
        final Object proposedBy = b.proposedBy;
        final int records = b.records;
        CompletableFuture<RaftClientReply> sent;
        try
        {
            sent = failingOnPurpose ? CompletableFuture.failedFuture(
                new java.io.IOException("proposals fail on purpose (fault injection)")) :
                log.submit(Message.valueOf(ByteString.copyFrom(b.buffer.byteArray(), 0, b.length)));
        }
        catch (final RuntimeException ex)
        {
            sent = CompletableFuture.failedFuture(ex);
        }
        b.clear();
        spare.add(b);
        sent.whenComplete((reply, ex) ->
        {
            inFlight.decrementAndGet();
            if (ex != null || reply == null || !reply.isSuccess())
            {
                failingSinceNs.compareAndSet(0, proposedNs == 0 ? 1 : proposedNs);
                metrics.proposalsFailed.inc();
                final Throwable failure = ex != null ? ex : reply == null ? null : reply.getException();
                final String why = failure != null ? failure.toString() : String.valueOf(reply);
                LOG.warn("proposal of {} record(s) failed: {}", records, why);
                commands.offer(() ->
                {
                    log.failed(failure);
                    final Object now = duties.get();
                    for (int i = 0; results != null && i < results.length; i++)
                    {
                        results[i].complete("not committed: " + why);
                    }
                    for (int i = 0; failures != null && now != null && now == proposedBy && i < failures.length; i++)
                    {
                        failures[i].run();
                    }
                });
            }
            else
            {
                failingSinceNs.set(0);
                metrics.committed(clock.getAsLong() - proposedNs);
                for (int i = 0; results != null && i < results.length; i++)
                {
                    results[i].complete(null);
                }
            }
        });
    }

    /** The master is stopping. */
    void close()
    {
        log.close();
    }
}
