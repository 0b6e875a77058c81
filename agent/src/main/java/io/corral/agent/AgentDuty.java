package io.corral.agent;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.corral.codec.AgentInbound;
import io.corral.codec.Backoff;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.TaskListParts;
import io.corral.codec.sbe.AgentRegisteredDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.KillTaskDecoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.RunTaskDecoder;
import io.corral.codec.sbe.StatusAckDecoder;
import io.corral.codec.sbe.TaskState;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's duty thread, the owner of its tasks and their status streams: registers with the
 * leader and heartbeats, runs and kills tasks as the leader asks, supervises their processes and
 * health checks, and sends their updates until acknowledged. What other threads read of it (its
 * id, the leader, the last refusal, updates pending) it publishes in volatile fields it alone
 * writes.
 */
final class AgentDuty implements Agent, AgentInbound.Handler
{
    private static final Logger LOG = LoggerFactory.getLogger(AgentNode.class);

    private final AgentConfig config;
    private final Aeron aeron;
    private final Subscription subscription;
    private final String endpoint;
    private final List<String> masters;
    private final Map<String, ExclusivePublication> publications;
    private final io.corral.codec.Seal seal;
    private final ManyToOneConcurrentLinkedQueue<Runnable> inbox;
    private final AgentCheckpoint checkpoint;
    private final String secret;
    private final Isolator isolator;
    private final TaskLauncher launcher;
    private final SandboxHttp http;

    private final AgentInbound inbound;
    /** Bad frames are a stranger's to send: one line a second at most. */
    private final io.corral.codec.LogThrottle badFrameLog = new io.corral.codec.LogThrottle(1_000_000_000L);
    /** Messages larger than one Aeron frame arrive in fragments. */
    private final io.aeron.FragmentAssembler assembler;
    private final Outbound out = new Outbound();
    private final Map<String, RunningTask> tasks = new HashMap<>();
    private final StatusStream statuses;
    private final Supervision supervision;
    private final HealthChecks health;
    private int masterIndex;
    /**
     * Tasks received and not started yet, in order: each cycle starts them for at most
     * {@link #LAUNCH_BUDGET_NS}, so heartbeats and updates go on between (starting 1,050 tasks in
     * one go held the thread past the agent timeout and the masters removed the agent).
     */
    private final java.util.ArrayDeque<RunningTask> toLaunch = new java.util.ArrayDeque<>();
    static final long LAUNCH_BUDGET_NS = TimeUnit.MILLISECONDS.toNanos(20);

    /** Published for other threads; written only here. */
    private volatile String leader;
    private volatile long agentId;
    /** The last request a master refused, and why (null: none). */
    private volatile String lastRefusal;
    private volatile int unacknowledgedUpdates;

    AgentDuty(final AgentConfig config, final Aeron aeron, final Subscription subscription, final String endpoint,
        final Map<String, ExclusivePublication> publications, final io.corral.codec.Seal seal,
        final ManyToOneConcurrentLinkedQueue<Runnable> inbox, final AgentCheckpoint checkpoint,
        final Isolator isolator, final TaskLauncher launcher, final SandboxHttp http)
    {
        this.config = config;
        this.aeron = aeron;
        this.subscription = subscription;
        this.endpoint = endpoint;
        this.masters = config.masters();
        this.publications = publications;
        this.seal = seal;
        this.inbox = inbox;
        this.checkpoint = checkpoint;
        this.secret = checkpoint.secret();
        this.isolator = isolator;
        this.launcher = launcher;
        this.http = http;
        this.inbound = new AgentInbound(this);
        if (seal.secure())
        {
            inbound.gate(seal);
        }
        this.assembler = new io.aeron.FragmentAssembler(inbound);
        this.statuses = new StatusStream(checkpoint, tasks);
        this.supervision = new Supervision(tasks, checkpoint, isolator);
        this.health = new HealthChecks(launcher, (key, exit) -> inbox.offer(() -> onHealthCheckDone(key, exit)));
    }

    String leader()
    {
        return leader;
    }

    long agentId()
    {
        return agentId;
    }

    String lastRefusal()
    {
        return lastRefusal;
    }

    int unacknowledgedUpdates()
    {
        return unacknowledgedUpdates;
    }

    /** A master refused a request (or the credential), and why (on this thread). */
    void refused(final String why)
    {
        lastRefusal = why;
    }

