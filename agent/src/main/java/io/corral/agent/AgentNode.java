package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.corral.codec.Backoff;
import io.corral.codec.MediaDrivers;
import io.corral.codec.Protocol;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent daemon: registers with the leading master, heartbeats, runs each task as a real OS
 * process in its own sandbox, and reports task states as updates retried until acknowledged.
 * Its id, its tasks and their unacknowledged updates are checkpointed (Chronicle Map): an agent
 * killed with -9 and started again on the same work directory re-adopts the tasks still running
 * and delivers every pending update. One duty thread owns all of it; process exits arrive
 * through a queue.
 */
public final class AgentNode implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(AgentNode.class);
    /** Registration retries: 0.5 s doubling to 8 s, jittered ({@link Backoff}); reset when answered. */
    static final long REGISTER_RETRY_FIRST_NS = TimeUnit.MILLISECONDS.toNanos(500);
    static final long REGISTER_RETRY_MAX_NS = TimeUnit.SECONDS.toNanos(8);
    /** An unacknowledged status update is resent after 1 s, then 2 s, 4 s, ... at most 30 s apart. */
    static final long STATUS_RETRY_FIRST_NS = TimeUnit.SECONDS.toNanos(1);
    static final long STATUS_RETRY_MAX_NS = TimeUnit.SECONDS.toNanos(30);
    /** Heartbeats without an answer before the agent looks for a new leader. */
    static final int MISSED_ANSWERS = 5;

    private final AgentConfig config;
    private final Aeron aeron;
    private final Subscription subscription;
    private final String endpoint;
    private final List<String> masters;
    private final Map<String, ExclusivePublication> publications = new HashMap<>();
    /** Sessions with the masters (sealed messages) when the agent has a credential; else a pass-through. */
    private final io.corral.codec.Seal seal;
    private final ManyToOneConcurrentLinkedQueue<Runnable> inbox = new ManyToOneConcurrentLinkedQueue<>();
    private final AgentCheckpoint checkpoint;
    private final Isolator isolator;
    private final TaskLauncher launcher;
    private final SandboxHttp http;
    private final AgentDuty duty;
    private final AgentRunner runner;

    public AgentNode(final AgentConfig config)
    {
        config.conclude();
        this.config = config;
        this.masters = config.masters();
        this.seal = config.credential() == null ? io.corral.codec.Seal.insecure() :
            io.corral.codec.Seal.of(config.credential(), reason ->
            {
                LOG.error("the master refused this agent's credential: {}", reason);
                refused("NOT_AUTHENTICATED: " + reason);
            }, this::registerNow);
        this.seal.bundling(true); // flushed at the end of each duty cycle
        this.isolator = Isolator.choose(config.isolation(), Isolator.agentKey(config.workDir()));
        this.launcher = new TaskLauncher(config, isolator);
        this.checkpoint = new AgentCheckpoint(config.workDir());
        try
        {
            this.http = new SandboxHttp(config.bindHost(), config.workDir(), config.credential(), config.httpTls());
        }
        catch (final IOException ex)
        {
            checkpoint.close();
            throw new java.io.UncheckedIOException("cannot serve sandboxes over HTTP on " + config.bindHost(), ex);
        }
        aeron = MediaDrivers.connect();
        subscription = aeron.addSubscription(Protocol.channel(config.bindHost() + ":0"), Protocol.STREAM_ID);
        String resolved = null;
        for (int i = 0; i < 100_000 && resolved == null; i++)
        {
            resolved = subscription.resolvedEndpoint();
            if (resolved == null)
            {
                Thread.onSpinWait();
            }
        }
        if (resolved == null)
        {
            close(false);
            throw new IllegalStateException("could not bind an Aeron endpoint on " + config.bindHost());
        }
        endpoint = resolved;
        seal.endpoint(endpoint);
        for (final String master : masters)
        {
            publications.put(master, aeron.addExclusivePublication(Protocol.channel(master), Protocol.STREAM_ID));
        }
        duty = new AgentDuty(config, aeron, subscription, endpoint, publications, seal, inbox, checkpoint, isolator,
            launcher, http);
        final int recovered = duty.recover();
        runner = new AgentRunner(new SleepingMillisIdleStrategy(1),
            io.corral.codec.DutyErrors.logOrExit(LOG, "agent", () -> { }), null, duty);
        AgentRunner.startOnThread(runner);
        LOG.info("agent on {} offering {} with work dir {}{}; isolation: {}; tasks run as {}", endpoint,
            config.describeResources(), config.workDir(), duty.agentId() == 0 ? "" : " (agent " + duty.agentId() + " restarting, " +
                recovered + " task(s) from its checkpoint)", isolator.describe(), config.taskUser() != null ?
                config.taskUser().name() + " (uid " + config.taskUser().uid() + ")" : TaskUser.currentUid() == 0 ?
                "root, the agent's user (--task-user USER runs them unprivileged)" : "the agent's user");
    }

    /** On the duty thread (the seal's callbacks run there), when a master refused the credential. */
    private void refused(final String why)
    {
        duty.refused(why);
    }

    /** On the duty thread, when a session with the master at {@code publication} is made. */
    private void registerNow(final io.aeron.Publication publication)
    {
        duty.registerNow(publication);
    }

    public String endpoint()
    {
        return endpoint;
    }

    /** The id the master gave this agent, or 0 before registration. */
    public long agentId()
    {
        return duty.agentId();
    }

    /** The last request a master refused and why, e.g. a registration naming a kind it does not know. */
    public String lastRefusal()
    {
        return duty.lastRefusal();
    }

    public File workDir()
    {
        return config.workDir();
    }

    /** Where this agent serves its task sandboxes over HTTP (host:port). */
    public String httpEndpoint()
    {
        return http.endpoint();
    }

    /** Status updates this agent holds that no framework has acknowledged yet (as of its last cycle). */
    public int unacknowledgedUpdates()
    {
        return duty.unacknowledgedUpdates();
    }

    public boolean isRegistered()
    {
        return duty.agentId() != 0 && duty.leader() != null;
    }

    /**
     * Stops the agent and kills its tasks' process trees, so nothing it started outlives it (an
     * agent that is killed instead leaves them running, to be re-adopted when it restarts).
     */
    @Override
    public void close()
    {
        close(true);
    }

    private void close(final boolean killTasks)
    {
        if (runner != null)
        {
            runner.close();
        }
        if (killTasks && duty != null)
        {
            duty.killAll();
        }
        publications.values().forEach(ExclusivePublication::close);
        subscription.close();
        MediaDrivers.release(aeron);
        checkpoint.close();
        http.close();
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
