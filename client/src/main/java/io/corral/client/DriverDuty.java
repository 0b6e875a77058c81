package io.corral.client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import io.aeron.Aeron;
import io.corral.codec.Outbound;
import io.corral.codec.SchedulerInbound;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.OfferDecoder;
import io.corral.codec.sbe.OfferRescindedDecoder;
import io.corral.codec.sbe.SubscribedDecoder;
import io.corral.codec.sbe.TaskStatusDecoder;
import org.agrona.concurrent.Agent;

/**
 * The driver's duty thread: subscribes and heartbeats, finds the leader, sends the framework's
 * calls (queued while no leader takes them), reconciles tasks it hears nothing of, and turns
 * what the master sends into scheduler callbacks (each status update once). Everything here runs
 * on that one thread; the callbacks run on the driver's callback thread.
 */
final class DriverDuty implements Agent, SchedulerInbound.Handler
{
    private final CorralSchedulerDriver driver;

    DriverDuty(final CorralSchedulerDriver driver)
    {
        this.driver = driver;
        driver.seal.bundling(true); // flushed at the end of each cycle
        this.waiting = new CallQueue(driver.seal);
        if (driver.seal.secure())
        {
            inbound.gate(driver.seal);
        }
    }

    /** A session with a master was just made: subscribe over it now. */
    /** A session with the master at {@code publication} was just made: subscribe there, at once. */
    void subscribeNow(final io.aeron.Publication publication)
    {
        final int at = driver.masters.indexOf(driver.masterOf(publication));
        if (leader == null && at >= 0)
        {
            next = at;
        }
        nextSubscribeNs = 0;
    }

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
    /**
     * The term of the master that last subscribed this framework: while that master answers, a
     * Subscribed from an older term is a deposed master's (once it is silent, any term is taken:
     * a cluster rebuilt from scratch starts its terms again).
     */
    private long leaderTerm;
    /** An unsealed redirect that came while the leader answered: taken if it stops answering. */
    private String pendingHint;
    /** When {@link #pendingHint} came: the leader was asked at once, and is given until then + HINT_PROBE_NS. */
    private long hintAtNs;
    private final StatusDedupe dedupe = new StatusDedupe(CorralSchedulerDriver.DEDUPE_CAPACITY);
    /** Launched tasks with no update yet: task id to when they were accepted or last reconciled. */
    private final Map<String, Long> silent = new HashMap<>();
    /** Tasks the driver itself asked the master about (their answers carry no uuid). */
    private final java.util.Set<String> autoReconciling = new java.util.HashSet<>();
    private long nextSilentCheckNs;
    /** Calls waiting for a leader (or for back-pressure to pass), oldest first. */
    private final CallQueue waiting;
    private final CallEncoder encode = new CallEncoder(out);

    @Override
    public String roleName()
    {
        return "corral-driver.scheduler-driver";
    }

    @Override
    public int doWork()
    {
        final int work = cycle();
        return work + driver.seal.flush(); // this cycle's messages, one frame per master
    }

    private int cycle()
    {
        if (driver.closing)
        {
            return 0;
        }
        nowNs = System.nanoTime();
        // Callbacks run on their own thread, so this cycle never waits for the driver.scheduler.
        int work = driver.subscription.poll(assembler, 32);
        work += retryWaiting();
        Runnable call;
        while (!driver.closing && (call = driver.calls.poll()) != null)
        {
            call.run();
            work++;
        }
        if (driver.closing)
        {
            return work;
        }
        work += reconcileSilentTasks();
        if (connected && pendingHint != null && (nowNs - lastHeardNs > CorralSchedulerDriver.HEARTBEAT_NS ||
            lastHeardNs <= hintAtNs && nowNs - hintAtNs > CorralSchedulerDriver.HINT_PROBE_NS))
        {
            // The leader missed an answer since a redirect came: try where it pointed.
            connected = false;
            leader = pendingHint;
            pendingHint = null;
            nextSubscribeNs = nowNs;
            driver.toScheduler(s -> s.disconnected(driver));
        }
        if (connected && nowNs - lastHeardNs > CorralSchedulerDriver.LEADER_TIMEOUT_NS)
        {
            connected = false;
            leader = null;
            nextSubscribeNs = nowNs;
            driver.seal.reset(); // the next leader is another master, or this one restarted: new sessions
            driver.toScheduler(s -> s.disconnected(driver));
        }
        return work + subscribeIfDue();
    }

