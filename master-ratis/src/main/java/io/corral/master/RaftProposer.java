package io.corral.master;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

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
 * it). So at most {@link #MAX_IN_FLIGHT} go out at once; the rest wait here, in order, and go as
 * replies come back. A refused proposal's failure action runs on the duty thread, only while the
 * duties that proposed it are still in office. Owned by the duty thread (replies arrive on Ratis
 * threads and only touch the atomic count and the command queue).
 */
final class RaftProposer implements RecordProposer
{
    static final int MAX_IN_FLIGHT = 64;
    private static final Logger LOG = LoggerFactory.getLogger(RaftProposer.class);

    private record Waiting(Message message, Runnable onFailure, LeaderDuties proposedBy)
    {
    }

    private final RaftClient client;
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands;
    private final MasterMetrics metrics;
    private final Supplier<LeaderDuties> duties;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();

    /** {@code commands}: the duty thread's queue; {@code duties}: who leads now (null: nobody here). */
    RaftProposer(final RaftClient client, final ManyToOneConcurrentLinkedQueue<Runnable> commands,
        final MasterMetrics metrics, final Supplier<LeaderDuties> duties)
    {
        this.client = client;
        this.commands = commands;
        this.metrics = metrics;
        this.duties = duties;
    }

    @Override
    public void propose(final ExpandableArrayBuffer buffer, final int length, final Runnable onFailure)
    {
        final Waiting proposal = new Waiting(Message.valueOf(ByteString.copyFrom(buffer.byteArray(), 0, length)),
            onFailure, duties.get());
        if (!waiting.isEmpty() || inFlight.get() >= MAX_IN_FLIGHT)
        {
            waiting.add(proposal);
            return;
        }
        send(proposal);
    }

    /** Duty thread, each cycle: sends what waited while there is room; returns how many went. */
    int sendWaiting()
    {
        int sent = 0;
        while (!waiting.isEmpty() && inFlight.get() < MAX_IN_FLIGHT)
        {
            send(waiting.poll());
            sent++;
        }
        return sent;
    }

    private void send(final Waiting proposal)
    {
        inFlight.incrementAndGet();
        final long proposedNs = System.nanoTime();
        client.async().send(proposal.message()).whenComplete((reply, ex) ->
        {
            inFlight.decrementAndGet();
            if (ex != null || reply == null || !reply.isSuccess())
            {
                metrics.proposalsFailed.inc();
                LOG.warn("proposal failed: {}", ex != null ? ex.toString() : reply);
                if (proposal.onFailure() != null)
                {
                    commands.offer(() ->
                    {
                        final LeaderDuties now = duties.get();
                        if (now != null && now == proposal.proposedBy())
                        {
                            proposal.onFailure().run();
                        }
                    });
                }
            }
            else
            {
                metrics.committed(System.nanoTime() - proposedNs);
            }
        });
    }
}
