package io.corral.client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Protocol;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

/**
 * The thin client's driver: finds the leading master from a list of addresses, subscribes, and
 * turns master messages into {@link Scheduler} callbacks, made in order on a callback thread of
 * its own (so a slow callback never delays heartbeats or leader detection). Status updates are
 * acknowledged after the callback returns (implicit acknowledgements, as Mesos's default).
 */
public final class CorralSchedulerDriver implements SchedulerDriver
{
    static final long SUBSCRIBE_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** A connected driver resubscribes this often: that is its heartbeat. */
    static final long HEARTBEAT_NS = TimeUnit.SECONDS.toNanos(1);
    /**
     * An unsealed "another master leads" came while the leader answered: the leader is asked at
     * once, and if nothing comes from it within this, the driver goes where the hint points.
     */
    static final long HINT_PROBE_NS = TimeUnit.MILLISECONDS.toNanos(250);
    /** No answer from the leader for this long: disconnected, look for the new one. */
    static final long LEADER_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(3000);
    /** A call that cannot go out (no leader yet, or back-pressure) is retried this long, then failed. */
    static final long CALL_RETRY_NS = TimeUnit.SECONDS.toNanos(15);
    /**
     * The most one accept may carry, in bytes (Aeron's largest message with Corral's 1 MiB term
     * buffers): {@link TaskSpec#wireBytes} of its tasks added up, plus a little for the offers.
     * A larger accept is refused by the driver (its tasks are reported LOST, its offers declined).
     */
    public static final int MAX_ACCEPT_BYTES = io.corral.codec.MediaDrivers.MAX_MESSAGE_BYTES;
    /**
     * A launched task the driver has heard nothing of for this long is reconciled (unless set
     * otherwise with {@link #silentTaskReconcile}): if the leader changed before the launch was
     * committed, the master answers LOST and the framework can launch it again, instead of
     * waiting for it forever.
     */
    static final long SILENT_TASK_RECONCILE_NS = TimeUnit.SECONDS.toNanos(15);
    static final long SILENT_CHECK_NS = TimeUnit.SECONDS.toNanos(5);
    /** Status updates remembered for deduplication (task id and uuid). */
    static final int DEDUPE_CAPACITY = 100_000;

    final Scheduler scheduler;
    final FrameworkInfo info;
    /** Null: chosen at start, toward the first master. */
    private String bindHost;
    final List<String> masters = new ArrayList<>();
    final ManyToOneConcurrentLinkedQueue<Runnable> calls = new ManyToOneConcurrentLinkedQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    Aeron aeron;
    Subscription subscription;
    String endpoint;
    private final Map<String, ExclusivePublication> publications = new HashMap<>();
    private AgentRunner runner;
    /**
     * Scheduler callbacks run here, in order, not on the duty thread: a slow callback must not
     * delay heartbeats and leader detection (it did: a framework doing 200 ms of work per update
     * looked dead to a new leader and was removed).
     */
    private final java.util.concurrent.LinkedBlockingQueue<Runnable> callbacks =
        new java.util.concurrent.LinkedBlockingQueue<>();
    private Thread callbackThread;
    private Thread shutdownHook;
    /** Set by stop()/close(): no callback is made after it. */
    volatile boolean closing;
    volatile long frameworkId;
    volatile boolean implicitAcknowledgements = true;
    volatile boolean redeliverUnacknowledged;
    volatile long silentTaskReconcileNs = SILENT_TASK_RECONCILE_NS;
    /** Sessions with the masters; sealed when the framework has a credential ({@link #credential}). */
    io.corral.codec.Seal seal = io.corral.codec.Seal.insecure();

    /** {@code masters}: comma-separated host:port of every master (any of them will do to start). */
    public CorralSchedulerDriver(final Scheduler scheduler, final FrameworkInfo info, final String masters)
    {
        this.scheduler = scheduler;
        this.info = info;
        this.frameworkId = info.frameworkId();
        for (final String m : masters.split(","))
        {
            if (!m.isBlank())
            {
                Protocol.port(m.trim());
                this.masters.add(m.trim());
            }
        }
        if (this.masters.isEmpty())
        {
            throw new IllegalArgumentException("no master addresses given");
        }
        final io.corral.codec.Credentials.Credential found = io.corral.codec.Credentials.defaultFor(masters);
        if (found != null)
        {
            credential(found);
        }
    }

    /** Call before {@link #start()}: the framework acknowledges each update itself. */
    /**
     * The principal and secret this framework authenticates with (masters run with --credentials
     * need one; e.g. {@code Credentials.credential(Path.of("my.credential"), null)}). The framework
     * subscribes as that principal. Call before {@link #start()}. Without this call the driver uses
     * {@code Credentials.defaultFor(masters)}: {@code $CORRAL_CREDENTIAL}, or corral dev's own.
     */
    public CorralSchedulerDriver credential(final io.corral.codec.Credentials.Credential credential)
    {
        seal = io.corral.codec.Seal.of(credential,
            reason -> toScheduler(s -> s.error(this, "NOT_AUTHENTICATED: " + reason)), publication -> duty().subscribeNow(publication));
        return this;
    }

