package io.corral.master;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.corral.codec.sbe.AcceptDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.TaskState;
import io.corral.master.OfferBook.Offer;

/**
 * The leader's launch path: an accept is checked against its offers and each task against what
 * is left; valid tasks wait for the cycle's one {@code TasksLaunched} record; once it commits,
 * {@code RunTask} goes to the agent and is resent until the agent confirms (STARTING), so a
 * leader that dies in between leaves nothing stuck in STAGING. Admission: at most
 * {@code maxInFlight} launches are proposed or unconfirmed at once; accepted launches beyond that
 * wait here in order (their resources already taken from the offer), and while any wait the
 * leader makes no new offers ({@link #backlogged}). Part of the leader's duties, owned
 * by the duty thread; it uses the offer book, the allocations and the status path, and calls
 * nothing back.
 */
final class Launches
{
    /** RunTask is resent after 2 s, then 4, 8, ... up to 32 s (an agent that is slow to confirm is not flooded). */
    private static final long RUN_TASK_RETRY_NS = 2_000_000_000L;
    private static final long RUN_TASK_RETRY_MAX_NS = 32_000_000_000L;
    private static final long RESEND_CHECK_NS = 200_000_000L;

    private final TaskControl tasks;
    private final AgentControl agents;
    private final ResourceVectors vectors;
    private final OfferBook offers;
    private final Allocations allocations;
    private final StatusRelay statuses;
    private final long term;
    private final AgentPublisher toAgents;
    private final FrameworkPublisher toFrameworks;
    private final RecordWriter records;
    private final MasterMetrics metrics;
    private final Outputs outputs;
    private final List<TaskControl.Launch> launches = new ArrayList<>();
    /** Accepted, waiting for room in flight: not proposed yet. */
    private final java.util.ArrayDeque<TaskControl.Launch> waiting = new java.util.ArrayDeque<>();
    private final int maxInFlight;
    /**
     * Accepted (waiting or proposed), not yet committed: their task ids are taken; with when
     * their accept arrived (the launch latency is measured from it).
     */
    private final org.agrona.collections.Object2LongHashMap<String> launchingTaskKeys =
        new org.agrona.collections.Object2LongHashMap<>(NOT_LAUNCHING);
    private static final long NOT_LAUNCHING = Long.MIN_VALUE;
    /** Launched tasks the agent has not confirmed yet (no STARTING): {when RunTask last went, the delay before the next}. */
    private final java.util.IdentityHashMap<MasterState.Task, long[]> staging = new java.util.IdentityHashMap<>();
    /**
     * The same tasks in the order their RunTask is next due (roughly: a resent one goes to the
     * back with its doubled wait); confirmed ones are dropped when they reach the front. The resend
     * check looks only at the front instead of walking every launch in flight (a third of the
     * leader's samples with 5,000 in flight).
     */
    private final java.util.ArrayDeque<MasterState.Task> stagingOrder = new java.util.ArrayDeque<>();
    private long nextResendCheckNs;
    /** Told how many tasks each accept launched on how many offers. */
    private final OfferPacing pacing;

    Launches(final long term, final MasterState state, final OfferBook offers, final Allocations allocations,
        final StatusRelay statuses, final Outputs outputs, final int maxInFlight, final OfferPacing pacing)
    {
        this.pacing = pacing;
        this.maxInFlight = maxInFlight;
        this.outputs = outputs;
        this.toAgents = outputs.toAgents();
        this.toFrameworks = outputs.toFrameworks();
        this.records = outputs.records();
        this.metrics = outputs.metrics();
        this.term = term;
        this.tasks = state.taskControl();
        this.agents = state.agentControl();
        this.vectors = state.vectors();
        this.offers = offers;
        this.allocations = allocations;
        this.statuses = statuses;
    }

    /** On taking office: a task still STAGING may never have had its RunTask sent; send it (again). */
    void stillStaging(final MasterState.Task task)
    {
        staging.put(task, new long[] { 0, 0 });
        stagingOrder.add(task);
    }

