package io.corral.master;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.corral.allocator.Allocator;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.AcceptDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.TaskState;
import io.corral.codec.sbe.TasksLaunchedEncoder;
import io.corral.master.LeaderDuties.OutstandingOffer;

/**
 * The leader's launch path: an accept is checked against its offers and each task against what
 * is left; valid tasks wait for the cycle's one {@code TasksLaunched} record; once it commits,
 * {@code RunTask} goes to the agent and is resent until the agent confirms (STARTING), so a
 * leader that dies in between leaves nothing stuck in STAGING. Part of {@link LeaderDuties},
 * owned by the duty thread; refusals, releases and master-made statuses go through it.
 */
final class Launches
{
    private static final long RUN_TASK_RETRY_NS = 2_000_000_000L;
    private static final long RESEND_CHECK_NS = 200_000_000L;

    private record PendingLaunch(long frameworkId, long agentId, long[] resources, String taskId, String command,
        long[] options, String env, String healthCommand, String role)
    {
    }

    private final LeaderDuties duties;
    private final StatusRelay statuses;
    private final long term;
    private final MasterState state;
    private final ResourceVectors vectors;
    private final Allocator allocator;
    private final Map<Long, OutstandingOffer> offers;
    private final Connections connections;
    private final Outbound out;
    private final Outbound records = new Outbound();
    private final LeaderDuties.RecordProposer proposer;
    private final MasterMetrics metrics;
    private final List<PendingLaunch> launches = new ArrayList<>();
    /** Accepted, proposed, not yet committed: their task ids are taken. */
    private final Set<String> launchingTaskKeys = new HashSet<>();
    /** Launched tasks the agent has not confirmed yet (no STARTING): frameworkId, agentId, last sent. */
    private final Map<String, long[]> staging = new HashMap<>();
    private long nextResendCheckNs;

    Launches(final LeaderDuties duties, final StatusRelay statuses, final long term, final MasterState state,
        final Allocator allocator,
        final Map<Long, OutstandingOffer> offers, final Connections connections, final Outbound out,
        final LeaderDuties.RecordProposer proposer, final MasterMetrics metrics)
    {
        this.duties = duties;
        this.statuses = statuses;
        this.term = term;
        this.state = state;
        this.vectors = state.vectors();
        this.allocator = allocator;
        this.offers = offers;
        this.connections = connections;
        this.out = out;
        this.proposer = proposer;
        this.metrics = metrics;
    }

    /** On taking office: a task still STAGING may never have had its RunTask sent; send it (again). */
    void stillStaging(final long frameworkId, final long agentId, final String taskId)
    {
        staging.put(MasterState.taskKey(frameworkId, taskId), new long[] { frameworkId, agentId, 0 });
    }

