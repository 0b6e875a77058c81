package io.corral.client;

/**
 * Who the framework is: a name, the role it asks resources in, (to re-register after a restart)
 * the id the master gave it earlier or 0, and how long its tasks outlive a disconnection.
 */
public record FrameworkInfo(String name, String role, long frameworkId, long failoverTimeoutMs, String principal)
{
    public FrameworkInfo
    {
        principal = principal == null ? "" : principal;
        if (failoverTimeoutMs < 0)
        {
            throw new IllegalArgumentException("failover timeout must not be negative, got " + failoverTimeoutMs);
        }
        if (name == null || name.isBlank())
        {
            throw new IllegalArgumentException("framework name must not be empty");
        }
        if (role == null)
        {
            throw new IllegalArgumentException("a framework needs at least one role");
        }
        final java.util.Set<String> seen = new java.util.HashSet<>();
        for (final String r : role.split(",", -1))
        {
            if (!r.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}") || !seen.add(r))
            {
                throw new IllegalArgumentException("role '" + r + "' is invalid or repeated: use letters, digits, " +
                    "'_', '.', '-'");
            }
        }
    }

    public FrameworkInfo(final String name, final String role)
    {
        this(name, role, 0, 0, "");
    }

    /** Who runs the framework (shown to operators; Corral does not authenticate it yet). */
    public FrameworkInfo withPrincipal(final String who)
    {
        return new FrameworkInfo(name, role, frameworkId, failoverTimeoutMs, who);
    }

    /** A framework that takes offers in several roles. */
    public static FrameworkInfo inRoles(final String name, final String... roles)
    {
        return new FrameworkInfo(name, String.join(",", roles));
    }

    /** The roles, in the order given. */
    public java.util.List<String> roles()
    {
        return java.util.List.of(role.split(","));
    }

    /** The same framework, re-registering under the id it was given (its tasks keep running). */
    public FrameworkInfo withId(final long id)
    {
        return new FrameworkInfo(name, role, id, failoverTimeoutMs, principal);
    }

    /** How long the master keeps the framework's tasks after it disconnects (Mesos's failover_timeout). */
    public FrameworkInfo withFailoverTimeoutMs(final long ms)
    {
        return new FrameworkInfo(name, role, frameworkId, ms, principal);
    }
}
