package io.corral.master;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.corral.allocator.Allocator;
import io.corral.allocator.AllocatorConfig;
import io.corral.allocator.AllocatorException;
import io.corral.allocator.OfferBuffer;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.AcceptDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.TaskState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's soft state and duties: the allocator, outstanding offers, and the batches of
 * launches and status updates waiting to be proposed. Built from {@link MasterState} when the node
 * takes office and dropped when it steps down; never replicated. Owned by the duty thread.
 */
final class LeaderDuties
{
    private static final Logger LOG = LoggerFactory.getLogger(LeaderDuties.class);

    /** An offer made by this leader; its id carries the term so a later leader can refuse it. */
    record OutstandingOffer(long offerId, long frameworkId, long agentId, int role, long[] resources, long sentAtNs)
    {
    }

    private static final long OFFER_EXPIRY_CHECK_NS = 250_000_000L;

    private final long term;
    private final String address;
    private final MasterState state;
    private final Connections connections;
    private final Outbound out;
    private final Outbound records = new Outbound();
    private final ResourceVectors vectors;
    private final MasterMetrics metrics;
    private final RecordProposer proposer;
    private final Allocator allocator;
    private final Launches launches;
    private final StatusRelay statuses;
    private final Map<Long, OutstandingOffer> offers = new HashMap<>();
    private final Map<String, Long> idsInFlight = new HashMap<>();
    private final LivenessTracker liveness;
    private final long takenOfficeAtIndex;
    private final long allocationIntervalNs;
    private final long offerTimeoutNs;
    private long nextOfferExpiryCheckNs;
    private long nextOfferSeq;
    private long nextIdSeq;
    private long lastFullPassNs;
    private boolean allocationDue = true;

    /** Proposes one encoded record to the Raft log. */
    interface RecordProposer
    {
        /**
         * Proposes the record; if Raft refuses it (this node stepped down, say), {@code onFailure}
         * (may be null) runs on the duty thread, while this node still has the same duties.
         */
        void propose(Outbound records, int length, Runnable onFailure);

        default void propose(final Outbound records, final int length)
        {
            propose(records, length, null);
        }
    }

    LeaderDuties(final long term, final MasterConfig config, final MasterState state, final Connections connections,
        final Outbound out, final RecordProposer proposer, final MasterMetrics metrics, final long nowNs)
    {
        this.metrics = metrics;
        final String address = config.address();
        final long allocationIntervalMs = config.allocationIntervalMs();
        this.liveness = new LivenessTracker(config);
        this.term = term;
        this.address = address;
        this.state = state;
        this.connections = connections;
        this.out = out;
        this.proposer = proposer;
        this.allocationIntervalNs = allocationIntervalMs * 1_000_000L;
        this.offerTimeoutNs = config.offerTimeoutMs() * 1_000_000L;
        this.vectors = state.vectors();
        this.allocator = new Allocator(new AllocatorConfig().kinds(vectors.kinds()).seed(term));
        this.statuses = new StatusRelay(state, connections, out, proposer, metrics);
        this.launches = new Launches(this, statuses, term, state, allocator, offers, connections, out, proposer,
            metrics);
        this.takenOfficeAtIndex = rebuild(nowNs);
    }

    long term()
    {
        return term;
    }

    /** Rebuilds the allocator from the replicated state: agents, frameworks, running tasks. */
    private long rebuild(final long nowNs)
    {
        final long index;
        final List<MasterState.Agent> agents;
        final List<MasterState.Framework> frameworks;
        final List<MasterState.TaskView> tasks;
        index = state.lastAppliedIndex();
        agents = state.agents();
        frameworks = state.frameworks();
        tasks = state.tasks();
        for (final MasterState.Agent agent : agents)
        {
            allocator.addAgent(agent.id(), agent.resources());
        }
        for (final MasterState.Framework framework : frameworks)
        {
            allocator.addFramework(framework.id(), roles(framework.role()));
        }
        // Everyone gets the grace period to find the new leader before being given up on.
        liveness.tookOffice(agents, frameworks, nowNs);
        for (final MasterState.Role r : state.roles())
        {
            applyRole(r);
        }
        for (final MasterState.TaskView task : tasks)
        {
            if (task.state() == TaskState.STAGING)
            {
                launches.stillStaging(task.frameworkId(), task.agentId(), task.taskId());
            }
            if (!MasterState.isTerminal(task.state()))
            {
                recover(task.agentId(), task.frameworkId(), task.role(), task.resources(), nowNs);
            }
        }
        LOG.info("took office in term {} at log index {}: {} agents, {} frameworks, {} tasks", term, index,
            agents.size(), frameworks.size(), tasks.size());
        return index;
    }

