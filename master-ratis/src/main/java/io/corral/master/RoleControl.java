package io.corral.master;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.RoleConfiguredDecoder;

/** Roles' weights and quotas in the replicated state (see {@link AgentControl}). Owned by the duty thread. */
final class RoleControl
{
    private final ResourceVectors vectors;
    private final TreeMap<String, MasterState.Role> roles = new TreeMap<>();

    RoleControl(final ResourceVectors vectors)
    {
        this.vectors = vectors;
    }

    /**
     * An operator sets a role's weight and quota. The name and weight are checked here; whether
     * the guarantees fit the cluster is the leader's allocator's to say, before this is called.
     */
    Result configure(final MasterState.Role role, final RecordWriter records)
    {
        if (!FrameworkControl.ROLE_NAME.matcher(role.name()).matches())
        {
            return Result.refused(ErrorCode.MALFORMED, "role name '" + role.name() + "' is invalid: use letters, " +
                "digits, '_', '.', '-'");
        }
        if (!(role.weight() > 0) || Double.isInfinite(role.weight()))
        {
            return Result.refused(ErrorCode.MALFORMED, "weight must be a positive number");
        }
        return Result.propose(records.roleConfigured(role));
    }

    MasterEvent.RoleConfigured replay(final RoleConfiguredDecoder r, final long index)
    {
        final double weight = r.weight();
        final String name = r.role();
        final long[] guarantee = vectors.readCommitted(r.quotaGuarantee(), r.customGuarantee(), 0);
        final long[] limit = vectors.readCommitted(r.quotaLimit(), r.customLimit(), Long.MAX_VALUE);
        final MasterState.Role role = new MasterState.Role(name, weight, guarantee, limit);
        roles.put(name, role);
        return new MasterEvent.RoleConfigured(index, role);
    }

    void clear()
    {
        roles.clear();
    }

    List<MasterState.Role> all()
    {
        return new ArrayList<>(roles.values());
    }
}
