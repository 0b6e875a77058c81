package io.corral.cli;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.mesosphere.mesos.rx.java.AwaitableSubscription;
import com.mesosphere.mesos.rx.java.MesosClient;
import com.mesosphere.mesos.rx.java.SinkOperation;
import com.mesosphere.mesos.rx.java.SinkOperations;
import com.mesosphere.mesos.rx.java.protobuf.ProtobufMesosClientBuilder;
import com.mesosphere.mesos.rx.java.util.UserAgentEntries;
import org.apache.mesos.v1.scheduler.Protos.Call;
import org.apache.mesos.v1.scheduler.Protos.Event;
import rx.Observable;
import rx.subjects.PublishSubject;
import rx.subjects.Subject;
import org.apache.mesos.v1.Protos;
import com.mesosphere.mesos.rx.java.protobuf.SchedulerCalls;

/**
 * A Mesos v1 framework written against the unmodified mesos-rxjava client (0.2.0, from Maven
 * Central), as a Mesos user's framework would be: it opens the SUBSCRIBE stream with the client
 * (which probes {@code /redirect} first), records every event it decodes, and sends calls through
 * the client's sink (acknowledging every update that carries a uuid), each call's future completing on 202 or failing with the client's
 * Mesos4xxException.
 */
final class RxFramework implements AutoCloseable
{
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Subject<Optional<SinkOperation<Call>>, Optional<SinkOperation<Call>>> calls =
        PublishSubject.<Optional<SinkOperation<Call>>>create().toSerialized();
    private volatile Protos.FrameworkID frameworkId;
    private final java.util.List<Event> skippedUpdates = new java.util.ArrayList<>();
    final java.util.concurrent.atomic.AtomicInteger acknowledged = new java.util.concurrent.atomic.AtomicInteger();
    private final AwaitableSubscription subscription;
    private final CountDownLatch streamEnded = new CountDownLatch(1);
    volatile Throwable streamError;

    RxFramework(final URI schedulerUri, final Call subscribe)
    {
        final MesosClient<Call, Event> client = ProtobufMesosClientBuilder.schedulerUsingProtos()
            .mesosUri(schedulerUri)
            .applicationUserAgentEntry(UserAgentEntries.literal("corral-mesos-test", "1"))
            .subscribe(subscribe)
            .processStream(unicast ->
            {
                final Observable<Event> shared = unicast.share();
                final Observable<Optional<SinkOperation<Call>>> recorded = shared
                    .doOnNext(this::received)
                    .doOnError(e ->
                    {
                        streamError = e;
                        streamEnded.countDown();
                    })
                    .doOnCompleted(streamEnded::countDown)
                    .filter(e -> false)
                    .map(e -> Optional.<SinkOperation<Call>>empty())
                    .onErrorResumeNext(Observable.empty());
                return recorded.mergeWith(calls);
            })
            .build();
        subscription = client.openStream();
    }

    /**
     * As a Mesos framework must: every update that carries a uuid is acknowledged as it arrives
     * (the agent holds a task's next update until the previous one is acknowledged).
     */
    private void received(final Event e)
    {
        if (e.getType() == Event.Type.SUBSCRIBED)
        {
            frameworkId = e.getSubscribed().getFrameworkId();
        }
        else if (e.getType() == Event.Type.UPDATE && e.getUpdate().getStatus().hasUuid() && frameworkId != null)
        {
            final Protos.TaskStatus s = e.getUpdate().getStatus();
            send(SchedulerCalls.ackUpdate(frameworkId, s.getUuid(), s.getAgentId(), s.getTaskId()))
                .thenRun(acknowledged::incrementAndGet);
        }
        events.add(e);
    }

    /** Sends {@code call}; the future completes when the master answered 202. */
    CompletableFuture<Void> send(final Call call)
    {
        final CompletableFuture<Void> answered = new CompletableFuture<>();
        calls.onNext(Optional.of(SinkOperations.create(call, () -> answered.complete(null),
            answered::completeExceptionally)));
        return answered;
    }

    /**
     * The next event that matches, or an AssertionError after {@code timeout}. Skipped updates are
     * kept for later calls (updates of different tasks interleave); other skipped events are dropped.
     */
    Event next(final String what, final Duration timeout, final Predicate<Event> matches) throws InterruptedException
    {
        for (final java.util.Iterator<Event> it = skippedUpdates.iterator(); it.hasNext(); )
        {
            final Event e = it.next();
            if (matches.test(e))
            {
                it.remove();
                return e;
            }
        }
        final long deadline = System.nanoTime() + timeout.toNanos();
        final java.util.List<String> skipped = new java.util.ArrayList<>();
        while (true)
        {
            final long left = deadline - System.nanoTime();
            final Event e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
            if (e == null)
            {
                throw new AssertionError("no " + what + " within " + timeout.toSeconds() + " s" +
                    (streamError != null ? " (stream ended: " + streamError + ")" : "") + "; skipped " + skipped);
            }
            if (matches.test(e))
            {
                return e;
            }
            if (e.getType() == Event.Type.UPDATE)
            {
                skippedUpdates.add(e);
            }
            skipped.add(com.google.protobuf.TextFormat.shortDebugString(e).replaceAll("(.{300}).*", "$1..."));
        }
    }

    boolean awaitStreamEnd(final Duration timeout) throws InterruptedException
    {
        return streamEnded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close()
    {
        subscription.unsubscribe();
    }
}