    /** Slots of a comma-separated role list (a framework may subscribe to several). */
    private int[] roles(final String names)
    {
        final String[] parts = names.split(",");
        final int[] slots = new int[parts.length];
        for (int i = 0; i < parts.length; i++)
        {
            slots[i] = role(parts[i].trim());
        }
        return slots;
    }

    private int role(final String name)
    {
        final int slot = allocator.roleSlot(name);
        return slot >= 0 ? slot : allocator.addRole(name);
    }

    /** A fresh id for an agent or framework: unique because one term has one leader. */
    private long nextId()
    {
        return (term << 24) | (++nextIdSeq & 0xFF_FFFFL);
    }

    /**
     * The id to admit a registering agent under: its own if the state knows it, else that of an
     * agent already admitted or being admitted from the same endpoint (a retried registration must
     * not become a second agent), else a new one.
     */
    long idForAgent(final long claimed, final String endpoint)
    {
        if (claimed != 0 && state.agent(claimed) != null)
        {
            return claimed;
        }
        for (final MasterState.Agent agent : state.agents())
        {
            if (agent.endpoint().equals(endpoint))
            {
                return agent.id();
            }
        }
        return idsInFlight.computeIfAbsent("agent@" + endpoint, e -> nextId());
    }

    /** As {@link #idForAgent}, for a subscribing framework. */
    long idForFramework(final long claimed, final String endpoint)
    {
        if (claimed != 0 && state.framework(claimed) != null)
        {
            return claimed;
        }
        for (final MasterState.Framework framework : state.frameworks())
        {
            if (framework.endpoint().equals(endpoint))
            {
                return framework.id();
            }
        }
        return idsInFlight.computeIfAbsent("framework@" + endpoint, e -> nextId());
    }

    // ------------------------------------------------------------------ committed records

