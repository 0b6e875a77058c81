package io.corral.master;

import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.FrameworkAddedDecoder;

/**
 * The frameworks part of the replicated state (see {@link AgentControl}): {@link #subscribe},
 * {@link #remove} decide; {@link #replay} writes. Owned by the duty thread.
 */
final class FrameworkControl extends IdTable<MasterState.Framework>
{
    /** A role name as Mesos allows it. */
    static final java.util.regex.Pattern ROLE_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");


    FrameworkControl()
    {
        super("framework");
    }

    @Override
    protected long idOf(final MasterState.Framework framework)
    {
        return framework.id();
    }

    @Override
    protected String keyOf(final MasterState.Framework framework)
    {
        return framework.endpoint();
    }

    // ------------------------------------------------------------------ commands

    /**
     * The longest failover timeout and offer filter a master keeps (a year): a longer one from a
     * framework is cut to this (Mesos takes any double; multiplied into nanoseconds, huge ones
     * overflowed and removed the framework at once, or kept declined resources for good).
     */
    static final long MAX_DURATION_MS = 365L * 24 * 3600 * 1000;

    /** A duration a framework sent, in ms, as the master keeps it: 0 to {@link #MAX_DURATION_MS}. */
    static long clampMs(final long ms)
    {
        return Math.max(0, Math.min(MAX_DURATION_MS, ms));
    }

    /**
     * A framework subscribes, or subscribes again (which is also its heartbeat):
     * {@link Result#UNCHANGED} if the state holds it exactly, else the {@code FrameworkAdded}
     * record under its own id, that of a framework from the same endpoint, or a new one.
     */
    Result subscribe(final long claimedId, final String name, final String role, final String endpoint,
        final String principal, final long failoverTimeoutMs, final AgentControl.IdSource ids, final long nowMs,
        final RecordWriter records)
    {
        final MasterState.Framework known = claimedId == 0 ? null : get(claimedId);
        if (known != null && known.endpoint().equals(endpoint) && known.role().equals(role) &&
            known.name().equals(name) && known.failoverTimeoutMs() == failoverTimeoutMs &&
            known.principal().equals(principal))
        {
            // Checked first: a heartbeat repeats what was validated when it was admitted.
            return Result.UNCHANGED;
        }
        final String problem = roleListProblem(role);
        if (problem != null)
        {
            return Result.refused(ErrorCode.MALFORMED, problem);
        }
        if (failoverTimeoutMs < 0)
        {
            return Result.refused(ErrorCode.MALFORMED, "failover timeout must not be negative");
        }
        final long id = known != null ? claimedId : idByKey(endpoint, ids);
        // The framework this subscription would become (claimed, or subscribed from the same endpoint)
        // stays its principal's.
        final MasterState.Framework target = known != null ? known : get(id);
        if (target != null && !target.principal().equals(principal))
        {
            return Result.refused(ErrorCode.NOT_PERMITTED, "framework " + id + " belongs to principal '" +
                target.principal() + "', not '" + principal + "'");
        }
        return Result.propose(records.frameworkAdded(id, nowMs, failoverTimeoutMs, name, role, endpoint, principal));
    }

    /** Why a comma-separated role list is not valid, or null. */
    static String roleListProblem(final String roles)
    {
        final java.util.Set<String> seen = new java.util.HashSet<>();
        for (final String r : roles.split(",", -1))
        {
            if (!ROLE_NAME.matcher(r.trim()).matches() || !seen.add(r.trim()))
            {
                return "role '" + r + "' is invalid or repeated: use letters, digits, '_', '.', '-'";
            }
        }
        return null;
    }

    /** A framework leaves (teardown) or is given up on (failover timeout): its tasks are killed when this commits. */
    Result remove(final long frameworkId, final long nowMs, final RecordWriter records)
    {
        if (!contains(frameworkId))
        {
            return Result.refused(ErrorCode.NOT_REGISTERED, "framework " + frameworkId + " is not subscribed: " +
                "subscribe first");
        }
        return Result.propose(records.frameworkRemoved(frameworkId, nowMs));
    }

    // ------------------------------------------------------------------ replay (the only writers)

    /**
     * Adds or replaces a framework; a record that would hand a live framework's id to another
     * principal (a leader never proposes one) changes nothing and is a BadRecord.
     */
    MasterEvent replay(final FrameworkAddedDecoder r, final long index)
    {
        final long id = r.frameworkId();
        final long at = r.timestampMs();
        final long failoverTimeoutMs = r.failoverTimeoutMs();
        final String name = r.name();
        final String role = r.role();
        final String endpoint = r.endpoint();
        final String principal = r.principal();
        final MasterState.Framework framework = new MasterState.Framework(id, name, role, endpoint, at,
            failoverTimeoutMs, principal);
        final MasterState.Framework known = get(id);
        if (known != null && !known.principal().equals(principal))
        {
            return new MasterEvent.BadRecord(index, "framework " + id + " belongs to principal '" + known.principal() +
                "'; a record giving its id to '" + principal + "' is not applied");
        }
        final MasterState.Framework before = put(id, framework);
        return new MasterEvent.FrameworkAdded(index, framework, before != null);
    }

    boolean replayRemoved(final long frameworkId)
    {
        return remove(frameworkId);
    }
}