    /**
     * No credential: subscribes unauthenticated (masters run with --insecure), even where
     * {@code Credentials.defaultFor} would have found one. Call before {@link #start()}.
     */
    public CorralSchedulerDriver withoutCredential()
    {
        seal = io.corral.codec.Seal.insecure();
        return this;
    }

    /**
     * The local address to receive on (the masters send offers and statuses there). By default,
     * the address this host uses to reach the first master: 127.0.0.1 for masters on loopback,
     * the outgoing interface's address otherwise. Call before {@link #start()}.
     */
    public CorralSchedulerDriver bindHost(final String host)
    {
        if (host == null || host.isBlank())
        {
            throw new IllegalArgumentException("bind host must not be empty");
        }
        this.bindHost = host;
        return this;
    }

    /** The local address the OS would send from to reach {@code master} (host:port); 127.0.0.1 if unknown. */
    static String localAddressToward(final String master)
    {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket())
        {
            // Connecting a UDP socket sends nothing: it only asks the routing table for a source address.
            socket.connect(new java.net.InetSocketAddress(Protocol.host(master), Protocol.port(master)));
            final java.net.InetAddress local = socket.getLocalAddress();
            return local == null || local.isAnyLocalAddress() ? "127.0.0.1" : local.getHostAddress();
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            return "127.0.0.1";
        }
    }

    /**
     * How long a launched task may stay silent (no update at all) before the driver asks the
     * master about it; 15 s unless set. Silence means the launch may have been lost with a leader
     * that had not committed it; the driver also asks at once whenever a new leader subscribes it.
     * Before {@link #start}.
     */
    public CorralSchedulerDriver silentTaskReconcile(final java.time.Duration after)
    {
        if (after.isNegative() || after.isZero())
        {
            throw new IllegalArgumentException("silentTaskReconcile must be positive, was " + after);
        }
        silentTaskReconcileNs = after.toNanos();
        return this;
    }

    public CorralSchedulerDriver explicitAcknowledgements()
    {
        implicitAcknowledgements = false;
        return this;
    }

    /**
     * With explicit acknowledgements: an update the scheduler has not acknowledged yet is delivered
     * again each time its agent resends it (after 1 s, then doubling to 30 s), as a Mesos master
     * does, instead of once. For a scheduler that may lose what it was given (the Mesos gateway:
     * its HTTP client may drop an event); a scheduler that keeps what it got needs it not.
     */
    public CorralSchedulerDriver redeliverUnacknowledged()
    {
        redeliverUnacknowledged = true;
        return this;
    }

    @Override
    public void acknowledgeStatusUpdate(final TaskStatus status)
    {
        calls.offer(() -> duty().sendAcknowledge(status.taskId(), status.uuidMsb(), status.uuidLsb()));
    }

    @Override
    public synchronized void start()
    {
        if (runner != null)
        {
            return;
        }
        aeron = MediaDrivers.connect();
        final String host = bindHost != null ? bindHost : localAddressToward(masters.get(0));
        try
        {
            subscription = aeron.addSubscription(Protocol.channel(host + ":0"), Protocol.STREAM_ID);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((endpoint = subscription.resolvedEndpoint()) == null)
            {
                if (System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("no endpoint within 10 s");
                }
                Thread.yield();
            }
            seal.endpoint(endpoint);
        }
        catch (final RuntimeException ex)
        {
            if (subscription != null)
            {
                subscription.close();
                subscription = null;
            }
            MediaDrivers.release(aeron);
            aeron = null;
            throw new IllegalStateException("cannot receive on " + host + " (is it an address of this host?): " +
                ex.getMessage(), ex);
        }
        for (final String master : masters)
        {
            publication(master);
        }
        runner = new AgentRunner(new SleepingMillisIdleStrategy(1),
            ex -> toScheduler(s -> s.error(this, "driver failure: " + ex)), null, new DriverDuty(this));
        callbackThread = new Thread(this::runCallbacks, "corral-scheduler-callbacks");
        callbackThread.start();
        AgentRunner.startOnThread(runner);
        // Ended by a signal: close (as a crash would, the framework fails over; tasks are kept for
        // its failover timeout) and so release the Aeron directory.
        shutdownHook = new Thread(this::closeNow, "corral-scheduler-driver-exit");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Queues a callback of the scheduler (from the duty thread); none once the driver is closing. */
    void toScheduler(final java.util.function.Consumer<Scheduler> call)
    {
        if (!closing)
        {
            callbacks.add(() -> call.accept(scheduler));
        }
    }

    private void runCallbacks()
    {
        while (!closing)
        {
            final Runnable callback;
            try
            {
                callback = callbacks.poll(100, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            if (callback == null || closing)
            {
                continue;
            }
            try
            {
                callback.run();
            }
            catch (final RuntimeException ex)
            {
                System.err.println("corral scheduler driver: a Scheduler callback threw " + ex +
                    "; the driver goes on with the next one");
            }
        }
    }

    /** The master {@code publication} goes to, or null. */
    String masterOf(final io.aeron.Publication publication)
    {
        for (final Map.Entry<String, ExclusivePublication> e : publications.entrySet())
        {
            if (e.getValue() == publication)
            {
                return e.getKey();
            }
        }
        return null;
    }

    ExclusivePublication publication(final String master)
    {
        return publications.computeIfAbsent(master,
            m -> aeron.addExclusivePublication(Protocol.channel(m), Protocol.STREAM_ID));
    }

    @Override
    public long frameworkId()
    {
        return frameworkId;
    }

    /** The address this driver receives on (host:port). */
    public String endpoint()
    {
        return endpoint;
    }

    @Override
    public void acceptOffer(final long offerId, final List<TaskSpec> tasks)
    {
        acceptOffers(List.of(offerId), tasks);
    }

    @Override
    public void acceptOffers(final List<Long> offerIds, final List<TaskSpec> tasks)
    {
        if (offerIds.isEmpty())
        {
            throw new IllegalArgumentException("name at least one offer to accept");
        }
        final List<Long> ids = List.copyOf(offerIds);
        final List<TaskSpec> copy = List.copyOf(tasks);
        final java.util.Set<String> taskIds = new java.util.HashSet<>();
        for (final TaskSpec t : copy)
        {
            if (!taskIds.add(t.taskId()))
            {
                throw new IllegalArgumentException("task id '" + t.taskId() + "' appears twice in one accept");
            }
        }
        calls.offer(() -> duty().sendAccept(ids, copy));
    }

    @Override
    public void declineOffer(final long offerId, final double refuseSeconds)
    {
        if (!(refuseSeconds >= 0))
        {
            throw new IllegalArgumentException("refuseSeconds must not be negative, got " + refuseSeconds);
        }
        calls.offer(() -> duty().sendDecline(offerId, Math.round(refuseSeconds * 1000)));
    }

    @Override
    public void reconcileTasks(final List<String> taskIds)
    {
        final List<String> copy = List.copyOf(taskIds);
        calls.offer(() -> duty().sendReconcile(copy));
    }

    @Override
    public void killTask(final String taskId)
    {
        calls.offer(() -> duty().sendKill(taskId));
    }

    @Override
    public void stop(final boolean failover)
    {
        if (failover)
        {
            close();
        }
        else
        {
            stop();
        }
    }

    @Override
    public void suppressOffers(final List<String> roles)
    {
        final List<String> copy = List.copyOf(roles);
        calls.offer(() -> duty().sendSuppress(true, copy));
    }

    @Override
    public void reviveOffers(final List<String> roles)
    {
        final List<String> copy = List.copyOf(roles);
        calls.offer(() -> duty().sendSuppress(false, copy));
    }

    @Override
    public void stop()
    {
        if (runner == null)
        {
            close();
            return;
        }
        // (From a callback too: callbacks run on their own thread, so the duty thread is free.)
        final CountDownLatch sent = new CountDownLatch(1);
        calls.offer(() ->
        {
            duty().sendTeardown();
            sent.countDown();
        });
        try
        {
            sent.await(2, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        close();
    }

    @Override
    public void join() throws InterruptedException
    {
        stopped.await();
    }

    /** Closes the driver (also from inside a callback); no callback is made after this returns. */
    @Override
    public void close()
    {
        closing = true;
        closeNow();
    }

    private synchronized void closeNow()
    {
        if (shutdownHook != null && Thread.currentThread() != shutdownHook)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
            catch (final IllegalStateException ex)
            {
                // the JVM is already exiting: the hook runs anyway
            }
            shutdownHook = null;
        }
        if (runner != null)
        {
            runner.close();
            publications.values().forEach(ExclusivePublication::close);
            publications.clear();
            subscription.close();
            MediaDrivers.release(aeron);
            runner = null;
        }
        stopped.countDown();
    }

    /** Parses {@code rack:r1;zone:a}. */
    static java.util.Map<String, String> attributes(final String spec)
    {
        final java.util.Map<String, String> out = new java.util.TreeMap<>();
        for (final String part : spec.split(";"))
        {
            final int colon = part.indexOf(':');
            if (colon > 0)
            {
                out.put(part.substring(0, colon).trim(), part.substring(colon + 1).trim());
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    private DriverDuty duty()
    {
        return (DriverDuty)runner.agent();
    }
}
