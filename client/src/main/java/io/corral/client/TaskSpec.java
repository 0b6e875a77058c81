package io.corral.client;

/** A task to launch from an offer: an id unique within the framework, a shell command, and its resources. */
public record TaskSpec(String taskId, String command, Resources resources)
{
    public TaskSpec
    {
        if (taskId == null || taskId.isBlank())
        {
            throw new IllegalArgumentException("task id must not be empty");
        }
        if (command == null || command.isBlank())
        {
            throw new IllegalArgumentException("task '" + taskId + "' has an empty command");
        }
        if (resources == null)
        {
            throw new IllegalArgumentException("task '" + taskId + "' has no resources");
        }
    }
}
