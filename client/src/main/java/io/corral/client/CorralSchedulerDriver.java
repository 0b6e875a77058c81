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
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.SchedulerInbound;
import io.corral.codec.sbe.AcceptEncoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.OfferDecoder;
import io.corral.codec.sbe.OfferRescindedDecoder;
import io.corral.codec.sbe.SubscribedDecoder;
import io.corral.codec.sbe.TaskStatusDecoder;
import org.agrona.concurrent.Agent;
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
    private static final long SUBSCRIBE_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** A connected driver resubscribes this often: that is its heartbeat. */
    private static final long HEARTBEAT_NS = TimeUnit.SECONDS.toNanos(1);
    /** No answer from the leader for this long: disconnected, look for the new one. */
    private static final long LEADER_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(3000);
    /** A call that cannot go out (no leader yet, or back-pressure) is retried this long, then failed. */
    static final long CALL_RETRY_NS = TimeUnit.SECONDS.toNanos(15);
    /**
     * The most one accept may carry, in bytes (Aeron's largest message with Corral's 1 MiB term
     * buffers): {@link TaskSpec#wireBytes} of its tasks added up, plus a little for the offers.
     * A larger accept is refused by the driver (its tasks are reported LOST, its offers declined).
     */
    public static final int MAX_ACCEPT_BYTES = io.corral.codec.MediaDrivers.MAX_MESSAGE_BYTES;
    /**
     * A launched task the driver has heard nothing of for this long is reconciled: if the leader
     * changed before the launch was committed, the master answers LOST and the framework can
     * launch it again, instead of waiting for it forever.
     */
    static final long SILENT_TASK_RECONCILE_NS = TimeUnit.SECONDS.toNanos(15);
    private static final long SILENT_CHECK_NS = TimeUnit.SECONDS.toNanos(5);
    /** Status updates remembered for deduplication (task id and uuid). */
    private static final int DEDUPE_CAPACITY = 100_000;

    private final Scheduler scheduler;
    private final FrameworkInfo info;
    /** Null: chosen at start, toward the first master. */
    private String bindHost;
    private final List<String> masters = new ArrayList<>();
    private final ManyToOneConcurrentLinkedQueue<Runnable> calls = new ManyToOneConcurrentLinkedQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Aeron aeron;
    private Subscription subscription;
    private String endpoint;
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
    private volatile boolean closing;
    private volatile long frameworkId;
    private volatile boolean implicitAcknowledgements = true;

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
    }

    /** Call before {@link #start()}: the framework acknowledges each update itself. */
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

    public CorralSchedulerDriver explicitAcknowledgements()
    {
        implicitAcknowledgements = false;
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
            ex -> toScheduler(s -> s.error(this, "driver failure: " + ex)), null, new Duty());
        callbackThread = new Thread(this::runCallbacks, "corral-scheduler-callbacks");
        callbackThread.start();
        AgentRunner.startOnThread(runner);
        // Ended by a signal: close (as a crash would, the framework fails over; tasks are kept for
        // its failover timeout) and so release the Aeron directory.
        shutdownHook = new Thread(this::closeNow, "corral-scheduler-driver-exit");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Queues a callback of the scheduler (from the duty thread); none once the driver is closing. */
    private void toScheduler(final java.util.function.Consumer<Scheduler> call)
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

    private ExclusivePublication publication(final String master)
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

    private Duty duty()
    {
        return (Duty)runner.agent();
    }

    private record PendingCall(byte[] bytes, String what, long deadlineNs, Runnable onFailure)
    {
    }

    private final class Duty implements Agent, SchedulerInbound.Handler
    {
        private final SchedulerInbound inbound = new SchedulerInbound(this);
        /** Messages larger than one Aeron frame arrive in fragments. */
        private final io.aeron.FragmentAssembler assembler = new io.aeron.FragmentAssembler(inbound);
        private final Outbound out = new Outbound();
        private String leader;
        private int next;
        private long nextSubscribeNs;
        private long nowNs;
        private boolean connected;
        private boolean everConnected;
        private long lastHeardNs;
        private final StatusDedupe dedupe = new StatusDedupe(DEDUPE_CAPACITY);
        /** Launched tasks with no update yet: task id to when they were accepted or last reconciled. */
        private final Map<String, Long> silent = new HashMap<>();
        /** Tasks the driver itself asked the master about (their answers carry no uuid). */
        private final java.util.Set<String> autoReconciling = new java.util.HashSet<>();
        private long nextSilentCheckNs;
        /** Calls waiting for a leader (or for back-pressure to pass), oldest first. */
        private final java.util.ArrayDeque<PendingCall> waiting = new java.util.ArrayDeque<>();
        private final org.agrona.concurrent.UnsafeBuffer retryBuffer = new org.agrona.concurrent.UnsafeBuffer(new byte[0]);

        @Override
        public String roleName()
        {
            return "corral-scheduler-driver";
        }

        @Override
        public int doWork()
        {
            if (closing)
            {
                return 0;
            }
            nowNs = System.nanoTime();
            // Callbacks run on their own thread, so this cycle never waits for the scheduler.
            int work = subscription.poll(assembler, 32);
            work += retryWaiting();
            Runnable call;
            while (!closing && (call = calls.poll()) != null)
            {
                call.run();
                work++;
            }
            if (closing)
            {
                return work;
            }
            work += reconcileSilentTasks();
            if (connected && nowNs - lastHeardNs > LEADER_TIMEOUT_NS)
            {
                connected = false;
                leader = null;
                nextSubscribeNs = nowNs;
                toScheduler(s -> s.disconnected(CorralSchedulerDriver.this));
            }
            return work + subscribeIfDue();
        }

        /** Asks the master about launched tasks that have said nothing for a while (at most 500 at once). */
        private int reconcileSilentTasks()
        {
            if (nowNs < nextSilentCheckNs || !connected || silent.isEmpty())
            {
                return 0;
            }
            nextSilentCheckNs = nowNs + SILENT_CHECK_NS;
            final List<String> ask = new ArrayList<>();
            for (final Map.Entry<String, Long> e : silent.entrySet())
            {
                if (nowNs - e.getValue() >= SILENT_TASK_RECONCILE_NS && ask.size() < 500)
                {
                    ask.add(e.getKey());
                    e.setValue(nowNs);
                }
            }
            if (ask.isEmpty())
            {
                return 0;
            }
            autoReconciling.addAll(ask);
            sendReconcile(ask);
            return 1;
        }

        /** Until subscribed: tries the masters in turn. Then: resubscribes as a heartbeat. */
        private int subscribeIfDue()
        {
            if (nowNs < nextSubscribeNs)
            {
                return 0;
            }
            nextSubscribeNs = nowNs + (connected ? HEARTBEAT_NS : SUBSCRIBE_RETRY_NS);
            final String target = leader != null ? leader : masters.get(next++ % masters.size());
            out.subscribe.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId)
                .failoverTimeoutMs(info.failoverTimeoutMs()).name(info.name()).role(info.role()).endpoint(endpoint)
                .principal(info.principal());
            out.offer(publication(target), Outbound.length(out.subscribe.encodedLength()));
            if (!connected)
            {
                leader = null;
            }
            return 1;
        }

        private void send(final int length, final String what, final Runnable onFailure)
        {
            if (waiting.isEmpty() && leader != null && out.offer(publication(leader), length))
            {
                return;
            }
            // No leader right now, or back-pressure: keep the call (in order) and retry it.
            final byte[] copy = new byte[length];
            out.buffer.getBytes(0, copy);
            waiting.add(new PendingCall(copy, what, nowNs + CALL_RETRY_NS, onFailure));
        }

        private void send(final int length, final String what)
        {
            send(length, what, null);
        }

        /** Sends what waited, in order, once there is a leader; fails calls past their deadline. */
        private int retryWaiting()
        {
            int work = 0;
            while (!waiting.isEmpty())
            {
                final PendingCall call = waiting.peek();
                if (leader != null)
                {
                    retryBuffer.wrap(call.bytes());
                    if (Outbound.offer(publication(leader), retryBuffer, call.bytes().length))
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
                final String failed = call.what() + " was not sent: no leading master took it within " +
                    TimeUnit.NANOSECONDS.toSeconds(CALL_RETRY_NS) + " s" +
                    (call.onFailure() == null ? "" : "; its tasks are reported LOST");
                toScheduler(s -> s.error(CorralSchedulerDriver.this, failed));
                if (call.onFailure() != null)
                {
                    call.onFailure().run();
                }
            }
            return work;
        }

        void sendAccept(final List<Long> offerIds, final List<TaskSpec> tasks)
        {
            long bytes = 64L + 8L * offerIds.size();
            for (final TaskSpec t : tasks)
            {
                bytes += t.wireBytes();
            }
            if (bytes > MAX_ACCEPT_BYTES)
            {
                // One message cannot carry it: refuse this call only, give the offers back, keep going.
                for (final long offerId : offerIds)
                {
                    sendDecline(offerId, 0);
                }
                final String refused = "accept of " + tasks.size() + " tasks on offer " + offerIds.get(0) +
                    " is about " + (bytes + 1023) / 1024 + " KiB, over the " + MAX_ACCEPT_BYTES / 1024 +
                    " KiB one accept may carry: nothing was launched (the offers were declined, the tasks are reported " +
                    "LOST); launch fewer tasks per accept (TaskSpec.wireBytes() tells each task's size)";
                toScheduler(s -> s.error(CorralSchedulerDriver.this, refused));
                for (final TaskSpec t : tasks)
                {
                    deliver(new TaskStatus(t.taskId(), 0, TaskState.LOST, 0, "not launched: the accept was too large (" +
                        (bytes + 1023) / 1024 + " KiB, limit " + MAX_ACCEPT_BYTES / 1024 + " KiB)",
                        System.currentTimeMillis(), 0, 0));
                }
                return;
            }
            final AcceptEncoder.MoreOffersEncoder more = out.accept.wrapAndApplyHeader(out.buffer, 0, out.header)
                .frameworkId(frameworkId).offerId(offerIds.get(0)).moreOffersCount(offerIds.size() - 1);
            for (final long id : offerIds.subList(1, offerIds.size()))
            {
                more.next().offerId(id);
            }
            final AcceptEncoder.TasksEncoder group = out.accept.tasksCount(tasks.size());
            for (final TaskSpec t : tasks)
            {
                final Resources r = t.resources();
                group.next().resources().cpus(r.cpusMilli()).mem(r.memMiB()).disk(r.diskMiB()).gpus(r.gpus());
                final TaskSpec.HealthCheck h = t.healthCheck();
                group.options().killGraceMs(t.killGraceMs()).healthIntervalMs(h == null ? 0 : h.intervalMs())
                    .healthTimeoutMs(h == null ? 0 : h.timeoutMs()).healthMaxFailures(h == null ? 0 : h.maxFailures());
                group.taskId(t.taskId()).command(t.command()).env(t.envLines())
                    .healthCommand(h == null ? "" : h.command())
                    .customResources(io.corral.codec.CustomResources.format(r.custom()));
            }
            for (final TaskSpec t : tasks)
            {
                silent.put(t.taskId(), nowNs);
            }
            send(Outbound.length(out.accept.encodedLength()), "accept of offer " + offerIds.get(0), () ->
            {
                for (final TaskSpec t : tasks)
                {
                    deliver(new TaskStatus(t.taskId(), 0, TaskState.LOST, 0,
                        "not launched: the accept never reached a leading master", System.currentTimeMillis(), 0, 0));
                }
            });
        }

        void sendDecline(final long offerId, final long refuseMillis)
        {
            out.decline.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).offerId(offerId)
                .refuseMillis(refuseMillis);
            send(Outbound.length(out.decline.encodedLength()), "decline of offer " + offerId);
        }

        /** Roles this framework suppressed: sent again after a re-registration (a new leader forgets). */
        private final java.util.Set<String> suppressed = new java.util.TreeSet<>();

        void sendSuppress(final boolean suppress, final List<String> roles)
        {
            final List<String> targets = roles.isEmpty() ? info.roles() : roles;
            if (suppress)
            {
                suppressed.addAll(targets);
            }
            else
            {
                targets.forEach(suppressed::remove);
            }
            out.suppress.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId)
                .suppress((short)(suppress ? 1 : 0)).roles(String.join(",", roles));
            send(Outbound.length(out.suppress.encodedLength()), suppress ? "suppress" : "revive");
        }

        void sendReconcile(final List<String> taskIds)
        {
            final io.corral.codec.sbe.ReconcileEncoder.TasksEncoder group = out.reconcile
                .wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).tasksCount(taskIds.size());
            for (final String id : taskIds)
            {
                group.next().taskId(id);
            }
            send(Outbound.length(out.reconcile.encodedLength()), "reconcile");
        }

        void sendKill(final String taskId)
        {
            out.kill.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).taskId(taskId);
            send(Outbound.length(out.kill.encodedLength()), "kill of task " + taskId);
        }

        void sendTeardown()
        {
            if (frameworkId != 0 && leader != null)
            {
                out.teardown.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId);
                out.offer(publication(leader), Outbound.length(out.teardown.encodedLength()));
            }
        }

        @Override
        public void onSubscribed(final SubscribedDecoder m, final int sessionId)
        {
            if (closing)
            {
                return;
            }
            final long id = m.frameworkId();
            m.term();
            leader = m.masterEndpoint();
            lastHeardNs = nowNs;
            final boolean wasConnected = connected;
            connected = true;
            frameworkId = id;
            if (!wasConnected)
            {
                nextSubscribeNs = nowNs + HEARTBEAT_NS;
                if (everConnected)
                {
                    if (!suppressed.isEmpty())
                    {
                        sendSuppress(true, new ArrayList<>(suppressed));
                    }
                    toScheduler(s -> s.reregistered(CorralSchedulerDriver.this, id));
                }
                else
                {
                    toScheduler(s -> s.registered(CorralSchedulerDriver.this, id));
                }
                everConnected = true;
            }
        }

        @Override
        public void onNotLeader(final NotLeaderDecoder m, final int sessionId)
        {
            if (closing)
            {
                return;
            }
            final String hint = m.leaderEndpoint();
            if (connected)
            {
                connected = false;
                toScheduler(s -> s.disconnected(CorralSchedulerDriver.this));
            }
            leader = hint.isEmpty() ? null : hint;
            nextSubscribeNs = nowNs + (hint.isEmpty() ? SUBSCRIBE_RETRY_NS : 0);
        }

        @Override
        public void onOffer(final OfferDecoder m, final int sessionId)
        {
            if (closing)
            {
                return;
            }
            final long offerId = m.offerId();
            final long agentId = m.agentId();
            final String hostname = m.hostname();
            final java.util.Map<String, String> attributes = attributes(m.attributes());
            final String role = m.role();
            final Resources r = new Resources(m.resources().cpus(), m.resources().mem(), m.resources().disk(),
                m.resources().gpus(), io.corral.codec.CustomResources.parse(m.customResources()));
            toScheduler(s -> s.resourceOffers(CorralSchedulerDriver.this,
                List.of(new Offer(offerId, agentId, hostname, r, attributes, role))));
        }

        @Override
        public void onTaskStatus(final TaskStatusDecoder m, final int sessionId)
        {
            final long agentId = m.agentId();
            final long msb = m.uuidMsb();
            final long lsb = m.uuidLsb();
            final TaskState state = TaskState.valueOf(m.state().name());
            final int exitCode = m.exitCode();
            final long timestampMs = m.timestampMs();
            final String taskId = m.taskId();
            final String message = m.message();
            if (msb == 0 && lsb == 0 && autoReconciling.remove(taskId) && state == TaskState.STAGING)
            {
                // The driver's own question, and the launch is still being committed: ask again later.
                silent.put(taskId, nowNs);
                return;
            }
            switch (dedupe.arrived(taskId, msb, lsb))
            {
                case DELIVER ->
                {
                    final boolean acknowledge = implicitAcknowledgements && (msb != 0 || lsb != 0);
                    silent.remove(taskId);
                    toScheduler(s ->
                    {
                        s.statusUpdate(CorralSchedulerDriver.this,
                            new TaskStatus(taskId, agentId, state, exitCode, message, timestampMs, msb, lsb));
                        if (acknowledge)
                        {
                            // Implicit acknowledgement: once the callback has returned.
                            calls.offer(() -> duty().sendAcknowledge(taskId, msb, lsb));
                        }
                    });
                }
                case ACKNOWLEDGE_AGAIN -> sendAcknowledge(taskId, msb, lsb);
                case DROP ->
                {
                    // Delivered already; the framework acknowledges it itself (explicit acknowledgements).
                }
            }
        }

        private void deliver(final TaskStatus status)
        {
            silent.remove(status.taskId());
            toScheduler(s -> s.statusUpdate(CorralSchedulerDriver.this, status));
        }

        void sendAcknowledge(final String taskId, final long msb, final long lsb)
        {
            dedupe.acknowledged(taskId, msb, lsb);
            if (leader != null)
            {
                out.acknowledge.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId)
                    .uuidMsb(msb).uuidLsb(lsb).taskId(taskId);
                out.offer(publication(leader), Outbound.length(out.acknowledge.encodedLength()));
            }
        }

        @Override
        public void onOfferRescinded(final OfferRescindedDecoder m, final int sessionId)
        {
            if (closing)
            {
                return;
            }
            final long offerId = m.offerId();
            toScheduler(s -> s.offerRescinded(CorralSchedulerDriver.this, offerId));
        }

        @Override
        public void onAgentLost(final io.corral.codec.sbe.AgentLostDecoder m, final int sessionId)
        {
            if (closing)
            {
                return;
            }
            final long agentId = m.agentId();
            toScheduler(s -> s.agentLost(CorralSchedulerDriver.this, agentId));
        }

        @Override
        public void onErrorReply(final ErrorReplyDecoder m, final int sessionId)
        {
            if (closing)
            {
                return;
            }
            final ErrorCode code = m.code();
            final String message = m.message();
            if (code == ErrorCode.NOT_REGISTERED)
            {
                connected = false;
                nextSubscribeNs = nowNs;
            }
            toScheduler(s -> s.error(CorralSchedulerDriver.this, code + ": " + message));
        }

        @Override
        public void onBadFrame(final int sessionId, final int templateId, final String problem)
        {
            toScheduler(s -> s.error(CorralSchedulerDriver.this, "bad frame from master (template " + templateId + "): " + problem));
        }
    }
}
