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

    /**
     * Proposals failing without a success for this long: the master reports itself unhealthy and
     * gives up leadership, so that a master that can commit leads instead.
     */
    static final long FAILING_TOO_LONG_NS = 10_000_000_000L;

    private record Waiting(byte[] bytes, Runnable onFailure, LeaderDuties proposedBy,
        java.util.concurrent.CompletableFuture<String> result)
    {
    }

    /** Makes a Raft client: at start, and again whenever the one in use is closed for good. */
    private final Supplier<RaftClient> clients;
    /** Duty thread: the client proposals go through; replaced when Ratis closes it. */
    private RaftClient client;
    /** When proposals began failing without a success since (System.nanoTime()), 0 while they succeed. */
    private final java.util.concurrent.atomic.AtomicLong failingSinceNs = new java.util.concurrent.atomic.AtomicLong();
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands;
    private final MasterMetrics metrics;
    private final Supplier<LeaderDuties> duties;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final ExpandableArrayBuffer batchBuffer = new ExpandableArrayBuffer(64 * 1024);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final RecordBatchEncoder batch = new RecordBatchEncoder();

    /** {@code commands}: the duty thread's queue; {@code duties}: who leads now (null: nobody here). */
    RaftProposer(final Supplier<RaftClient> clients, final ManyToOneConcurrentLinkedQueue<Runnable> commands,
        final MasterMetrics metrics, final Supplier<LeaderDuties> duties)
    {
        this.clients = clients;
        this.client = clients.get();
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
        waiting.add(new Waiting(bytes, onFailure, duties.get(), null));
    }

    /**
     * An operator's record (an ACL or a role change), through the same batching and in-flight bound
     * as every other: {@code result} completes with null once it is committed, or with why not.
     */
    void propose(final ExpandableArrayBuffer buffer, final int length,
        final java.util.concurrent.CompletableFuture<String> result)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        waiting.add(new Waiting(bytes, null, duties.get(), result));
    }

    /** How long proposals have failed without a success in between (0: they succeed). */
    long failingForNs(final long nowNs)
    {
        final long since = failingSinceNs.get();
        return since == 0 ? 0 : Math.max(0, nowNs - since);
    }

    /** Fault injection: while on, every proposal fails at once, as if Raft could not commit. */
    private volatile boolean failingOnPurpose;

    void failOnPurpose(final boolean on)
    {
        failingOnPurpose = on;
    }

    /** Fault injection, duty thread: closes the client in use, as Ratis closes one whose retries ran out. */
    void closeClientOnPurpose()
    {
        try
        {
            client.close();
        }
        catch (final java.io.IOException ex)
        {
            LOG.warn("closing the Raft client on purpose", ex);
        }
    }

    /**
     * After Ratis gave up on a request (its retries ran out), an ordered client has closed its
     * window for good: every later request would fail at once with AlreadyClosedException. The
     * duty thread makes a new client in its place (counted); the old one is closed.
     */
    private void replaceIfBroken(final RaftClient broken, final Throwable failure)
    {
        if (broken != client || !closedForGood(failure))
        {
            return;
        }
        metrics.raftClientsReplaced.inc();
        LOG.warn("the Raft client is closed after a failed proposal ({}); proposing through a new one", failure);
        client = clients.get();
        try
        {
            broken.close();
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            LOG.debug("closing the broken Raft client", ex);
        }
    }

    private static boolean closedForGood(final Throwable failure)
    {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause())
        {
            if (t instanceof org.apache.ratis.protocol.exceptions.AlreadyClosedException ||
                t instanceof org.apache.ratis.protocol.exceptions.RaftRetryFailureException)
            {
                return true;
            }
        }
        return false;
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
        final RaftClient sentWith = client;
        java.util.concurrent.CompletableFuture<org.apache.ratis.protocol.RaftClientReply> sent;
        try
        {
            sent = failingOnPurpose ? java.util.concurrent.CompletableFuture.failedFuture(
                new java.io.IOException("proposals fail on purpose (fault injection)")) :
                sentWith.async().send(message(records));
        }
        catch (final RuntimeException ex)
        {
            sent = java.util.concurrent.CompletableFuture.failedFuture(ex);
        }
        sent.whenComplete((reply, ex) ->
        {
            inFlight.decrementAndGet();
            if (ex != null || reply == null || !reply.isSuccess())
            {
                failingSinceNs.compareAndSet(0, proposedNs == 0 ? 1 : proposedNs);
                metrics.proposalsFailed.inc();
                final Throwable failure = ex != null ? ex : reply == null ? null : reply.getException();
                final String why = failure != null ? failure.toString() : String.valueOf(reply);
                LOG.warn("proposal of {} record(s) failed: {}", records.size(), why);
                commands.offer(() ->
                {
                    replaceIfBroken(sentWith, failure);
                    final LeaderDuties now = duties.get();
                    for (final Waiting w : records)
                    {
                        if (w.result() != null)
                        {
                            w.result().complete("not committed: " + why);
                        }
                        else if (w.onFailure() != null && now != null && now == w.proposedBy())
                        {
                            w.onFailure().run();
                        }
                    }
                });
            }
            else
            {
                failingSinceNs.set(0);
                metrics.committed(System.nanoTime() - proposedNs);
                for (final Waiting w : records)
                {
                    if (w.result() != null)
                    {
                        w.result().complete(null);
                    }
                }
            }
        });
    }

    /** Closes the client in use (the master is stopping). */
    void close()
    {
        try
        {
            client.close();
        }
        catch (final java.io.IOException ex)
        {
            LOG.warn("closing raft client", ex);
        }
    }
}
