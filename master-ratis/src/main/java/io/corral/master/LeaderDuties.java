package io.corral.master;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.corral.allocator.Allocator;
import io.corral.allocator.AllocatorConfig;
import io.corral.codec.sbe.AcceptDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.TaskState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's soft state and the cycle that drives it: built from {@link MasterState} when the
 * node takes office, dropped when it steps down, never replicated. It owns the allocations, the
 * offer book and the passes that fill it ({@link Offering}), the launch and status paths and
 * liveness, reacts to applied records ({@link #onEvent}), and each cycle ({@link #doWork}) proposes
 * what was gathered and allocates. Owned by the duty thread; time comes from the caller
 * ({@code nowNs}) and an injected clock (record timestamps), so it runs under a fake clock in tests.
 */
final class LeaderDuties
{
    private static final Logger LOG = LoggerFactory.getLogger(LeaderDuties.class);

    private final long term;
    private final String address;
    private final MasterState state;
    private final Outputs outputs;
    private final AgentPublisher toAgents;
    private final FrameworkPublisher toFrameworks;
    private final MasterMetrics metrics;
    private final ResourceVectors vectors;
    private final Allocations allocations;
    private final Allocator allocator;
    private final OfferBook offers;
    private final Launches launches;
    private final Offering offering;
    private final StatusRelay statuses;
    private final LivenessTracker liveness;
    private final Map<String, Long> idsInFlight = new HashMap<>();
    /** Agents (by {@link AgentControl#key}) whose registration is proposed and not yet applied. */
    private final Set<String> registering = new HashSet<>();
    /**
     * Agents heard from in this term: until an agent is, the states of its tasks that went ahead
     * of the log are unknown here, and reconciliation does not answer for them (as Mesos's master
     * waits for agents that are re-registering).
     */
    private final org.agrona.collections.LongHashSet heardAgents = new org.agrona.collections.LongHashSet();
    private final java.util.function.LongConsumer removeAgent = this::removeAgent;
    private final java.util.function.LongConsumer removeFramework = this::removeFramework;
    private final long takenOfficeAtIndex;
    private final AgentReports reports;
    private final io.corral.codec.LogThrottle stallLog = new io.corral.codec.LogThrottle(10_000_000_000L);
    private long nextIdSeq;
    /** Kills sent for tasks that have not ended yet, per agent: sent again when it registers again. */
    private final Map<Long, Set<MasterState.Task>> killsSent = new HashMap<>();

    /** Secure masters: frameworks known from the state get no offers until they are heard in this term. */
    private final boolean holdOffersUntilHeard;
    private final java.util.Set<Long> unheard = new java.util.HashSet<>();

    /**
     * A leader in {@code term} taking office at {@code nowNs} from {@code state} as applied so far;
     * {@code committedIndex} is Raft's commit index when it took office (at or past every entry
     * an earlier leader wrote, some perhaps not applied yet).
     */
    LeaderDuties(final long term, final MasterConfig config, final MasterState state, final Outputs outputs,
        final long committedIndex, final long nowNs)
    {
        this.term = term;
        this.address = config.address();
        this.state = state;
        this.outputs = outputs;
        this.toAgents = outputs.toAgents();
        this.toFrameworks = outputs.toFrameworks();
        this.metrics = outputs.metrics();
        this.vectors = state.vectors();
        this.liveness = new LivenessTracker(config);
        this.holdOffersUntilHeard = config.credentials() != null;
        this.allocator = new Allocator(new AllocatorConfig().kinds(vectors.kinds()).seed(term));
        this.allocations = new Allocations(allocator);
        this.offers = new OfferBook(term);
        this.statuses = new StatusRelay(state, outputs);
        final OfferPacing pacing = new OfferPacing(config.maxLaunchesInFlight());
        this.offering = new Offering(config, state, allocator, allocations, offers, pacing, outputs);
        this.launches = new Launches(term, state, offers, allocations, statuses, outputs,
            config.maxLaunchesInFlight(), pacing);
        statuses.onConfirmed(launches::confirmed);
        this.reports = new AgentReports(state, statuses, launches);
        this.takenOfficeAtIndex = rebuild(committedIndex, nowNs);
        statuses.catchUpTo(Math.max(committedIndex, takenOfficeAtIndex));
        announce(config.id(), nowNs);
    }

    /**
     * Tells every known agent endpoint, once, that this master leads now (a NotLeader naming this
     * master: agents answer it by registering here, frameworks by subscribing here). With heartbeats paced to a large cluster an
     * agent would otherwise notice the old leader's silence only after five intervals: 24 s for
     * 50,000 agents to come back after a leader kill. Agents that already found this leader
     * re-register, which replicates nothing.
     */
    private void announce(final int masterId, final long nowNs)
    {
        final java.util.Set<String> told = new java.util.HashSet<>();
        for (final MasterState.Agent agent : state.agentControl().each())
        {
            if (told.add(agent.endpoint()))
            {
                toAgents.announceLeader(agent.endpoint(), masterId, address, nowNs);
            }
        }
        // Frameworks too: each subscribes here at once instead of after noticing the old leader's
        // silence (with credentials, that Subscribe is also what opens its session here).
        for (final MasterState.Framework framework : state.frameworks())
        {
            if (told.add(framework.endpoint()))
            {
                toFrameworks.announceLeader(framework.endpoint(), masterId, address, nowNs);
            }
        }
    }

    /**
     * The duty thread stood still for {@code forNs}; {@code nextLogIndex} is where the next entry
     * goes. Until an entry there or later has committed (proof this master still led after the
     * pause), no update goes to a framework ahead of the log: a new leader may have told it of
     * ends meanwhile that this one has not applied.
     */
    void stalled(final long nextLogIndex, final long forNs)
    {
        if (nextLogIndex > 0)
        {
            statuses.catchUpTo(Math.max(statuses.catchUpIndex(), nextLogIndex));
            // An empty record: what commits it proves this master led after the pause, also when
            // nothing else would be proposed (a reconciliation would wait for it).
            outputs.proposer().propose(outputs.records().buffer(), outputs.records().taskStatesChanged(List.of()), null);
        }
        metrics.dutyStalls.inc();
        if (stallLog.allow(System.nanoTime()))
        {
            LOG.warn("duty thread of the leader of term {} stood still for {} ms: updates wait for the log until it " +
                "commits again (corral_leader_duty_stalls_total counts these){}", term,
                java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(forNs), stallLog.leftOut());
        }
    }

    long term()
    {
        return term;
    }

    /** Rebuilds the allocator from the replicated state: agents, frameworks, running tasks. */
    private long rebuild(final long committedIndex, final long nowNs)
    {
        final long index = state.lastAppliedIndex();
        final List<MasterState.Agent> agents = state.agents();
        final List<MasterState.Framework> frameworks = state.frameworks();
        agents.forEach(allocations::addAgent);
        frameworks.forEach(allocations::addFramework);
        if (holdOffersUntilHeard)
        {
            // With credentials a framework hears this leader only once it has a session here (its
            // next Subscribe): an offer sent before would be dropped unseen and hold the agent's
            // resources until the offer timeout. So none go to it until then.
            for (final MasterState.Framework f : frameworks)
            {
                final int slot = allocator.frameworkSlot(f.id());
                if (slot >= 0 && unheard.add(f.id()))
                {
                    for (final int r : allocator.frameworkRoles(slot))
                    {
                        allocator.suppress(slot, r);
                    }
                }
            }
        }
        // Everyone gets the grace period to find the new leader before being given up on.
        heartbeatIntervalMs(); // paced to the cluster's size, and the agent timeout with it
        liveness.tookOffice(agents, frameworks, nowNs);
        state.roles().forEach(allocations::applyRole);
        for (final MasterState.Task task : state.taskControl().each())
        {
            if (MasterState.isTerminal(task.state))
            {
                continue;
            }
            if (state.framework(task.frameworkId) == null)
            {
                // Its framework was removed and the kill sent then may have died with the old
                // leader: kill it again. Its resources were given back when the framework went.
                sendKill(task.agentId, task.frameworkId, task.taskId, nowNs);
                continue;
            }
            if (task.state == TaskState.STAGING)
            {
                launches.stillStaging(task);
            }
            recover(task.agentId, task.frameworkId, task.role, task.resources, nowNs);
        }
        LOG.info("took office in term {} at log index {} (committed: {}): {} agents, {} frameworks, {} tasks", term,
            index, committedIndex, agents.size(), frameworks.size(), state.taskCount());
        return index;
    }

    /**
     * The id of a newcomer (agent or framework) known by {@code key}: the same until it commits
     * (a retried registration must not become a second one), unique because one term has one leader.
     */
    /**
     * Ids are the leader's term in the high bits and a sequence in the low {@value #ID_SEQUENCE_BITS}
     * (a trillion ids a term: a 24-bit sequence wrapped after 16.7 million and could hand out a
     * live id again). A leader that ran out would step down for a new term before reusing one.
     */
    long idFor(final String key)
    {
        return idsInFlight.computeIfAbsent(key, k ->
        {
            if (nextIdSeq >= MAX_ID_SEQUENCE)
            {
                throw new IllegalStateException("term " + term + " has used all " + MAX_ID_SEQUENCE + " ids");
            }
            return (term << ID_SEQUENCE_BITS) | ++nextIdSeq;
        });
    }

    static final int ID_SEQUENCE_BITS = 40;
    static final long MAX_ID_SEQUENCE = (1L << ID_SEQUENCE_BITS) - 1;

    // ------------------------------------------------------------------ committed records

    void onEvent(final MasterEvent event, final long nowNs)
    {
        if (event.index() <= takenOfficeAtIndex)
        {
            return;
        }
        if (event instanceof MasterEvent.AgentAdmitted e)
        {
            final String key = AgentControl.key(e.agent().hostname(), e.agent().endpoint());
            registering.remove(key);
            idsInFlight.remove("agent@" + key); // committed: the state knows it by its key now
            allocations.addAgent(e.agent());
            agentRegistered(e.agent(), nowNs); // alive, and told so with the paced interval
            LOG.info("agent {} ({}) registered from {}", e.agent().id(), e.agent().hostname(), e.agent().endpoint());
        }
        else if (event instanceof MasterEvent.FrameworkAdded e)
        {
            idsInFlight.remove("framework@" + e.framework().endpoint());
            allocations.addFramework(e.framework());
            liveness.frameworkSeen(e.framework(), nowNs);
            toFrameworks.subscribed(e.framework(), term, address, nowNs);
            LOG.info("framework {} '{}' subscribed in role {}", e.framework().id(), e.framework().name(),
                e.framework().role());
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
                allocations.release(e.agentId(), e.frameworkId(), e.role(), e.resources());
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
                allocations.release(task.agentId, task.frameworkId, task.role, task.resources);
            }
            if (MasterState.isTerminal(task.state))
            {
                final Set<MasterState.Task> killed = killsSent.get(task.agentId);
                if (killed != null && killed.remove(task) && killed.isEmpty())
                {
                    killsSent.remove(task.agentId);
                }
            }
        }
        else if (event instanceof MasterEvent.FrameworkRemoved e)
        {
            for (final MasterState.Task task : state.taskControl().each())
            {
                if (task.frameworkId == e.frameworkId() && !MasterState.isTerminal(task.state))
                {
                    sendKill(task.agentId, task.frameworkId, task.taskId, nowNs);
                }
            }
            offers.removeOfFramework(e.frameworkId());
            liveness.frameworkGone(e.frameworkId());
            unheard.remove(e.frameworkId());
            allocations.removeFramework(e.frameworkId());
            LOG.info("framework {} removed", e.frameworkId());
        }
        else if (event instanceof MasterEvent.AgentRemoved e)
        {
            offering.rescind(offers.removeOfAgent(e.agentId()), nowNs);
            liveness.agentGone(e.agentId());
            killsSent.remove(e.agentId());
            // Its tasks' LOST changes came first (confirmed(): out of staging), so nothing to scan here.
            for (final MasterState.Framework f : state.frameworkControl().each())
            {
                toFrameworks.agentLost(f.endpoint(), f.id(), e.agentId(), nowNs);
            }
            LOG.warn("agent {} removed: its tasks are LOST", e.agentId());
            allocations.removeAgent(e.agentId());
        }
        else if (event instanceof MasterEvent.RoleConfigured e)
        {
            allocations.applyRole(e.role());
        }
        else if (event instanceof MasterEvent.AclSet e)
        {
            LOG.info("authorization rules replaced at log index {}: {}", e.index(), e.acl().describe());
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
        String problem = allocations.recover(agentId, frameworkId, role, resources);
        if (problem != null && offering.rescind(offers.removeOfAgent(agentId), nowNs) > 0)
        {
            problem = allocations.recover(agentId, frameworkId, role, resources);
        }
        if (problem != null)
        {
            LOG.warn("cannot recover the allocation of {} to framework {} on agent {}: {}",
                java.util.Arrays.toString(resources), frameworkId, agentId, problem);
        }
    }

    // ------------------------------------------------------------------ requests

    /**
     * Marks a registration of the agent known by {@code key} ({@link AgentControl#key}) as proposed:
     * false if one already is (do not propose again).
     */
    boolean registering(final String key)
    {
        return registering.add(key);
    }

    /** Raft refused the registration's record: the agent's next retry proposes it again. */
    void registrationFailed(final String key)
    {
        registering.remove(key);
    }

    /** How often agents should heartbeat at the cluster's size ({@link LivenessTracker#pacedIntervalMs}). */
    long heartbeatIntervalMs()
    {
        return liveness.pacedIntervalMs(state.agentCount());
    }

    /**
     * True once the agent has registered with this leader (its task list, with the states this
     * leader's log may lack, came with it): until then its heartbeats are answered "register
     * again", and reconciliation says nothing of its tasks.
     */
    boolean registeredThisTerm(final long agentId)
    {
        return heardAgents.contains(agentId);
    }

    /** Answers a heartbeat, a registration or a re-registration: the agent is alive, and this is the leader. */
    void acknowledgeAgent(final MasterState.Agent agent, final long nowNs)
    {
        final long intervalMs = heartbeatIntervalMs(); // first: it sets the timeout agentSeen uses
        liveness.agentSeen(agent.id(), nowNs);
        toAgents.registered(agent, term, address, intervalMs, nowNs);
    }

    /** A call of the framework's own (not its Subscribe) arrived: it is alive. */
    void frameworkHeard(final MasterState.Framework framework, final long nowNs)
    {
        liveness.frameworkSeen(framework, nowNs);
    }

    /** Answers a known framework's (re)subscription, which is also its heartbeat. */
    void acknowledgeFramework(final MasterState.Framework framework, final long nowNs)
    {
        if (unheard.remove(framework.id()))
        {
            final int slot = allocator.frameworkSlot(framework.id());
            for (final int r : slot < 0 ? new int[0] : allocator.frameworkRoles(slot))
            {
                allocator.revive(slot, r);
            }
            allocations.markDue();
        }
        liveness.frameworkSeen(framework, nowNs);
        toFrameworks.subscribed(framework, term, address, nowNs);
    }

    /** Proposes the removal of an agent that stopped heartbeating (replicated: its tasks become LOST). */
    private void removeAgent(final long agentId)
    {
        LOG.warn("agent {} missed its heartbeats: removing it", agentId);
        outputs.proposeIfAny(state.agentControl().remove(agentId, outputs.clock().time(), outputs.records()));
    }

    /** Proposes the removal of a framework gone longer than its failover timeout (its tasks are killed). */
    private void removeFramework(final long frameworkId)
    {
        LOG.warn("framework {} did not come back within its failover timeout: removing it", frameworkId);
        outputs.proposeIfAny(state.frameworkControl().remove(frameworkId, outputs.clock().time(),
            outputs.records()));
    }

    void onReconcile(final long frameworkId, final List<String> taskIds, final long nowNs)
    {
        statuses.onReconcile(frameworkId, taskIds, launches::isLaunching, heardAgents::contains, nowNs);
    }

    /** What agents list when they register: the states a new leader's log lacks. */
    AgentReports reports()
    {
        return reports;
    }

    StatusRelay statuses()
    {
        return statuses;
    }

    void onAccept(final AcceptDecoder accept, final String replyTo, final long nowNs)
    {
        launches.onAccept(accept, replyTo, nowNs);
    }

    void onDecline(final long frameworkId, final long offerId, final long refuseMillis, final String replyTo,
        final long nowNs)
    {
        if (!offering.decline(frameworkId, offerId, refuseMillis, nowNs))
        {
            error(replyTo, ErrorCode.UNKNOWN_OFFER, 24, "offer " + offerId + " is unknown or not yours", nowNs);
        }
    }

    /** Suppress (or revive) offers to a framework in some of its roles, or all of them (empty list). */
    void onSuppress(final long frameworkId, final boolean suppress, final String roleList, final String replyTo,
        final long nowNs)
    {
        final String problem = offering.suppress(frameworkId, suppress, roleList);
        if (problem != null)
        {
            error(replyTo, ErrorCode.MALFORMED, 31, problem, nowNs);
        }
    }

    /** A framework's kill ({@code replyTo} its endpoint) or an operator's (null): null if sent, else why not. */
    String onKill(final long frameworkId, final String taskId, final String replyTo, final long nowNs)
    {
        final MasterState.Task task = state.task(frameworkId, taskId);
        if (task == null || MasterState.isTerminal(task.state))
        {
            final String problem = task == null ? "task '" + taskId + "' of framework " + frameworkId + " is unknown" :
                "task '" + taskId + "' has already ended (" + task.state + ")";
            error(replyTo, ErrorCode.UNKNOWN_TASK, 25, problem, nowNs);
            return problem;
        }
        sendKill(task.agentId, frameworkId, taskId, nowNs);
        return null;
    }

    /**
     * An operator's role change: checked by the RoleControl and against the allocator (applied
     * there at once if it fits), then proposed. Returns the Control's result.
     */
    Result configureRole(final MasterState.Role role)
    {
        final Result r = state.roleControl().configure(role, outputs.records());
        if (!r.proposes())
        {
            return r;
        }
        final String problem = allocations.tryRole(role);
        return problem == null ? r : Result.refused(ErrorCode.MALFORMED, problem);
    }

    // ------------------------------------------------------------------ each duty cycle

    /** {@link #doWork(long, long)} for a master that has read all its inbound messages. */
    int doWork(final long nowNs)
    {
        return doWork(nowNs, nowNs);
    }

    /**
     * Liveness (judged at {@code heardUpToNs}: when the master last had read all its inbound
     * messages), offer timeouts, resends, the cycle's batches proposed (one record each), then
     * allocation if due.
     */
    int doWork(final long nowNs, final long heardUpToNs)
    {
        metrics.inboundBehindNs = nowNs - heardUpToNs;
        int work = liveness.check(nowNs, heardUpToNs, removeAgent, removeFramework);
        work += offering.expire(nowNs);
        work += launches.doWork(nowNs);
        work += statuses.doWork(nowNs);
        // While accepted launches wait for room in flight, no new offers: the pass stays due.
        work += offering.passIfDue(launches.backlogged() || outputs.proposer().backlogged(),
            launches.inFlight() + launches.waiting(), nowNs);
        metrics.outstandingOffers = offers.size();
        metrics.launchesInFlight = launches.inFlight();
        metrics.launchesWaiting = launches.waiting();
        return work;
    }

    /**
     * The leader's books, per resource kind: {allocated in the allocator, held by outstanding
     * offers, used by tasks that have not ended}. With nothing leaked the first is the sum of the
     * other two.
     */
    long[][] accounting()
    {
        return offering.accounting();
    }

    // ------------------------------------------------------------------ sending

    private void sendKill(final long agentId, final long frameworkId, final String taskId, final long nowNs)
    {
        final MasterState.Task task = state.task(frameworkId, taskId);
        if (task != null)
        {
            killsSent.computeIfAbsent(agentId, a -> new java.util.HashSet<>()).add(task);
        }
        final MasterState.Agent agent = state.agent(agentId);
        toAgents.killTask(agent == null ? null : agent.endpoint(), agentId, frameworkId, taskId, nowNs);
    }

    /**
     * An agent registered, or registered again (after a leader change, say): it is acknowledged,
     * and every kill sent for its tasks that have not ended goes again. A kill to an agent that had
     * no session with this leader yet was dropped (Mesos's master likewise retries a kill when the
     * agent re-registers); an agent takes a repeated kill as the same one.
     */
    void agentRegistered(final MasterState.Agent agent, final long nowNs)
    {
        heardAgents.add(agent.id()); // its task list (if it has tasks) came with the registration
        acknowledgeAgent(agent, nowNs);
        final Set<MasterState.Task> killed = killsSent.get(agent.id());
        if (killed == null)
        {
            return;
        }
        killed.removeIf(t -> MasterState.isTerminal(t.state) || state.task(t.frameworkId, t.taskId) != t);
        for (final MasterState.Task t : killed)
        {
            toAgents.killTask(agent.endpoint(), agent.id(), t.frameworkId, t.taskId, nowNs);
        }
        if (killed.isEmpty())
        {
            killsSent.remove(agent.id());
        }
    }

    void error(final String replyTo, final ErrorCode code, final int inReplyTo, final String message,
        final long nowNs)
    {
        if (replyTo == null)
        {
            return;
        }
        LOG.info("refused template {} from {}: {}", inReplyTo, replyTo, message);
        metrics.requestsRefused.inc();
        toFrameworks.error(replyTo, code, inReplyTo, message, nowNs);
    }
}