    private long nextRegisterNs;
    /** The leader's pacing (0: none): the agent heartbeats no more often than this. */
    private long leaderIntervalNs;

    /** This agent's interval, or the leader's if that is longer (it paces a large cluster). */
    private long heartbeatNs()
    {
        return Math.max(config.heartbeatNs(), leaderIntervalNs);
    }
    private final Backoff registerBackoff = new Backoff(AgentNode.REGISTER_RETRY_FIRST_NS, AgentNode.REGISTER_RETRY_MAX_NS,
        System.nanoTime() ^ ProcessHandle.current().pid());
    private long nextHeartbeatNs;
    private long nextLimitCheckNs;
    private long nextGcNs;
    private long lastHeardNs;
    /**
     * The term of the master that last registered this agent: while that master answers, a
     * registration from an older term is a deposed master's (a cluster rebuilt from scratch
     * starts its terms again: once the old leader is silent, any term is taken).
     */
    private long leaderTerm;
    /** An unsealed redirect that came while the leader answered: taken if it stops answering. */
    private String pendingHint;
    /** "looking for the leader" was logged since the last registration answer. */
    private boolean saidLooking;
    private long nowNs;

    @Override
    public String roleName()
    {
        return "corral-agent";
    }

    /** Reads the checkpoint: re-adopts live tasks, concludes the ones that ended meanwhile. */
    int recover()
    {
        agentId = checkpoint.agentId();
        for (final TaskRecord record : checkpoint.tasks().values())
        {
            final RunningTask task = new RunningTask(record);
            tasks.put(record.key(), task);
            statuses.recovered(record.key());
            if (record.ended)
            {
                continue;
            }
            if (record.pid == 0)
            {
                // Received and not started when the agent stopped: it starts now.
                toLaunch.add(task);
                continue;
            }
            final Optional<ProcessHandle> handle = ProcessHandle.of(record.pid);
            // A zombie (ended, not yet reaped by its new parent) is not running: its end is concluded.
            final boolean same = handle.isPresent() && Processes.running(record.pid) && handle.get().info()
                .startInstant()
                .map(i -> i.toEpochMilli() == record.startMillis).orElse(false);
            if (same)
            {
                adopt(task, handle.get());
                LOG.info("re-adopted task {} (pid {})", record.key(), record.pid);
            }
            else
            {
                conclude(task, TaskLauncher.readExitStatus(record), "while the agent was down");
            }
        }
        return tasks.size();
    }

    private void adopt(final RunningTask task, final ProcessHandle handle)
    {
        task.process = handle;
        final String key = task.record.key();
        handle.onExit().thenAccept(p -> inbox.offer(() -> onExit(key)));
    }

    @Override
    public int doWork()
    {
        final int work = cycle();
        return work + seal.flush(); // this cycle's messages, one frame per master
    }

