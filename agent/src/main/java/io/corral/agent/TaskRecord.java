package io.corral.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * What the agent checkpoints about one task: enough to re-adopt its process after the agent
 * restarts (pid plus the process's start time, so a reused pid is not mistaken for it) and to
 * deliver every status update that was not yet acknowledged.
 */
public final class TaskRecord
{
    /** A status update waiting for its acknowledgement; a task's updates go out in order. */
    public static final class Update
    {
        public long uuidMsb;
        public long uuidLsb;
        public String state;
        public int exitCode;
        public long timestampMs;
        public String message;
    }

    public long frameworkId;
    public String taskId;
    public String command;
    /** cpus (milli), mem, disk (MiB), gpus. */
    public long[] resources;
    /** Custom kinds as the wire carries them ("ssd:100;fpga:1"). */
    public String customResources = "";
    /** NAME=value lines. */
    public String env = "";
    /** 0: the agent's default grace between SIGTERM and SIGKILL. */
    public long killGraceMs;
    /** Health check (interval 0: none). */
    public String healthCommand = "";
    public long healthIntervalMs;
    public long healthTimeoutMs;
    public int healthMaxFailures;
    /** Killed because its health check failed too often. */
    public boolean unhealthy;
    public String sandbox;
    /**
     * Where the wrapper writes the command's exit status: outside the sandbox, in a directory tasks
     * cannot write ({@link TaskLauncher#RUN_DIR}); null in checkpoints of older agents (then
     * {@code sandbox/.exit_status}).
     */
    public String exitStatusFile;
    public long pid;
    public long startMillis;
    public boolean killRequested;
    /** Killed by the agent's memory watch (the rss isolator). */
    public boolean memoryLimit;
    public boolean ended;
    public List<Update> pending = new ArrayList<>();
    /** The latest state this agent queued for the task (null in checkpoints of older agents). */
    public String state;
    /** How many of {@code pending}, from the head, went out and wait for their acknowledgements (not checkpointed). */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public transient int sent;

    String key()
    {
        return frameworkId + "/" + taskId;
    }
}
