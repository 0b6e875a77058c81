package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.corral.codec.AgentInbound;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.AgentRegisteredDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.KillTaskDecoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.RunTaskDecoder;
import io.corral.codec.sbe.StatusAckDecoder;
import io.corral.codec.sbe.TaskState;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent daemon: registers with the leading master, heartbeats, runs each task as a real OS
 * process in its own sandbox, and reports task states as updates retried until acknowledged.
 * One duty thread owns all of it; process exits arrive through a queue.
 */
public final class AgentNode implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(AgentNode.class);
    private static final long REGISTER_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Heartbeats without an answer before the agent looks for a new leader. */
    private static final int MISSED_ANSWERS = 5;
    private static final long STATUS_RETRY_NS = TimeUnit.SECONDS.toNanos(1);

    private final AgentConfig config;
    private final Aeron aeron;
    private final Subscription subscription;
    private final String endpoint;
    private final List<String> masters;
    private final Map<String, ExclusivePublication> publications = new HashMap<>();
    private final ManyToOneConcurrentLinkedQueue<Runnable> inbox = new ManyToOneConcurrentLinkedQueue<>();
    private final AgentRunner runner;
    private volatile long agentId;

    public AgentNode(final AgentConfig config)
    {
        config.conclude();
        this.config = config;
        this.masters = config.masters();
        aeron = MediaDrivers.connect();
        subscription = aeron.addSubscription(Protocol.channel(config.bindHost() + ":0"), Protocol.STREAM_ID);
        String resolved = null;
        for (int i = 0; i < 1000 && resolved == null; i++)
        {
            resolved = subscription.resolvedEndpoint();
            if (resolved == null)
            {
                Thread.onSpinWait();
            }
        }
        if (resolved == null)
        {
            throw new IllegalStateException("could not bind an Aeron endpoint on " + config.bindHost());
        }
        endpoint = resolved;
        for (final String master : masters)
        {
            publications.put(master, aeron.addExclusivePublication(Protocol.channel(master), Protocol.STREAM_ID));
        }
        runner = new AgentRunner(new SleepingMillisIdleStrategy(1),
            ex -> LOG.error("agent duty cycle failed", ex), null, new Duty());
        AgentRunner.startOnThread(runner);
        LOG.info("agent on {} offering {} with work dir {}", endpoint, config.describeResources(), config.workDir());
    }

    public String endpoint()
    {
        return endpoint;
    }

    /** The id the master gave this agent, or 0 before registration. */
    public long agentId()
    {
        return agentId;
    }

    public java.io.File workDir()
    {
        return config.workDir();
    }

    public boolean isRegistered()
    {
        return agentId != 0;
    }

    /**
     * Stops the agent and kills its tasks' process trees, so nothing it started outlives it.
     * (Re-adopting running tasks after an agent restart needs the checkpoint of issue 5.)
     */
    @Override
    public void close()
    {
        runner.close();
        ((Duty)runner.agent()).killAll();
        publications.values().forEach(ExclusivePublication::close);
        subscription.close();
        MediaDrivers.release(aeron);
    }

    /** One task process and what the agent knows about it. */
    private static final class RunningTask
    {
        final long frameworkId;
        final String taskId;
        final File sandbox;
        Process process;
        boolean killRequested;
        long killDeadlineNs;
        boolean ended;

        RunningTask(final long frameworkId, final String taskId, final File sandbox)
        {
            this.frameworkId = frameworkId;
            this.taskId = taskId;
            this.sandbox = sandbox;
        }
    }

    /** A status update waiting for its acknowledgement; a task's updates go out in order. */
    private record Update(long frameworkId, String taskId, long uuidMsb, long uuidLsb, TaskState state, int exitCode,
        long timestampMs, String message)
    {
    }

    private final class Duty implements Agent, AgentInbound.Handler
    {
        private final AgentInbound inbound = new AgentInbound(this);
        private final Outbound out = new Outbound();
        private final Map<String, RunningTask> tasks = new HashMap<>();
        private final Map<String, ArrayDeque<Update>> updates = new HashMap<>();
        private final Map<String, Long> nextSendNs = new HashMap<>();
        /** Tasks that ended here, remembered so a late resent RunTask cannot start them again. */
        private final java.util.LinkedHashSet<String> recentlyEnded = new java.util.LinkedHashSet<>();
        private int masterIndex;
        private String leader;
        private long nextRegisterNs;
        private long nextHeartbeatNs;
        private long lastHeardNs;
        private long nowNs;

        @Override
        public String roleName()
        {
            return "corral-agent";
        }

        @Override
        public int doWork()
        {
            nowNs = System.nanoTime();
            int work = subscription.poll(inbound, 32);
            Runnable r;
            while ((r = inbox.poll()) != null)
            {
                r.run();
                work++;
            }
            if (agentId == 0 || leader == null)
            {
                if (nowNs >= nextRegisterNs)
                {
                    nextRegisterNs = nowNs + REGISTER_RETRY_NS;
                    register();
                    work++;
                }
                return work;
            }
            if (nowNs - lastHeardNs > MISSED_ANSWERS * config.heartbeatNs())
            {
                LOG.warn("no answer from master {} for {} ms: looking for the leader", leader,
                    TimeUnit.NANOSECONDS.toMillis(nowNs - lastHeardNs));
                leader = null;
                nextRegisterNs = nowNs;
                return work;
            }
            if (nowNs >= nextHeartbeatNs)
            {
                nextHeartbeatNs = nowNs + config.heartbeatNs();
                out.heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId);
                out.offer(publications.get(leader), Outbound.length(out.heartbeat.encodedLength()));
            }
            work += sendDueUpdates();
            work += enforceKillDeadlines();
            return work;
        }

        /** Called after the duty thread has stopped: no other thread touches the tasks then. */
        void killAll()
        {
            for (final RunningTask task : tasks.values())
            {
                if (task.process != null && task.process.isAlive())
                {
                    task.process.descendants().forEach(ProcessHandle::destroyForcibly);
                    task.process.destroyForcibly();
                }
            }
        }

        private void register()
        {
            final String target = leader != null ? leader : masters.get(masterIndex++ % masters.size());
            out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId);
            final long[] res = config.resources();
            out.registerAgent.resources().cpus(res[0]).mem(res[1]).disk(res[2]).gpus(res[3]);
            out.registerAgent.hostname(config.hostname()).endpoint(endpoint);
            out.offer(publications.get(target), Outbound.length(out.registerAgent.encodedLength()));
            leader = null;
        }

        @Override
        public void onAgentRegistered(final AgentRegisteredDecoder m, final int sessionId)
        {
            final boolean first = agentId == 0;
            agentId = m.agentId();
            final long term = m.term();
            final String from = m.masterEndpoint();
            lastHeardNs = nowNs;
            if (from.equals(leader))
            {
                return;
            }
            leader = from;
            if (!publications.containsKey(leader))
            {
                publications.put(leader, aeron.addExclusivePublication(Protocol.channel(leader), Protocol.STREAM_ID));
            }
            LOG.info("{} agent {} with master {} (term {})", first ? "registered as" : "re-registered", agentId, leader,
                term);
            // Everything unacknowledged goes to the new leader at once.
            nextSendNs.replaceAll((k, v) -> 0L);
        }

        @Override
        public void onNotLeader(final NotLeaderDecoder m, final int sessionId)
        {
            final String hint = m.leaderEndpoint();
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
            final long frameworkId = m.frameworkId();
            final long[] res = { m.resources().cpus(), m.resources().mem(), m.resources().disk(), m.resources().gpus() };
            final String taskId = m.taskId();
            final String command = m.command();
            final String key = frameworkId + "/" + taskId;
            if (tasks.containsKey(key) || recentlyEnded.contains(key))
            {
                // The master resends RunTask until it hears STARTING: a repeat is not a new launch.
                return;
            }
            final String problem = taskProblem(key, command, res);
            if (problem != null)
            {
                queueUpdate(frameworkId, taskId, TaskState.ERROR, 0, problem);
                return;
            }
            final File sandbox = new File(config.workDir(), "frameworks/" + frameworkId + "/tasks/" +
                safe(taskId) + "/runs/0");
            final RunningTask task = new RunningTask(frameworkId, taskId, sandbox);
            tasks.put(key, task);
            queueUpdate(frameworkId, taskId, TaskState.STARTING, 0, "sandbox: " + sandbox.getAbsolutePath());
            try
            {
                if (!sandbox.isDirectory() && !sandbox.mkdirs())
                {
                    throw new IOException("cannot create sandbox " + sandbox);
                }
                final ProcessBuilder pb = new ProcessBuilder("sh", "-c", command)
                    .directory(sandbox)
                    .redirectOutput(new File(sandbox, "stdout"))
                    .redirectError(new File(sandbox, "stderr"));
                pb.environment().put("CORRAL_TASK_ID", taskId);
                pb.environment().put("CORRAL_FRAMEWORK_ID", Long.toString(frameworkId));
                pb.environment().put("CORRAL_AGENT_ID", Long.toString(agentId));
                pb.environment().put("CORRAL_SANDBOX", sandbox.getAbsolutePath());
                task.process = pb.start();
                queueUpdate(frameworkId, taskId, TaskState.RUNNING, 0, "pid " + task.process.pid());
                task.process.onExit().thenAccept(p -> inbox.offer(() -> onExit(key, p.exitValue())));
            }
            catch (final IOException ex)
            {
                task.ended = true;
                queueUpdate(frameworkId, taskId, TaskState.FAILED, -1, "could not start: " + ex.getMessage());
            }
        }

        private String taskProblem(final String key, final String command, final long[] res)
        {
            if (command.isBlank())
            {
                return "empty command";
            }
            final long[] total = config.resources();
            for (int i = 0; i < res.length; i++)
            {
                if (res[i] < 0 || res[i] > total[i])
                {
                    return "task asks for " + res[i] + " of resource " + i + " but the agent has " + total[i];
                }
            }
            return null;
        }

        private void onExit(final String key, final int exitValue)
        {
            final RunningTask task = tasks.get(key);
            if (task == null || task.ended)
            {
                return;
            }
            task.ended = true;
            if (task.killRequested)
            {
                queueUpdate(task.frameworkId, task.taskId, TaskState.KILLED, exitValue, "killed on request");
            }
            else if (exitValue == 0)
            {
                queueUpdate(task.frameworkId, task.taskId, TaskState.FINISHED, 0, "exited 0");
            }
            else
            {
                queueUpdate(task.frameworkId, task.taskId, TaskState.FAILED, exitValue,
                    exitValue > 128 ? "killed by signal " + (exitValue - 128) : "exited with code " + exitValue);
            }
        }

        @Override
        public void onKillTask(final KillTaskDecoder m, final int sessionId)
        {
            final long frameworkId = m.frameworkId();
            final String taskId = m.taskId();
            final RunningTask task = tasks.get(frameworkId + "/" + taskId);
            if (task == null || task.ended || task.process == null)
            {
                return;
            }
            if (!task.killRequested)
            {
                task.killRequested = true;
                task.killDeadlineNs = nowNs + config.killGraceNs();
                task.process.descendants().forEach(ProcessHandle::destroy);
                task.process.destroy();
                LOG.info("SIGTERM to task {} (pid {})", taskId, task.process.pid());
            }
        }

        private int enforceKillDeadlines()
        {
            int work = 0;
            for (final RunningTask task : tasks.values())
            {
                if (task.killRequested && !task.ended && nowNs >= task.killDeadlineNs)
                {
                    task.process.descendants().forEach(ProcessHandle::destroyForcibly);
                    task.process.destroyForcibly();
                    task.killDeadlineNs = Long.MAX_VALUE;
                    LOG.info("SIGKILL to task {} after the grace period", task.taskId);
                    work++;
                }
            }
            return work;
        }

        private void queueUpdate(final long frameworkId, final String taskId, final TaskState state, final int exitCode,
            final String message)
        {
            final long[] uuid = Protocol.uuid();
            final String key = frameworkId + "/" + taskId;
            updates.computeIfAbsent(key, k -> new ArrayDeque<>()).add(new Update(frameworkId, taskId, uuid[0], uuid[1],
                state, exitCode, System.currentTimeMillis(), message));
            nextSendNs.putIfAbsent(key, 0L);
        }

        private int sendDueUpdates()
        {
            int work = 0;
            final Iterator<Map.Entry<String, ArrayDeque<Update>>> it = updates.entrySet().iterator();
            while (it.hasNext())
            {
                final Map.Entry<String, ArrayDeque<Update>> e = it.next();
                final Update head = e.getValue().peek();
                if (head == null)
                {
                    it.remove();
                    nextSendNs.remove(e.getKey());
                    continue;
                }
                if (nowNs < nextSendNs.getOrDefault(e.getKey(), 0L))
                {
                    continue;
                }
                out.statusUpdate.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId)
                    .frameworkId(head.frameworkId()).uuidMsb(head.uuidMsb()).uuidLsb(head.uuidLsb()).state(head.state())
                    .exitCode(head.exitCode()).timestampMs(head.timestampMs()).taskId(head.taskId())
                    .message(head.message());
                out.offer(publications.get(leader), Outbound.length(out.statusUpdate.encodedLength()));
                nextSendNs.put(e.getKey(), nowNs + STATUS_RETRY_NS);
                work++;
            }
            return work;
        }

        @Override
        public void onStatusAck(final StatusAckDecoder m, final int sessionId)
        {
            final long frameworkId = m.frameworkId();
            final long msb = m.uuidMsb();
            final long lsb = m.uuidLsb();
            final String key = frameworkId + "/" + m.taskId();
            final ArrayDeque<Update> queue = updates.get(key);
            if (queue != null && !queue.isEmpty() && queue.peek().uuidMsb() == msb && queue.peek().uuidLsb() == lsb)
            {
                queue.poll();
                nextSendNs.put(key, 0L);
                final RunningTask task = tasks.get(key);
                if (queue.isEmpty() && task != null && task.ended)
                {
                    tasks.remove(key);
                    recentlyEnded.add(key);
                    if (recentlyEnded.size() > 100_000)
                    {
                        recentlyEnded.remove(recentlyEnded.iterator().next());
                    }
                }
            }
        }

        @Override
        public void onErrorReply(final ErrorReplyDecoder m, final int sessionId)
        {
            final ErrorCode code = m.code();
            final String message = m.message();
            LOG.warn("master refused: {} {}", code, message);
            if (code == ErrorCode.NOT_REGISTERED)
            {
                leader = null;
                nextRegisterNs = nowNs;
            }
        }

        @Override
        public void onBadFrame(final int sessionId, final int templateId, final String problem)
        {
            LOG.warn("agent: bad frame (template {}) from session {}: {}", templateId, sessionId, problem);
        }
    }

    private static String safe(final String taskId)
    {
        return taskId.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    static String defaultHostname()
    {
        try
        {
            return InetAddress.getLocalHost().getHostName();
        }
        catch (final IOException ex)
        {
            return "localhost";
        }
    }

    static List<String> split(final String masters)
    {
        final List<String> out = new ArrayList<>();
        for (final String m : masters.split(","))
        {
            if (!m.isBlank())
            {
                Protocol.port(m.trim());
                out.add(m.trim());
            }
        }
        return out;
    }
}