    private int cycle()
    {
        nowNs = System.nanoTime();
        int work = subscription.poll(assembler, 32);
        Runnable r;
        while ((r = inbox.poll()) != null)
        {
            r.run();
            work++;
        }
        work += launchQueued();
        // Local duties go on whether or not a master answers: kills, limits and health checks
        // must not wait for the masters to come back.
        work += supervision.enforceKillDeadlines(nowNs);
        if (nowNs >= nextLimitCheckNs)
        {
            nextLimitCheckNs = nowNs + TimeUnit.MILLISECONDS.toNanos(100);
            work += supervision.enforceMemoryLimits();
            work += supervision.retryEarlyKills(nowNs);
            work += health.run(tasks.values(), nowNs);
        }
        if (nowNs >= nextGcNs)
        {
            nextGcNs = nowNs + TimeUnit.MINUTES.toNanos(10);
            final java.util.Set<String> live = new java.util.HashSet<>();
            tasks.values().forEach(t -> live.add(t.record.frameworkId + "/" + TaskLauncher.dirName(t.record.taskId)));
            final int removed = SandboxGc.collect(config.workDir(), live, config.sandboxGcMs(),
                System.currentTimeMillis());
            if (removed > 0)
            {
                LOG.info("removed {} old sandbox(es)", removed);
            }
        }
        if (agentId == 0 || leader == null)
        {
            if (agentId != 0 && !saidLooking && nowNs - lastHeardNs > AgentNode.MISSED_ANSWERS * heartbeatNs())
            {
                // Sent away by a NotLeader, and no master has answered since: say so once.
                LOG.warn("no answer from any master for {} ms: looking for the leader",
                    TimeUnit.NANOSECONDS.toMillis(nowNs - lastHeardNs));
                saidLooking = true;
            }
            if (nowNs >= nextRegisterNs)
            {
                nextRegisterNs = nowNs + registerBackoff.nextDelayNs();
                register();
                work++;
            }
            return work;
        }
        if (pendingHint != null && nowNs - lastHeardNs > heartbeatNs())
        {
            // The leader missed an answer since a redirect came: try where it pointed.
            final String hint = pendingHint;
            pendingHint = null;
            leader = null;
            if (publications.containsKey(hint))
            {
                masterIndex = masters.indexOf(hint);
            }
            nextRegisterNs = nowNs;
            return work;
        }
        if (nowNs - lastHeardNs > AgentNode.MISSED_ANSWERS * heartbeatNs())
        {
            LOG.warn("no answer from master {} for {} ms: looking for the leader", leader,
                TimeUnit.NANOSECONDS.toMillis(nowNs - lastHeardNs));
            saidLooking = true;
            leader = null;
            nextRegisterNs = nowNs;
            seal.reset(); // the next leader is another master, or this one restarted: new sessions
            return work;
        }
        if (nowNs >= nextHeartbeatNs)
        {
            nextHeartbeatNs = nowNs + heartbeatNs();
            out.heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId);
            seal.offer(publications.get(leader), out.buffer, Outbound.length(out.heartbeat.encodedLength()));
        }
        work += statuses.sendDue(nowNs, agentId, publications.get(leader), seal);
        unacknowledgedUpdates = statuses.pending();
        return work;
    }

    /** Registration attempts in a row whose task list parts did not all go. */
    private int listsNotSent;

    private void register()
    {
        final String target = leader != null ? leader : masters.get(masterIndex++ % masters.size());
        // Looking for the leader: a session it has not answered in lately is stale (it restarted).
        seal.resetIfSilent(publications.get(target), AgentNode.MISSED_ANSWERS * heartbeatNs());
        leader = null;
        TaskListParts list = taskList();
        if (list != null && !list.sendBefore(seal, publications.get(target), out, agentId))
        {
            // A part did not go: neither may the registration (the next attempt sends all), unless
            // this has gone on for a while: then "not listed" rather than not registered at all.
            if (++listsNotSent < TaskListParts.ATTEMPTS_BEFORE_UNLISTED)
            {
                return;
            }
            list = null;
        }
        listsNotSent = 0;
        out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId);
        Protocol.putResources(out.registerAgent.resources(), config.resources());
        out.registerAgent.hostname(config.hostname()).endpoint(endpoint).attributes(config.attributes())
            .httpEndpoint(http.endpoint())
            .customResources(io.corral.codec.CustomResources.format(config.customResources()))
            .tasks(list == null ? "" : list.registration()).agentSecret(secret);
        seal.offer(publications.get(target), out.buffer, Outbound.length(out.registerAgent.encodedLength()));
    }

    /**
     * A session with a master was just made: register over it, with that master (not the next
     * one in the list), without waiting for the backoff.
     */
    void registerNow(final io.aeron.Publication publication)
    {
        for (final Map.Entry<String, ? extends io.aeron.Publication> e : publications.entrySet())
        {
            if (e.getValue() == publication && leader == null)
            {
                masterIndex = masters.indexOf(e.getKey());
            }
        }
        nextRegisterNs = 0;
    }

    /**
     * What the agent reports at registration: the count, then each task it has and its latest
     * state (a new leader learns from it the states that are not replicated); the masters
     * mark LOST a task they think runs here that is not listed. A list too long for one
     * message goes in parts before the registration; beyond {@link TaskListParts#MAX_CHARS}
     * it is not listed (null), and the masters check nothing.
     */
    private TaskListParts taskList()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Map.Entry<String, RunningTask> e : tasks.entrySet())
        {
            // "framework/task<TAB>STATE": a new leader learns the states that were not replicated
            sb.append(sb.length() == 0 ? "" : "\n").append(e.getKey());
            if (e.getValue().record.state != null)
            {
                sb.append('\t').append(e.getValue().record.state);
            }
            if (sb.length() > TaskListParts.MAX_CHARS)
            {
                return null;
            }
        }
        return TaskListParts.of(tasks.size(), sb);
    }

    @Override
    public void onAgentRegistered(final AgentRegisteredDecoder m, final int sessionId)
    {
        final long id = m.agentId();
        final long term = m.term();
        if (term < leaderTerm && nowNs - lastHeardNs < heartbeatNs())
        {
            // A master that was paused or cut off answers a registration sent before another
            // was elected: following it would send this agent's updates where they cannot commit.
            LOG.debug("ignored a registration from {} in term {}: term {} leads", m.masterEndpoint(), term, leaderTerm);
            return;
        }
        leaderTerm = term;
        leaderIntervalNs = TimeUnit.MILLISECONDS.toNanos(Math.max(0, m.heartbeatIntervalMs()));
        final String from = m.masterEndpoint();
        lastHeardNs = nowNs;
        pendingHint = null; // a leader answers: an unsealed redirect meanwhile was not its word
        saidLooking = false;
        registerBackoff.reset();
        if (agentId != 0 && id != agentId)
        {
            // The masters removed this agent while it was away: its tasks are LOST there.
            LOG.warn("the masters no longer know agent {} (now agent {}): killing its {} task(s)", agentId, id,
                tasks.size());
            killAll();
            tasks.clear();
            toLaunch.clear(); // (those not started yet never start)
            statuses.clear();
            checkpoint.clearTasks();
        }
        if (id != agentId)
        {
            agentId = id;
            checkpoint.agentId(id);
        }
        if (from.equals(leader))
        {
            return;
        }
        leader = from;
        if (!publications.containsKey(leader))
        {
            publications.put(leader, aeron.addExclusivePublication(Protocol.channel(leader), Protocol.STREAM_ID));
        }
        LOG.info("registered as agent {} with master {} (term {})", agentId, leader, term);
        // Everything unacknowledged goes to the new leader at once.
        statuses.resendAllNow();
    }

    @Override
    public void onNotLeader(final NotLeaderDecoder m, final int sessionId)
    {
        final String hint = m.leaderEndpoint();
        if (seal.secure() && !seal.sealedInHand() && leader != null && nowNs - lastHeardNs < heartbeatNs())
        {
            // Unsealed, while the leader answers: anyone's word. Kept as a hint, taken if the
            // leader misses its next answer (a new leader announces itself unsealed).
            pendingHint = hint;
            return;
        }
        pendingHint = null;
        leader = null;
        if (!hint.isEmpty() && publications.containsKey(hint))
        {
            masterIndex = masters.indexOf(hint);
        }
        nextRegisterNs = nowNs;
    }

    @Override
    public void onRunTask(final RunTaskDecoder m, final int sessionId)
    {
        final TaskRecord record = new TaskRecord();
        record.frameworkId = m.frameworkId();
        record.resources = Protocol.resources(m.resources());
        record.killGraceMs = m.options().killGraceMs();
        record.healthIntervalMs = m.options().healthIntervalMs();
        record.healthTimeoutMs = m.options().healthTimeoutMs();
        record.healthMaxFailures = m.options().healthMaxFailures();
        record.taskId = m.taskId();
        record.command = m.command();
        record.env = m.env();
        record.healthCommand = m.healthCommand();
        final String custom = m.customResources();
        record.customResources = custom;
        final String key = record.key();
        if (tasks.containsKey(key) || statuses.endedRecently(key))
        {
            // The master resends RunTask until it hears STARTING: a repeat is not a new launch.
            final RunningTask existing = tasks.get(key);
            if (existing != null && !existing.record.command.equals(record.command))
            {
                LOG.warn("RunTask for task {} with another command than the one running here: ignored (task ids " +
                    "are unique per framework; the masters refuse a second launch with TASK_ERROR)", key);
            }
            return;
        }
        final RunningTask task = new RunningTask(record);
        tasks.put(key, task);
        final String problem = launcher.problem(record);
        if (problem != null)
        {
            record.ended = true;
            statuses.queue(task, TaskState.ERROR, 0, problem);
            return;
        }
        record.sandbox = launcher.sandbox(record).getAbsolutePath();
        // STARTING now (checkpointed; it also stops the master resending the RunTask); the
        // process starts in turn, within this cycle or a later one.
        statuses.queue(task, TaskState.STARTING, 0, "sandbox: " + record.sandbox);
        toLaunch.add(task);
    }

    /** Starts queued tasks, in order, for at most {@link #LAUNCH_BUDGET_NS} (at least one). */
    private int launchQueued()
    {
        int started = 0;
        final long until = System.nanoTime() + LAUNCH_BUDGET_NS;
        while (!toLaunch.isEmpty() && (started == 0 || System.nanoTime() < until))
        {
            launch(toLaunch.poll());
            started++;
        }
        return started;
    }

    private void launch(final RunningTask task)
    {
        final TaskRecord record = task.record;
        if (record.ended)
        {
            return; // killed while it waited
        }
        try
        {
            final Process process = launcher.start(record, agentId);
            statuses.queue(task, TaskState.RUNNING, 0, "pid " + process.pid());
            adopt(task, process.toHandle());
        }
        catch (final IOException ex)
        {
            record.ended = true;
            statuses.queue(task, TaskState.FAILED, -1, "could not start: " + ex.getMessage());
        }
    }

    private void onExit(final String key)
    {
        final RunningTask task = tasks.get(key);
        if (task == null || task.record.ended)
        {
            return;
        }
        conclude(task, TaskLauncher.readExitStatus(task.record), "");
    }

    /** Records how a task ended; {@code exitStatus} is null when no status was written. */
    private void conclude(final RunningTask task, final Integer exitStatus, final String when)
    {
        final TaskRecord record = task.record;
        record.ended = true;
        final String suffix = when.isEmpty() ? "" : " " + when;
        final boolean memoryKilled = record.memoryLimit || isolator.wasMemoryKilled(record);
        // Whatever of the task outlived it (e.g. a daemon that double-forked) ends with it.
        isolator.killRemaining(record);
        isolator.release(record);
        statuses.queueEnd(task, exitStatus, suffix, memoryKilled);
    }

    @Override
    public void onKillTask(final KillTaskDecoder m, final int sessionId)
    {
        final long frameworkId = m.frameworkId();
        final String taskId = m.taskId();
        final RunningTask task = tasks.get(frameworkId + "/" + taskId);
        if (task != null && !task.record.ended && task.process == null && toLaunch.remove(task))
        {
            // Killed while it waited to start: it never runs.
            task.record.ended = true;
            task.record.killRequested = true;
            statuses.queue(task, TaskState.KILLED, 0, "killed before it started");
            return;
        }
        if (task == null || task.record.ended || task.process == null)
        {
            return;
        }
        if (!task.record.killRequested)
        {
            terminate(task, "");
        }
    }

    /** SIGTERM to the task's process tree now, SIGKILL after its grace period. */
    private void terminate(final RunningTask task, final String why)
    {
        task.record.killRequested = true;
        checkpoint.save(task.record);
        task.killDeadlineNs = nowNs + (task.record.killGraceMs > 0 ?
            TimeUnit.MILLISECONDS.toNanos(task.record.killGraceMs) : config.killGraceNs());
        // The signal goes to the command's tree, not to the wrapper: the wrapper stays to wait
        // for it (so the tree can still be found for SIGKILL) and records how it ended.
        task.termDelivered = Supervision.sigterm(task) > 0;
        LOG.info("SIGTERM to task {} (pid {}){}", task.record.taskId, task.process.pid(), why);
    }

    private void onHealthCheckDone(final String key, final int exit)
    {
        final RunningTask task = tasks.get(key);
        if (task != null && health.failedTooOften(task, exit, nowNs))
        {
            task.record.unhealthy = true;
            terminate(task, ": health check failed " + task.healthFailures + " times in a row");
        }
    }

    /** Called after the duty thread has stopped: no other thread touches the tasks then. */
    void killAll()
    {
        supervision.killAll();
    }

    @Override
    public void onStatusAck(final StatusAckDecoder m, final int sessionId)
    {
        final long frameworkId = m.frameworkId();
        final long msb = m.uuidMsb();
        final long lsb = m.uuidLsb();
        statuses.onAck(frameworkId, m.taskId(), msb, lsb);
    }

    @Override
    public void onErrorReply(final ErrorReplyDecoder m, final int sessionId)
    {
        final ErrorCode code = m.code();
        final String message = m.message();
        LOG.warn("master refused: {} {}", code, message);
        refused(code + ": " + message);
        if (code == ErrorCode.NOT_REGISTERED)
        {
            leader = null;
            nextRegisterNs = nowNs;
        }
    }

    @Override
    public void onBadFrame(final int sessionId, final int templateId, final String problem)
    {
        if (badFrameLog.allow(System.nanoTime()))
        {
            LOG.warn("agent: bad frame (template {}) from session {}: {}{}", templateId, sessionId, problem,
                badFrameLog.leftOut());
        }
    }
}
