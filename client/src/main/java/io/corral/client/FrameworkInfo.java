package io.corral.client;

/**
 * Who the framework is: a name, the role it asks resources in, and (to re-register after a
 * restart) the id the master gave it earlier, or 0.
 */
public record FrameworkInfo(String name, String role, long frameworkId)
{
    public FrameworkInfo
    {
        if (name == null || name.isBlank())
        {
            throw new IllegalArgumentException("framework name must not be empty");
        }
        if (role == null || !role.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"))
        {
            throw new IllegalArgumentException("role '" + role + "' is invalid: use letters, digits, '_', '.', '-'");
        }
    }

    public FrameworkInfo(final String name, final String role)
    {
        this(name, role, 0);
    }
}
