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
 * turns master messages into {@link Scheduler} callbacks on its own thread. Status updates are
 * acknowledged after the callback returns (implicit acknowledgements, as Mesos's default).
 */
public final class CorralSchedulerDriver implements SchedulerDriver
{
    private static final long SUBSCRIBE_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** A connected driver resubscribes this often: that is its heartbeat. */
    private static final long HEARTBEAT_NS = TimeUnit.SECONDS.toNanos(1);
    /** No answer from the leader for this long: disconnected, look for the new one. */
    private static final long LEADER_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(3000);

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
            ex -> scheduler.error(this, "driver failure: " + ex), null, new Duty());
        AgentRunner.startOnThread(runner);
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

    @Override
    public synchronized void close()
    {
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

        @Override
        public String roleName()
        {
            return "corral-scheduler-driver";
        }

        @Override
        public int doWork()
        {
            nowNs = System.nanoTime();
            int work = subscription.poll(assembler, 32);
            Runnable call;
            while ((call = calls.poll()) != null)
            {
                call.run();
                work++;
            }
            if (connected && nowNs - lastHeardNs > LEADER_TIMEOUT_NS)
            {
                connected = false;
                leader = null;
                nextSubscribeNs = nowNs;
                scheduler.disconnected(CorralSchedulerDriver.this);
            }
            if (nowNs >= nextSubscribeNs)
            {
                // Until subscribed: try the masters in turn. Then: resubscribe as a heartbeat.
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
                work++;
            }
            return work;
        }

        private void send(final int length)
        {
            if (leader == null || !out.offer(publication(leader), length))
            {
                scheduler.error(CorralSchedulerDriver.this, "not connected to the leading master; request dropped");
            }
        }

        void sendAccept(final List<Long> offerIds, final List<TaskSpec> tasks)
        {
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
            send(Outbound.length(out.accept.encodedLength()));
        }

        void sendDecline(final long offerId, final long refuseMillis)
        {
            out.decline.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).offerId(offerId)
                .refuseMillis(refuseMillis);
            send(Outbound.length(out.decline.encodedLength()));
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
            send(Outbound.length(out.suppress.encodedLength()));
        }

        void sendReconcile(final List<String> taskIds)
        {
            final io.corral.codec.sbe.ReconcileEncoder.TasksEncoder group = out.reconcile
                .wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).tasksCount(taskIds.size());
            for (final String id : taskIds)
            {
                group.next().taskId(id);
            }
            send(Outbound.length(out.reconcile.encodedLength()));
        }

        void sendKill(final String taskId)
        {
            out.kill.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).taskId(taskId);
            send(Outbound.length(out.kill.encodedLength()));
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
                    scheduler.reregistered(CorralSchedulerDriver.this, id);
                }
                else
                {
                    scheduler.registered(CorralSchedulerDriver.this, id);
                }
                everConnected = true;
            }
        }

        @Override
        public void onNotLeader(final NotLeaderDecoder m, final int sessionId)
        {
            final String hint = m.leaderEndpoint();
            if (connected)
            {
                connected = false;
                scheduler.disconnected(CorralSchedulerDriver.this);
            }
            leader = hint.isEmpty() ? null : hint;
            nextSubscribeNs = nowNs + (hint.isEmpty() ? SUBSCRIBE_RETRY_NS : 0);
        }

        @Override
        public void onOffer(final OfferDecoder m, final int sessionId)
        {
            final long offerId = m.offerId();
            final long agentId = m.agentId();
            final String hostname = m.hostname();
            final java.util.Map<String, String> attributes = attributes(m.attributes());
            final String role = m.role();
            final Resources r = new Resources(m.resources().cpus(), m.resources().mem(), m.resources().disk(),
                m.resources().gpus(), io.corral.codec.CustomResources.parse(m.customResources()));
            scheduler.resourceOffers(CorralSchedulerDriver.this,
                List.of(new Offer(offerId, agentId, hostname, r, attributes, role)));
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
            scheduler.statusUpdate(CorralSchedulerDriver.this,
                new TaskStatus(taskId, agentId, state, exitCode, message, timestampMs, msb, lsb));
            if (implicitAcknowledgements && (msb != 0 || lsb != 0))
            {
                sendAcknowledge(taskId, msb, lsb);
            }
        }

        void sendAcknowledge(final String taskId, final long msb, final long lsb)
        {
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
            scheduler.offerRescinded(CorralSchedulerDriver.this, m.offerId());
        }

        @Override
        public void onAgentLost(final io.corral.codec.sbe.AgentLostDecoder m, final int sessionId)
        {
            scheduler.agentLost(CorralSchedulerDriver.this, m.agentId());
        }

        @Override
        public void onErrorReply(final ErrorReplyDecoder m, final int sessionId)
        {
            final ErrorCode code = m.code();
            final String message = m.message();
            if (code == ErrorCode.NOT_REGISTERED)
            {
                connected = false;
                nextSubscribeNs = nowNs;
            }
            scheduler.error(CorralSchedulerDriver.this, code + ": " + message);
        }

        @Override
        public void onBadFrame(final int sessionId, final int templateId, final String problem)
        {
            scheduler.error(CorralSchedulerDriver.this, "bad frame from master (template " + templateId + "): " + problem);
        }
    }
}