    void onEvent(final MasterEvent event, final long nowNs)
    {
        if (event.index() <= takenOfficeAtIndex)
        {
            return;
        }
        if (event instanceof MasterEvent.AgentAdmitted e)
        {
            final MasterState.Agent agent = e.agent();
            if (allocator.agentSlot(agent.id()) < 0)
            {
                allocator.addAgent(agent.id(), agent.resources());
            }
            allocationDue = true;
            liveness.agentSeen(agent.id(), nowNs);
            out.agentRegistered.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agent.id()).term(term).masterEndpoint(address);
            connections.send(agent.endpoint(), out, Outbound.length(out.agentRegistered.encodedLength()), nowNs);
            LOG.info("agent {} ({}) registered from {}", agent.id(), agent.hostname(), agent.endpoint());
        }
        else if (event instanceof MasterEvent.FrameworkAdded e)
        {
            final MasterState.Framework framework = e.framework();
            if (allocator.frameworkSlot(framework.id()) < 0)
            {
                allocator.addFramework(framework.id(), roles(framework.role()));
            }
            allocationDue = true;
            liveness.frameworkSeen(framework, nowNs);
            out.subscribed.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(framework.id()).term(term).masterEndpoint(address);
            connections.send(framework.endpoint(), out, Outbound.length(out.subscribed.encodedLength()), nowNs);
            LOG.info("framework {} '{}' subscribed in role {}", framework.id(), framework.name(), framework.role());
        }
        else if (event instanceof MasterEvent.TaskLaunched e)
        {
            final MasterState.Task task = e.task();
            if (!launches.committed(task, nowNs))
            {
                // Accepted by an earlier leader, committed after this one rebuilt its allocator.
                recover(task.agentId, task.frameworkId, task.role, task.resources, nowNs);
            }
        }
        else if (event instanceof MasterEvent.LaunchDropped e)
        {
            if (launches.dropped(e.frameworkId(), e.taskId()))
            {
                release(e.agentId(), e.frameworkId(), e.role(), e.resources());
            }
            statuses.sendTaskStatus(e.frameworkId(), e.agentId(), e.taskId(), TaskState.ERROR, 0,
                "not launched: " + e.reason(), true, nowNs);
        }
        else if (event instanceof MasterEvent.TaskStateChanged e)
        {
            final MasterState.Task task = e.task();
            if (e.state() != TaskState.STAGING)
            {
                launches.confirmed(task);
            }
            if (statuses.forward(e, nowNs) && e.outcome() == MasterEvent.Outcome.CHANGED &&
                MasterState.isTerminal(e.state()))
            {
                release(task.agentId, task.frameworkId, task.role, task.resources);
            }
        }
        else if (event instanceof MasterEvent.FrameworkRemoved e)
        {
            for (final MasterState.TaskView task : state.tasks())
            {
                if (task.frameworkId() == e.frameworkId() && !MasterState.isTerminal(task.state()))
                {
                    sendKill(task.agentId(), task.frameworkId(), task.taskId(), nowNs);
                }
            }
            offers.values().removeIf(o -> o.frameworkId() == e.frameworkId());
            liveness.frameworkGone(e.frameworkId());
            final int slot = allocator.frameworkSlot(e.frameworkId());
            if (slot >= 0)
            {
                allocator.removeFramework(slot);
            }
            LOG.info("framework {} removed", e.frameworkId());
        }
        else if (event instanceof MasterEvent.AgentRemoved e)
        {
            rescindOffers(o -> o.agentId() == e.agentId(), nowNs);
            liveness.agentGone(e.agentId());
            launches.agentRemoved(e.agentId());
            for (final MasterState.Framework f : state.frameworks())
            {
                out.agentLost.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(f.id()).agentId(e.agentId());
                connections.send(f.endpoint(), out, Outbound.length(out.agentLost.encodedLength()), nowNs);
            }
            LOG.warn("agent {} removed: its tasks are LOST", e.agentId());
            final int slot = allocator.agentSlot(e.agentId());
            if (slot >= 0)
            {
                allocator.removeAgent(slot);
            }
        }
        else if (event instanceof MasterEvent.RoleConfigured e)
        {
            applyRole(e.role());
            allocationDue = true;
        }
        else if (event instanceof MasterEvent.BadRecord e)
        {
        LOG.error("skipped log record {}: {}", e.index(), e.problem());
        }

    }

    /**
     * Counts a task's resources as allocated (a task this leader did not launch itself). A launch
     * an earlier leader proposed may commit after this one has offered those resources: the task
     * is real, so the offers of that agent are rescinded to make room for it.
     */
    private void recover(final long agentId, final long frameworkId, final String role, final long[] resources,
        final long nowNs)
    {
        String problem = recoverOnce(agentId, frameworkId, role, resources);
        if (problem != null && rescindOffers(o -> o.agentId() == agentId, nowNs) > 0)
        {
            problem = recoverOnce(agentId, frameworkId, role, resources);
        }
        if (problem != null)
        {
            LOG.warn("cannot recover the allocation of {} to framework {} on agent {}: {}",
                java.util.Arrays.toString(resources), frameworkId, agentId, problem);
        }
    }

    /** Null if the allocation was recovered, else why not. */
    private String recoverOnce(final long agentId, final long frameworkId, final String role, final long[] resources)
    {
        try
        {
            allocator.recoverAllocation(allocator.agentSlot(agentId), allocator.frameworkSlot(frameworkId), role(role),
                resources);
            return null;
        }
        catch (final RuntimeException ex)
        {
            return ex.getMessage();
        }
    }

    /**
     * Rescinds the outstanding offers {@code which} selects: the framework is told and the resources
     * go back to the allocator (no filter: they may be offered again). Returns how many.
     */
    private int rescindOffers(final java.util.function.Predicate<OutstandingOffer> which, final long nowNs)
    {
        int rescinded = 0;
        for (final java.util.Iterator<OutstandingOffer> it = offers.values().iterator(); it.hasNext(); )
        {
            final OutstandingOffer o = it.next();
            if (which.test(o))
            {
                it.remove();
                sendRescind(o, nowNs);
                release(o.agentId(), o.frameworkId(), allocator.roleName(o.role()), o.resources());
                rescinded++;
            }
        }
        return rescinded;
    }

    void release(final long agentId, final long frameworkId, final String role, final long[] resources)
    {
        final int agent = allocator.agentSlot(agentId);
        final int framework = allocator.frameworkSlot(frameworkId);
        if (agent < 0 || framework < 0 || allocator.roleSlot(role) < 0)
        {
            return;
        }
        try
        {
            allocator.release(agent, framework, allocator.roleSlot(role), resources);
            allocationDue = true;
        }
        catch (final AllocatorException ex)
        {
            LOG.warn("could not release {} of framework {} on agent {}: {}", resources, frameworkId, agentId,
                ex.getMessage());
        }
    }

    // ------------------------------------------------------------------ roles

    private void applyRole(final MasterState.Role r)
    {
        try
        {
            final int slot = role(r.name());
            allocator.setWeight(slot, r.weight());
            allocator.setQuota(slot, r.guarantee(), r.limit());
        }
        catch (final AllocatorException ex)
        {
            LOG.warn("role {} cannot be applied to the allocator now: {}", r.name(), ex.getMessage());
        }
    }

    /**
     * Checks a role change against the allocator (quota guarantees must fit the cluster) and, if
     * it fits, applies it there at once; the caller then replicates it. Returns why not, or null.
     */
    String checkRole(final MasterState.Role r)
    {
        if (!r.name().matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"))
        {
            return "role name '" + r.name() + "' is invalid: use letters, digits, '_', '.', '-'";
        }
        try
        {
            final int slot = role(r.name());
            final double oldWeight = allocator.weight(slot);
            allocator.setWeight(slot, r.weight());
            try
            {
                allocator.setQuota(slot, r.guarantee(), r.limit());
            }
            catch (final AllocatorException ex)
            {
                allocator.setWeight(slot, oldWeight);
                throw ex;
            }
            allocationDue = true;
            return null;
        }
        catch (final AllocatorException ex)
        {
            return ex.getMessage();
        }
    }

    // ------------------------------------------------------------------ liveness

    /** Answers a heartbeat or a re-registration of a known agent: it is alive, and this is the leader. */
    /**
     * A known agent registered again and listed its tasks ({@code count\nfid/tid...}; empty: not
     * listed). A task the masters think it started (STARTING or RUNNING) that it does not list is
     * gone with the agent's checkpoint: it becomes LOST. STAGING tasks are left alone: their RunTask
     * may still be on its way.
     */
    void agentReported(final long agentId, final String taskList, final long nowNs)
    {
        if (taskList.isEmpty())
        {
            return;
        }
        final String[] lines = taskList.split("\n");
        final Set<String> listed = new HashSet<>(java.util.Arrays.asList(lines).subList(1, lines.length));
        for (final MasterState.TaskView t : state.liveTasksOn(agentId))
        {
            if ((t.state() == TaskState.STARTING || t.state() == TaskState.RUNNING) &&
                !listed.contains(MasterState.taskKey(t.frameworkId(), t.taskId())))
            {
                LOG.warn("agent {} came back without task {}/{}: LOST", agentId, t.frameworkId(), t.taskId());
                statuses.lost(t, "agent " + agentId + " re-registered without this task (its checkpoint does not " +
                    "have it)");
            }
        }
    }

    void acknowledgeAgent(final MasterState.Agent agent, final long nowNs)
    {
        liveness.agentSeen(agent.id(), nowNs);
        out.agentRegistered.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agent.id()).term(term)
            .masterEndpoint(address);
        connections.send(agent.endpoint(), out, Outbound.length(out.agentRegistered.encodedLength()), nowNs);
    }

    /** Answers a known framework's (re)subscription, which is also its heartbeat. */
    void acknowledgeFramework(final MasterState.Framework framework, final long nowNs)
    {
        liveness.frameworkSeen(framework, nowNs);
        out.subscribed.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(framework.id()).term(term)
            .masterEndpoint(address);
        connections.send(framework.endpoint(), out, Outbound.length(out.subscribed.encodedLength()), nowNs);
    }

    /** Proposes the removal of an agent that stopped heartbeating (replicated: its tasks become LOST). */
    private void removeAgent(final long agentId)
    {
        LOG.warn("agent {} missed its heartbeats: removing it", agentId);
        records.agentRemoved.wrapAndApplyHeader(records.buffer, 0, records.header).agentId(agentId)
            .timestampMs(System.currentTimeMillis());
        proposer.propose(records, Outbound.length(records.agentRemoved.encodedLength()));
    }

    /** Proposes the removal of a framework gone longer than its failover timeout (its tasks are killed). */
    private void removeFramework(final long frameworkId)
    {
        LOG.warn("framework {} did not come back within its failover timeout: removing it", frameworkId);
        records.frameworkRemoved.wrapAndApplyHeader(records.buffer, 0, records.header).frameworkId(frameworkId)
            .timestampMs(System.currentTimeMillis());
        proposer.propose(records, Outbound.length(records.frameworkRemoved.encodedLength()));
    }

    void onReconcile(final long frameworkId, final List<String> taskIds, final long nowNs)
    {
        statuses.onReconcile(frameworkId, taskIds, launches::isLaunching, nowNs);
    }

    void onStatusUpdate(final long agentId, final long frameworkId, final long msb, final long lsb,
        final TaskState taskState, final int exitCode, final long timestampMs, final String taskId,
        final String message, final long nowNs)
    {
        statuses.onStatusUpdate(agentId, frameworkId, msb, lsb, taskState, exitCode, timestampMs, taskId, message,
            nowNs);
    }

    void onAcknowledge(final long frameworkId, final String taskId, final long msb, final long lsb, final long nowNs)
    {
        statuses.onAcknowledge(frameworkId, taskId, msb, lsb, nowNs);
    }

    // ------------------------------------------------------------------ requests (validated here)

    void onAccept(final AcceptDecoder accept, final String replyTo, final long nowNs)
    {
        launches.onAccept(accept, replyTo, nowNs);
    }

    void onDecline(final long frameworkId, final long offerId, final long refuseMillis, final String replyTo,
        final long nowNs)
    {
        final OutstandingOffer offer = offers.get(offerId);
        if (offer == null || offer.frameworkId() != frameworkId)
        {
            error(replyTo, ErrorCode.UNKNOWN_OFFER, 24, "offer " + offerId + " is unknown or not yours", nowNs);
            return;
        }
        offers.remove(offerId);
        try
        {
            allocator.decline(allocator.agentSlot(offer.agentId()), allocator.frameworkSlot(frameworkId), offer.role(),
                offer.resources(), nowNs, Math.max(0, refuseMillis) * 1_000_000L);
            allocationDue = true;
        }
        catch (final AllocatorException ex)
        {
            LOG.warn("decline of offer {} failed: {}", offerId, ex.getMessage());
        }
    }

    /** Suppress (or revive) offers to a framework in some of its roles, or all of them (empty list). */
    void onSuppress(final long frameworkId, final boolean suppress, final String roleList, final String replyTo,
        final long nowNs)
    {
        final int f = allocator.frameworkSlot(frameworkId);
        if (f < 0)
        {
            return;
        }
        final int[] subscribed = allocator.frameworkRoles(f);
        final List<Integer> targets = new ArrayList<>();
        if (roleList.isBlank())
        {
            for (final int r : subscribed)
            {
                targets.add(r);
            }
        }
        else
        {
            for (final String name : roleList.split(","))
            {
                final int r = allocator.roleSlot(name.trim());
                if (r < 0 || java.util.Arrays.stream(subscribed).noneMatch(x -> x == r))
                {
                    error(replyTo, ErrorCode.MALFORMED, 31, "framework " + frameworkId + " is not subscribed to role '" +
                        name.trim() + "'; nothing was changed", nowNs);
                    return;
                }
                targets.add(r);
            }
        }
        for (final int r : targets)
        {
            if (suppress)
            {
                allocator.suppress(f, r);
            }
            else
            {
                allocator.revive(f, r);
            }
        }
        allocationDue = true;
    }

    void onKill(final long frameworkId, final String taskId, final String replyTo, final long nowNs)
    {
        final MasterState.Task task = state.task(frameworkId, taskId);
        if (task == null || MasterState.isTerminal(task.state))
        {
            error(replyTo, ErrorCode.UNKNOWN_TASK, 25, task == null ? "task '" + taskId + "' is unknown" :
                "task '" + taskId + "' has already ended (" + task.state + ")", nowNs);
            return;
        }
        sendKill(task.agentId, frameworkId, taskId, nowNs);
    }

    // ------------------------------------------------------------------ each duty cycle

    /** Proposes the batches gathered this cycle (one record each), then allocates if due. */
    int doWork(final long nowNs)
    {
        int work = liveness.check(nowNs, this::removeAgent, this::removeFramework);
        work += expireOffers(nowNs);
        work += launches.doWork(nowNs);
        work += statuses.doWork();
        final boolean fullDue = nowNs - lastFullPassNs >= allocationIntervalNs;
        if (allocationDue || fullDue)
        {
            final long passStartNs = System.nanoTime();
            final OfferBuffer made = fullDue ? allocator.fullPass(nowNs) : allocator.incrementalPass(nowNs);
            metrics.allocationPass(fullDue, System.nanoTime() - passStartNs);
            if (fullDue)
            {
                lastFullPassNs = nowNs;
            }
            allocationDue = false;
            for (int i = 0; i < made.size(); i++)
            {
                sendOffer(made, i, nowNs);
            }
            work += made.size();
        }
        metrics.outstandingOffers = offers.size();
        return work;
    }

    private void sendOffer(final OfferBuffer made, final int i, final long nowNs)
    {
        final long agentId = allocator.agentId(made.agent(i));
        final long frameworkId = allocator.frameworkId(made.framework(i));
        final long[] resources = vectors.vector(0);
        made.amounts(i, resources);
        final long offerId = (term << 32) | (++nextOfferSeq & 0xFFFF_FFFFL);
        offers.put(offerId, new OutstandingOffer(offerId, frameworkId, agentId, made.role(i), resources, nowNs));
        metrics.offersSent.inc();
        final MasterState.Framework framework = state.framework(frameworkId);
        final MasterState.Agent agent = state.agent(agentId);
        out.offer.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).offerId(offerId)
            .agentId(agentId);
        Protocol.putResources(out.offer.resources(), resources);
        out.offer.hostname(agent == null ? "" : agent.hostname()).attributes(agent == null ? "" : agent.attributes())
            .role(allocator.roleName(made.role(i))).customResources(vectors.custom(resources));
        connections.send(framework == null ? null : framework.endpoint(), out,
            Outbound.length(out.offer.encodedLength()), nowNs);
    }

    /**
     * Rescinds offers outstanding longer than the offer timeout: the framework is told, and the
     * resources go back to the allocator (no filter: the framework may get them again).
     */
    private int expireOffers(final long nowNs)
    {
        if (offerTimeoutNs <= 0 || nowNs < nextOfferExpiryCheckNs || offers.isEmpty())
        {
            return 0;
        }
        nextOfferExpiryCheckNs = nowNs + OFFER_EXPIRY_CHECK_NS;
        final int work = rescindOffers(o -> nowNs - o.sentAtNs() >= offerTimeoutNs, nowNs);
        metrics.offersRescinded.inc(work);
        if (work > 0)
        {
            LOG.info("rescinded {} offers unanswered for {} ms", work, offerTimeoutNs / 1_000_000L);
        }
        return work;
    }

    /**
     * The leader's books, per resource kind: {allocated in the allocator, held by outstanding
     * offers, used by tasks that have not ended}. With nothing leaked the first is the sum of the
     * other two.
     */
    long[][] accounting()
    {
        final int kinds = vectors.kinds().count();
        final long[] allocated = new long[kinds];
        final long[] offered = new long[kinds];
        final long[] used = new long[kinds];
        for (final MasterState.Agent agent : state.agents())
        {
            final int slot = allocator.agentSlot(agent.id());
            for (int k = 0; slot >= 0 && k < kinds; k++)
            {
                allocated[k] += allocator.allocated(slot, k);
            }
            for (final MasterState.TaskView t : state.liveTasksOn(agent.id()))
            {
                for (int k = 0; k < kinds; k++)
                {
                    used[k] += t.resources()[k];
                }
            }
        }
        for (final OutstandingOffer o : offers.values())
        {
            for (int k = 0; k < kinds; k++)
            {
                offered[k] += o.resources()[k];
            }
        }
        return new long[][] { allocated, offered, used };
    }

    // ------------------------------------------------------------------ sending

    private void sendRescind(final OutstandingOffer o, final long nowNs)
    {
        final MasterState.Framework f = state.framework(o.frameworkId());
        out.offerRescinded.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(o.frameworkId())
            .offerId(o.offerId());
        connections.send(f == null ? null : f.endpoint(), out, Outbound.length(out.offerRescinded.encodedLength()),
            nowNs);
    }

    private void sendKill(final long agentId, final long frameworkId, final String taskId, final long nowNs)
    {
        final MasterState.Agent agent = state.agent(agentId);
        out.killTask.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId).frameworkId(frameworkId)
            .taskId(taskId);
        connections.send(agent == null ? null : agent.endpoint(), out, Outbound.length(out.killTask.encodedLength()),
            nowNs);
    }

    void error(final String replyTo, final ErrorCode code, final int inReplyTo, final String message,
        final long nowNs)
    {
        LOG.info("refused template {} from {}: {}", inReplyTo, replyTo, message);
        metrics.requestsRefused.inc();
        connections.send(replyTo, out, out.encodeError(code, inReplyTo, message), nowNs);
    }
}
