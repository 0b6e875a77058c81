package io.corral.agent;

/** A task the agent runs: its checkpointed record, its process, and the agent's timers for it. */
final class RunningTask
{
    final TaskRecord record;
    ProcessHandle process;
    long killDeadlineNs = Long.MAX_VALUE;
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
