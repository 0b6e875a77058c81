package io.corral.client;

/** A state change of one of this framework's tasks. */
public record TaskStatus(String taskId, long agentId, TaskState state, int exitCode, String message, long timestampMs,
    long uuidMsb, long uuidLsb)
{
}