    /** Accept: checks the offer and every task; queues the valid ones for launch (see doWork), refuses the rest. */
    void onAccept(final AcceptDecoder accept, final String replyTo, final long nowNs)
    {
        final long frameworkId = accept.frameworkId();
        final long offerId = accept.offerId();
        final List<Long> offerIds = new ArrayList<>();
        offerIds.add(offerId);
        for (final AcceptDecoder.MoreOffersDecoder more : accept.moreOffers())
        {
            offerIds.add(more.offerId());
        }
        String refused = null;
        final Offer offer = offers.get(offerId);
        long[] combined = offer == null ? null : offer.resources().clone();
        for (final long id : offerIds)
        {
            final Offer o = offers.get(id);
            if (o == null || o.frameworkId() != frameworkId)
            {
                refused = "offer " + id + " is unknown or not yours: it was already used, declined or rescinded, or " +
                    "it came from an earlier leader (this leader's term is " + term + "); nothing was launched, wait " +
                    "for a new offer";
                break;
            }
            if (id != offerId)
            {
                if (o.agentId() != offer.agentId() || o.role() != offer.role())
                {
                    refused = "offers " + offerId + " and " + id + " are of different agents or roles: several offers " +
                        "can be used together only for one agent and one role; nothing was launched";
                    break;
                }
                if (offerIds.indexOf(id) != offerIds.lastIndexOf(id))
                {
                    refused = "offer " + id + " is named twice; nothing was launched";
                    break;
                }
                for (int i = 0; i < combined.length; i++)
                {
                    combined[i] += o.resources()[i];
                }
            }
        }
        if (refused != null)
        {
            // Nothing launches: each task is reported LOST (as Mesos does for invalid offers), so a
            // framework that thought it launched them knows to try again on a new offer.
            metrics.requestsRefused.inc();
            toFrameworks.error(replyTo, ErrorCode.UNKNOWN_OFFER, AcceptDecoder.TEMPLATE_ID, refused, nowNs);
            for (final AcceptDecoder.TasksDecoder t : accept.tasks())
            {
                final String taskId = t.taskId();
                t.skipCommand();
                t.skipEnv();
                t.skipHealthCommand();
                t.skipCustomResources();
                if (tasks.get(frameworkId, taskId) == null &&
                    !launchingTaskKeys.containsKey(MasterState.taskKey(frameworkId, taskId)))
                {
                    // (a task by that id that does exist is not this accept's to report on)
                    statuses.sendTaskStatus(frameworkId, 0, taskId, TaskState.LOST, 0, "not launched: " + refused,
                        true, nowNs);
                }
            }
            return;
        }
        offerIds.forEach(offers::remove);
        final String role = allocations.roleName(offer.role());
        final long[] left = combined;
        final Set<String> inBatch = new HashSet<>();
        for (final AcceptDecoder.TasksDecoder t : accept.tasks())
        {
            final long[] options = MasterState.options(t.options());
            final String taskId = t.taskId();
            final String command = t.command();
            final String env = t.env();
            final String healthCommand = t.healthCommand();
            final String custom = t.customResources();
            long[] asked;
            String problem;
            try
            {
                asked = vectors.read(t.resources(), custom);
                problem = tasks.launchProblem(frameworkId, taskId, command, asked, left, options, healthCommand, inBatch,
                    this::isLaunching);
            }
            catch (final IllegalArgumentException ex)
            {
                asked = null;
                problem = "task '" + taskId + "': " + ex.getMessage();
            }
            if (problem != null)
            {
                statuses.sendTaskStatus(frameworkId, offer.agentId(), taskId, TaskState.ERROR, 0, problem, true, nowNs);
                continue;
            }
            for (int i = 0; i < left.length; i++)
            {
                left[i] -= asked[i];
            }
            inBatch.add(taskId);
            launchingTaskKeys.put(MasterState.taskKey(frameworkId, taskId), nowNs);
            waiting.add(new TaskControl.Launch(frameworkId, offer.agentId(), asked, taskId, command, options, env,
                healthCommand, role));
        }
        pacing.answered(offerIds.size(), inBatch.size());
        boolean anyLeft = false;
        for (final long v : left)
        {
            anyLeft |= v > 0;
        }
        if (anyLeft)
        {
            allocations.release(offer.agentId(), frameworkId, role, left);
        }
    }

    /**
     * A TasksLaunched record committed this task: tell its agent to run it. False if this leader
     * did not accept it (an earlier leader proposed it and it committed after this one took
     * office): its resources are not in this leader's allocator yet.
     */
    boolean committed(final MasterState.Task task, final long nowNs)
    {
        final String key = MasterState.taskKey(task.frameworkId, task.taskId);
        final long acceptedNs = launchingTaskKeys.removeKey(key);
        final boolean ours = acceptedNs != NOT_LAUNCHING;
        if (staging.put(task, new long[] { nowNs, RUN_TASK_RETRY_NS }) == null)
        {
            stagingOrder.add(task);
        }
        sendRunTask(task, nowNs);
        metrics.tasksLaunched.inc();
        if (ours)
        {
            metrics.launched(nowNs - acceptedNs);
        }
        return ours;
    }