    /** Asks the master about launched tasks that have said nothing for a while. */
    private int reconcileSilentTasks()
    {
        if (nowNs < nextSilentCheckNs || !connected || silent.isEmpty())
        {
            return 0;
        }
        nextSilentCheckNs = nowNs + Math.min(CorralSchedulerDriver.SILENT_CHECK_NS, driver.silentTaskReconcileNs);
        return reconcileSilent(driver.silentTaskReconcileNs);
    }

    /**
     * A new leader subscribed the framework: a launch the old leader had not committed when it
     * lost office is gone (the new leader's log does not hold it, and the old one can no longer
     * say so). Every task still silent is asked about now, not after the silence timeout: the new
     * leader answers once it has applied what earlier leaders committed, LOST for those it does
     * not know.
     */
    private int reconcileSilentOnNewLeader()
    {
        return reconcileSilent(0);
    }

    /** Reconciles the tasks silent for at least {@code forNs}, {@link #RECONCILE_BATCH} to a message. */
    private int reconcileSilent(final long forNs)
    {
        final List<String> due = new ArrayList<>();
        for (final Map.Entry<String, Long> e : silent.entrySet())
        {
            if (nowNs - e.getValue() >= forNs)
            {
                due.add(e.getKey());
                e.setValue(nowNs);
            }
        }
        autoReconciling.addAll(due);
        int sent = 0;
        for (int from = 0; from < due.size(); from += RECONCILE_BATCH, sent++)
        {
            sendReconcile(due.subList(from, Math.min(due.size(), from + RECONCILE_BATCH))); // (encoded at once)
        }
        return sent;
    }

    /** Task ids per reconcile message the driver sends itself. */
    private static final int RECONCILE_BATCH = 500;

    /** Until subscribed: tries the driver.masters in turn. Then: resubscribes as a heartbeat. */
    private int subscribeIfDue()
    {
        if (nowNs < nextSubscribeNs)
        {
            return 0;
        }
        nextSubscribeNs = nowNs + (connected ? CorralSchedulerDriver.HEARTBEAT_NS : CorralSchedulerDriver.SUBSCRIBE_RETRY_NS);
        final String target = leader != null ? leader : driver.masters.get(next++ % driver.masters.size());
        out.subscribe.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(driver.frameworkId)
            .failoverTimeoutMs(driver.info.failoverTimeoutMs()).name(driver.info.name()).role(driver.info.role()).endpoint(driver.endpoint)
            .principal(driver.info.principal().isEmpty() && driver.seal.secure() ? driver.seal.principal() :
                driver.info.principal());
        if (!connected)
        {
            // Looking for the leader: a session it has not answered in lately is stale (it restarted).
            driver.seal.resetIfSilent(driver.publication(target), CorralSchedulerDriver.LEADER_TIMEOUT_NS);
        }
        driver.seal.offer(driver.publication(target), out.buffer, Outbound.length(out.subscribe.encodedLength()));
        if (!connected)
        {
            leader = null;
        }
        return 1;
    }

    private void send(final int length, final String what, final Runnable onFailure)
    {
        waiting.send(leader == null ? null : driver.publication(leader), out.buffer, length, what, onFailure, nowNs);
    }

    private void send(final int length, final String what)
    {
        send(length, what, null);
    }

    /** Sends what waited, in order, once there is a leader; fails driver.calls past their deadline. */
    private int retryWaiting()
    {
        return waiting.retry(leader == null ? null : driver.publication(leader), nowNs,
            failed -> driver.toScheduler(s -> s.error(driver, failed)));
    }

