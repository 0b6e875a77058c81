package io.corral.client;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.aeron.Publication;
import io.corral.codec.Outbound;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The driver's calls to the leader (accept, decline, kill, ...), in order: one that cannot go
 * now (no leader yet, or back-pressure) waits and is retried each cycle for
 * {@link CorralSchedulerDriver#CALL_RETRY_NS}, then failed with a reason (and its failure action,
 * e.g. reporting an accept's tasks LOST). Owned by the driver's duty thread.
 */
final class CallQueue
{
    private record PendingCall(byte[] bytes, String what, long deadlineNs, Runnable onFailure)
    {
    }

    private final ArrayDeque<PendingCall> waiting = new ArrayDeque<>();
    private final io.corral.codec.Seal seal;
    private final UnsafeBuffer retryBuffer = new UnsafeBuffer(new byte[0]);

    /** Calls go out through {@code seal}: sealed in the leader's session when the framework has a credential. */
    CallQueue(final io.corral.codec.Seal seal)
    {
        this.seal = seal;
    }

    /** Sends the first {@code length} bytes of {@code buffer} to {@code leader} (null: none known), or keeps them. */
    void send(final Publication leader, final MutableDirectBuffer buffer, final int length, final String what,
        final Runnable onFailure, final long nowNs)
    {
        if (waiting.isEmpty() && leader != null && seal.offer(leader, buffer, length))
        {
            return;
        }
        final byte[] copy = new byte[length];
        buffer.getBytes(0, copy);
        waiting.add(new PendingCall(copy, what, nowNs + CorralSchedulerDriver.CALL_RETRY_NS, onFailure));
    }

    /** Sends what waited, in order, once there is a leader; fails calls past their deadline, telling {@code failed}. */
    int retry(final Publication leader, final long nowNs, final Consumer<String> failed)
    {
        int work = 0;
        while (!waiting.isEmpty())
        {
            final PendingCall call = waiting.peek();
            if (leader != null)
            {
                retryBuffer.wrap(call.bytes());
                if (seal.offer(leader, retryBuffer, call.bytes().length))
                {
                    waiting.poll();
                    work++;
                    continue;
                }
            }
            if (nowNs < call.deadlineNs())
            {
                break;
            }
            waiting.poll();
            work++;
            failed.accept(call.what() + " was not sent: no leading master took it within " +
                TimeUnit.NANOSECONDS.toSeconds(CorralSchedulerDriver.CALL_RETRY_NS) + " s" +
                (call.onFailure() == null ? "" : "; its tasks are reported LOST"));
            if (call.onFailure() != null)
            {
                call.onFailure().run();
            }
        }
        return work;
    }
}
