package io.corral.agent;

/** A task the agent runs: its checkpointed record, its process, and the agent's timers for it. */
final class RunningTask
{
    final TaskRecord record;
    ProcessHandle process;
    long killDeadlineNs = Long.MAX_VALUE;
    /** SIGTERM reached the command (a kill right after start may come before the wrapper forked it). */
    boolean termDelivered;
    ProcessHandle check;
    long checkStartedNs;
    boolean checkTimedOut;
    long nextCheckNs;
    int healthFailures;

    RunningTask(final TaskRecord record)
    {
        this.record = record;
    }
}