    void sendAccept(final List<Long> offerIds, final List<TaskSpec> tasks)
    {
        final long bytes = CallEncoder.acceptBytes(offerIds, tasks);
        if (bytes > CorralSchedulerDriver.MAX_ACCEPT_BYTES)
        {
            // One message cannot carry it: refuse this call only, give the offers back, keep going.
            for (final long offerId : offerIds)
            {
                sendDecline(offerId, 0);
            }
            final String refused = "accept of " + tasks.size() + " tasks on offer " + offerIds.get(0) +
                " is about " + (bytes + 1023) / 1024 + " KiB, over the " + CorralSchedulerDriver.MAX_ACCEPT_BYTES / 1024 +
                " KiB one accept may carry: nothing was launched (the offers were declined, the tasks are reported " +
                "LOST); launch fewer tasks per accept (TaskSpec.wireBytes() tells each task's size)";
            driver.toScheduler(s -> s.error(driver, refused));
            for (final TaskSpec t : tasks)
            {
                deliver(new TaskStatus(t.taskId(), 0, TaskState.LOST, 0, "not launched: the accept was too large (" +
                    (bytes + 1023) / 1024 + " KiB, limit " + CorralSchedulerDriver.MAX_ACCEPT_BYTES / 1024 + " KiB)",
                    System.currentTimeMillis(), 0, 0));
            }
            return;
        }
        final int length = encode.accept(driver.frameworkId, offerIds, tasks);
        for (final TaskSpec t : tasks)
        {
            silent.put(t.taskId(), nowNs);
        }
        send(length, "accept of offer " + offerIds.get(0), () ->
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
        send(encode.decline(driver.frameworkId, offerId, refuseMillis), "decline of offer " + offerId);
    }

    /** Roles this framework suppressed: sent again after a re-registration (a new leader forgets). */
    private final java.util.Set<String> suppressed = new java.util.TreeSet<>();

    void sendSuppress(final boolean suppress, final List<String> roles)
    {
        final List<String> targets = roles.isEmpty() ? driver.info.roles() : roles;
        if (suppress)
        {
            suppressed.addAll(targets);
        }
        else
        {
            targets.forEach(suppressed::remove);
        }
        send(encode.suppress(driver.frameworkId, suppress, roles), suppress ? "suppress" : "revive");
    }

    void sendReconcile(final List<String> taskIds)
    {
        send(encode.reconcile(driver.frameworkId, taskIds), "reconcile");
    }

    void sendKill(final String taskId)
    {
        send(encode.kill(driver.frameworkId, taskId), "kill of task " + taskId);
    }

    void sendTeardown()
    {
        if (driver.frameworkId != 0 && leader != null)
        {
            driver.seal.offer(driver.publication(leader), out.buffer, encode.teardown(driver.frameworkId));
        }
    }

    /**
     * Offers and updates from the leader show it is there as well as its answer to a Subscribe: a
     * leader whose inbound is seconds behind (answering the heartbeat late) while it sends
     * thousands of updates is not silent. Taking only the answer as a sign of life made every
     * framework of the 200-endpoint scale run drop its session at once and be removed.
     */
    private void heardFromLeader()
    {
        if (connected)
        {
            lastHeardNs = nowNs;
        }
    }

    @Override
    public void onSubscribed(final SubscribedDecoder m, final int sessionId)
    {
        if (driver.closing)
        {
            return;
        }
        final long id = m.frameworkId();
        final long term = m.term();
        if (term < leaderTerm && connected && nowNs - lastHeardNs < CorralSchedulerDriver.HEARTBEAT_NS)
        {
            return; // a deposed master answering a Subscribe sent before another was elected
        }
        final boolean newLeader = leaderTerm != 0 && term != leaderTerm;
        leaderTerm = term;
        leader = m.masterEndpoint();
        lastHeardNs = nowNs;
        pendingHint = null;
        final boolean wasConnected = connected;
        connected = true;
        driver.frameworkId = id;
        if (!wasConnected)
        {
            nextSubscribeNs = nowNs + CorralSchedulerDriver.HEARTBEAT_NS;
            if (everConnected)
            {
                if (!suppressed.isEmpty())
                {
                    sendSuppress(true, new ArrayList<>(suppressed));
                }
                driver.toScheduler(s -> s.reregistered(driver, id));
            }
            else
            {
                driver.toScheduler(s -> s.registered(driver, id));
            }
            everConnected = true;
        }
        if (newLeader)
        {
            reconcileSilentOnNewLeader();
        }
    }

    @Override
    public void onNotLeader(final NotLeaderDecoder m, final int sessionId)
    {
        if (driver.closing)
        {
            return;
        }
        final String hint = m.leaderEndpoint();
        if (driver.seal.secure() && !driver.seal.sealedInHand() && connected &&
            nowNs - lastHeardNs < CorralSchedulerDriver.HEARTBEAT_NS)
        {
            // Unsealed, while the leader answers: anyone's word. Kept as a hint, taken if the
            // leader misses its next answer (a new leader announces itself unsealed).
            // The leader is asked now (a Subscribe, its heartbeat): one that is alive answers, or
            // sends offers or updates, within the probe time; one that is not, loses the framework
            // to the hint then rather than a whole heartbeat interval after it was last heard.
            if (!hint.isEmpty() && pendingHint == null)
            {
                hintAtNs = nowNs;
                nextSubscribeNs = nowNs;
            }
            pendingHint = hint.isEmpty() ? null : hint;
            return;
        }
        pendingHint = null;
        if (connected)
        {
            connected = false;
            driver.toScheduler(s -> s.disconnected(driver));
        }
        leader = hint.isEmpty() ? null : hint;
        nextSubscribeNs = nowNs + (hint.isEmpty() ? CorralSchedulerDriver.SUBSCRIBE_RETRY_NS : 0);
    }

    @Override
    public void onOffer(final OfferDecoder m, final int sessionId)
    {
        if (driver.closing)
        {
            return;
        }
        if (m.offerId() >>> 32 == leaderTerm)
        {
            heardFromLeader(); // (an offer id carries the term of the leader that made it)
        }
        final long offerId = m.offerId();
        final long agentId = m.agentId();
        final String hostname = m.hostname();
        final java.util.Map<String, String> attributes = CorralSchedulerDriver.attributes(m.attributes());
        final String role = m.role();
        final Resources r = new Resources(m.resources().cpus(), m.resources().mem(), m.resources().disk(),
            m.resources().gpus(), io.corral.codec.CustomResources.parse(m.customResources()));
        driver.toScheduler(s -> s.resourceOffers(driver,
            List.of(new Offer(offerId, agentId, hostname, r, attributes, role))));
    }

    @Override
    public void onTaskStatus(final TaskStatusDecoder m, final int sessionId)
    {
        heardFromLeader(); // (only a leader sends these)
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
                final boolean acknowledge = driver.implicitAcknowledgements && (msb != 0 || lsb != 0);
                silent.remove(taskId);
                driver.toScheduler(s ->
                {
                    s.statusUpdate(driver,
                        new TaskStatus(taskId, agentId, state, exitCode, message, timestampMs, msb, lsb));
                    if (acknowledge)
                    {
                        // Implicit acknowledgement: once the callback has returned.
                        driver.calls.offer(() -> sendAcknowledge(taskId, msb, lsb));
                    }
                });
            }
            case ACKNOWLEDGE_AGAIN -> sendAcknowledge(taskId, msb, lsb);
            case DROP ->
            {
                // Delivered already; the framework acknowledges it itself (explicit acknowledgements),
                // unless it asked to be given it again until it does.
                if (driver.redeliverUnacknowledged)
                {
                    deliver(new TaskStatus(taskId, agentId, state, exitCode, message, timestampMs, msb, lsb));
                }
            }
        }
    }

    private void deliver(final TaskStatus status)
    {
        silent.remove(status.taskId());
        driver.toScheduler(s -> s.statusUpdate(driver, status));
    }

    void sendAcknowledge(final String taskId, final long msb, final long lsb)
    {
        dedupe.acknowledged(taskId, msb, lsb);
        if (leader != null)
        {
            out.acknowledge.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(driver.frameworkId)
                .uuidMsb(msb).uuidLsb(lsb).taskId(taskId);
            driver.seal.offer(driver.publication(leader), out.buffer, Outbound.length(out.acknowledge.encodedLength()));
        }
    }

    @Override
    public void onOfferRescinded(final OfferRescindedDecoder m, final int sessionId)
    {
        if (driver.closing)
        {
            return;
        }
        final long offerId = m.offerId();
        driver.toScheduler(s -> s.offerRescinded(driver, offerId));
    }

    @Override
    public void onAgentLost(final io.corral.codec.sbe.AgentLostDecoder m, final int sessionId)
    {
        if (driver.closing)
        {
            return;
        }
        final long agentId = m.agentId();
        driver.toScheduler(s -> s.agentLost(driver, agentId));
    }

    @Override
    public void onErrorReply(final ErrorReplyDecoder m, final int sessionId)
    {
        if (driver.closing)
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
        driver.toScheduler(s -> s.error(driver, code + ": " + message));
    }

    @Override
    public void onBadFrame(final int sessionId, final int templateId, final String problem)
    {
        driver.toScheduler(s -> s.error(driver, "bad frame from master (template " + templateId + "): " + problem));
    }
}