    /**
     * Raft refused the record of these launches while this leader still leads: their ids are
     * free again and their resources go back. The framework learns it by reconciling (the driver
     * does so for tasks it hears nothing of): the master answers LOST for a task it does not know.
     * Should the record commit after all, {@link #committed} counts its resources again.
     */
    private void notCommitted(final List<TaskControl.Launch> batch)
    {
        for (final TaskControl.Launch l : batch)
        {
            if (launchingTaskKeys.removeKey(MasterState.taskKey(l.frameworkId(), l.taskId())) != NOT_LAUNCHING)
            {
                allocations.release(l.agentId(), l.frameworkId(), l.role(), l.resources());
            }
        }
    }

    /** True while a launch of this task is proposed and not yet committed. */
    boolean isLaunching(final long frameworkId, final String taskId)
    {
        return launchingTaskKeys.containsKey(MasterState.taskKey(frameworkId, taskId));
    }

    /**
     * The log refused a launch (its id was taken meanwhile, or its agent or framework left). True
     * if this leader accepted it (so it holds the resources to give back).
     */
    boolean dropped(final long frameworkId, final String taskId)
    {
        return launchingTaskKeys.removeKey(MasterState.taskKey(frameworkId, taskId)) != NOT_LAUNCHING;
    }

    /** The agent listed the task when it registered again: no more RunTask. */
    void confirmed(final MasterState.Task task)
    {
        staging.remove(task);
    }

    /** The agent's update of the task arrived: no more RunTask; how long since it went is measured. */
    void confirmed(final MasterState.Task task, final long nowNs)
    {
        final long[] sent = staging.remove(task);
        if (sent != null && sent[0] != 0)
        {
            metrics.confirmed(nowNs - sent[0]);
        }
    }

    /** Launches proposed and not committed, or committed and not confirmed by their agents. */
    int inFlight()
    {
        return launchingTaskKeys.size() - waiting.size() + staging.size();
    }

    /** Accepted launches waiting for room in flight. */
    int waiting()
    {
        return waiting.size();
    }

    /** True while accepted launches wait: the leader makes no new offers until they are on their way. */
    boolean backlogged()
    {
        return !waiting.isEmpty();
    }

    /**
     * Resends what agents have not confirmed, then proposes as many waiting launches as there is
     * room in flight for, as one record.
     */
    int doWork(final long nowNs)
    {
        int work = 0;
        if (nowNs >= nextResendCheckNs)
        {
            nextResendCheckNs = nowNs + RESEND_CHECK_NS;
            work += resendUnconfirmedLaunches(nowNs);
        }
        for (int room = maxInFlight - inFlight(); room > 0 && !waiting.isEmpty(); room--)
        {
            launches.add(waiting.poll());
        }
        if (launches.isEmpty())
        {
            return work;
        }
        tasks.launch(launches, outputs.clock().time(), records);
        final List<TaskControl.Launch> batch = new ArrayList<>(launches);
        outputs.proposer().propose(records.buffer(), records.length(), () -> notCommitted(batch));
        work += launches.size();
        launches.clear();
        return work;
    }

    private void sendRunTask(final MasterState.Task task, final long nowNs)
    {
        final MasterState.Agent agent = agents.get(task.agentId);
        toAgents.runTask(agent == null ? null : agent.endpoint(), task, nowNs);
    }

    /** Resends RunTask for launches the agent has not confirmed (the agent ignores repeats). */
    private int resendUnconfirmedLaunches(final long nowNs)
    {
        int work = 0;
        for (int looked = stagingOrder.size(); looked > 0 && !stagingOrder.isEmpty(); looked--)
        {
            final MasterState.Task task = stagingOrder.peek();
            final long[] sent = staging.get(task);
            if (sent == null || task.state != TaskState.STAGING)
            {
                stagingOrder.poll(); // confirmed, or ended
                staging.remove(task);
                continue;
            }
            if (nowNs - sent[0] < sent[1])
            {
                break;
            }
            stagingOrder.poll();
            sendRunTask(task, nowNs);
            sent[0] = nowNs;
            sent[1] = sent[1] == 0 ? RUN_TASK_RETRY_NS : Math.min(RUN_TASK_RETRY_MAX_NS, sent[1] * 2);
            stagingOrder.add(task);
            work++;
        }
        return work;
    }
}
