package io.corral.client;

/** States of a task, as in Mesos. FINISHED, FAILED, KILLED, LOST and ERROR are terminal. */
public enum TaskState
{
    STAGING, STARTING, RUNNING, FINISHED, FAILED, KILLED, LOST, ERROR;

    public boolean isTerminal()
    {
        return ordinal() >= FINISHED.ordinal();
    }
}