    /** Accept: checks the offer and every task; launches the valid ones in one record, refuses the rest. */
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
        final OutstandingOffer offer = offers.get(offerId);
        long[] combined = offer == null ? null : offer.resources().clone();
        for (final long id : offerIds)
        {
            final OutstandingOffer o = offers.get(id);
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
            duties.error(replyTo, ErrorCode.UNKNOWN_OFFER, AcceptDecoder.TEMPLATE_ID, refused, nowNs);
            for (final AcceptDecoder.TasksDecoder t : accept.tasks())
            {
                final String taskId = t.taskId();
                t.skipCommand();
                t.skipEnv();
                t.skipHealthCommand();
                t.skipCustomResources();
                if (state.task(frameworkId, taskId) == null &&
                    !launchingTaskKeys.contains(MasterState.taskKey(frameworkId, taskId)))
                {
                    // (a task by that id that does exist is not this accept's to report on)
                    statuses.sendTaskStatus(frameworkId, 0, taskId, TaskState.LOST, 0, "not launched: " + refused,
                        true, nowNs);
                }
            }
            return;
        }
        offerIds.forEach(offers::remove);
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
                problem = taskProblem(frameworkId, taskId, command, asked, left, inBatch);
            }
            catch (final IllegalArgumentException ex)
            {
                asked = null;
                problem = "task '" + taskId + "': " + ex.getMessage();
            }
            if (problem == null && (options[0] < 0 || options[1] < 0 || options[2] < 0 || options[3] < 0 ||
                options[1] > 0 && (healthCommand.isBlank() || options[2] <= 0 || options[3] <= 0)))
            {
                problem = "task '" + taskId + "' has an invalid kill grace or health check (interval, timeout and " +
                    "failures must be positive, with a command)";
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
            launchingTaskKeys.add(MasterState.taskKey(frameworkId, taskId));
            launches.add(new PendingLaunch(frameworkId, offer.agentId(), asked, taskId, command, options, env,
                healthCommand, allocator.roleName(offer.role())));
        }
        boolean anyLeft = false;
        for (final long v : left)
        {
            anyLeft |= v > 0;
        }
        if (anyLeft)
        {
            duties.release(offer.agentId(), frameworkId, allocator.roleName(offer.role()), left);
        }
    }

    private String taskProblem(final long frameworkId, final String taskId, final String command, final long[] asked,
        final long[] left, final Set<String> inBatch)
    {
        if (taskId.isBlank())
        {
            return "task id is empty";
        }
        if (inBatch.contains(taskId) || state.task(frameworkId, taskId) != null ||
            launchingTaskKeys.contains(MasterState.taskKey(frameworkId, taskId)))
        {
            return "task id '" + taskId + "' is already in use by this framework";
        }
        if (command.isBlank())
        {
            return "task '" + taskId + "' has an empty command";
        }
        boolean any = false;
        final io.corral.allocator.ResourceKinds kinds = vectors.kinds();
        for (int i = 0; i < asked.length; i++)
        {
            if (asked[i] < 0)
            {
                return "task '" + taskId + "' asks for negative " + kinds.name(i);
            }
            if (asked[i] > left[i])
            {
                return "task '" + taskId + "' asks for " + kinds.name(i) + " " + kinds.formatValue(i, asked[i]) +
                    " but the offer has only " + kinds.formatValue(i, left[i]) + " left";
            }
            any |= asked[i] > 0;
        }
        return any ? null : "task '" + taskId + "' asks for no resources";
    }

    /**
     * A TasksLaunched record committed this task: tell its agent to run it. False if this leader
     * did not accept it (an earlier leader proposed it and it committed after this one took
     * office): its resources are not in this leader's allocator yet.
     */
    boolean committed(final MasterState.Task task, final long nowNs)
    {
        final String key = MasterState.taskKey(task.frameworkId, task.taskId);
        final boolean ours = launchingTaskKeys.remove(key);
        staging.put(key, new long[] { task.frameworkId, task.agentId, nowNs });
        sendRunTask(task, nowNs);
        metrics.tasksLaunched.inc();
        return ours;
    }

    /**
     * Raft refused the record of these launches while this leader still leads: their ids are
     * free again and their resources go back. The framework learns it by reconciling (the driver
     * does so for tasks it hears nothing of): the master answers LOST for a task it does not know.
     * Should the record commit after all, {@link #committed} counts its resources again.
     */
    private void notCommitted(final List<PendingLaunch> batch)
    {
        for (final PendingLaunch l : batch)
        {
            if (launchingTaskKeys.remove(MasterState.taskKey(l.frameworkId(), l.taskId())))
            {
                duties.release(l.agentId(), l.frameworkId(), l.role(), l.resources());
            }
        }
    }

    /** True while a launch of this task is proposed and not yet committed. */
    boolean isLaunching(final long frameworkId, final String taskId)
    {
        return launchingTaskKeys.contains(MasterState.taskKey(frameworkId, taskId));
    }

    /**
     * The log refused a launch (its id was taken meanwhile, or its agent or framework left). True
     * if this leader accepted it (so it holds the resources to give back).
     */
    boolean dropped(final long frameworkId, final String taskId)
    {
        return launchingTaskKeys.remove(MasterState.taskKey(frameworkId, taskId));
    }

    /** The agent confirmed the task (or it ended): no more RunTask. */
    void confirmed(final MasterState.Task task)
    {
        staging.remove(MasterState.taskKey(task.frameworkId, task.taskId));
    }

    void agentRemoved(final long agentId)
    {
        staging.values().removeIf(v -> v[1] == agentId);
    }

    /** Resends what agents have not confirmed, then proposes this cycle's launches as one record. */
    int doWork(final long nowNs)
    {
        int work = 0;
        if (nowNs >= nextResendCheckNs)
        {
            nextResendCheckNs = nowNs + RESEND_CHECK_NS;
            work += resendUnconfirmedLaunches(nowNs);
        }
        if (launches.isEmpty())
        {
            return work;
        }
        final TasksLaunchedEncoder.TasksEncoder group = records.tasksLaunched
            .wrapAndApplyHeader(records.buffer, 0, records.header).tasksCount(launches.size());
        final long nowMs = System.currentTimeMillis();
        for (final PendingLaunch l : launches)
        {
            group.next().frameworkId(l.frameworkId()).agentId(l.agentId());
            Protocol.putResources(group.resources(), l.resources());
            group.timestampMs(nowMs);
            MasterState.putOptions(group.options(), l.options());
            group.taskId(l.taskId()).command(l.command()).env(l.env()).healthCommand(l.healthCommand())
                .role(l.role()).customResources(vectors.custom(l.resources()));
        }
        final List<PendingLaunch> batch = new ArrayList<>(launches);
        proposer.propose(records, Outbound.length(records.tasksLaunched.encodedLength()), () -> notCommitted(batch));
        work += launches.size();
        launches.clear();
        return work;
    }

    private void sendRunTask(final MasterState.Task task, final long nowNs)
    {
        final MasterState.Agent agent = state.agent(task.agentId);
        out.runTask.wrapAndApplyHeader(out.buffer, 0, out.header)
            .agentId(task.agentId).frameworkId(task.frameworkId);
        Protocol.putResources(out.runTask.resources(), task.resources);
        MasterState.putOptions(out.runTask.options(), task.options);
        out.runTask.taskId(task.taskId).command(task.command).env(task.env).healthCommand(task.healthCommand)
            .customResources(vectors.custom(task.resources));
        connections.send(agent == null ? null : agent.endpoint(), out, Outbound.length(out.runTask.encodedLength()),
            nowNs);
    }

    /** Resends RunTask for launches the agent has not confirmed (the agent ignores repeats). */
    private int resendUnconfirmedLaunches(final long nowNs)
    {
        int work = 0;
        for (final Map.Entry<String, long[]> e : staging.entrySet())
        {
            final long[] v = e.getValue();
            if (nowNs - v[2] < RUN_TASK_RETRY_NS)
            {
                continue;
            }
            final String taskId = e.getKey().substring(e.getKey().indexOf('/') + 1);
            final MasterState.Task task = state.task(v[0], taskId);
            if (task != null && task.state == TaskState.STAGING)
            {
                sendRunTask(task, nowNs);
                v[2] = nowNs;
                work++;
            }
        }
        return work;
    }
}
