package io.corral.master;

import java.util.function.Supplier;

/**
 * What operators and frameworks ask of the leader over HTTP (kill a task, read a sandbox, set the
 * ACL, configure a role): each checked against the ACL for the principal that asks (null: a
 * master run without credentials, where the caller is trusted), then done, or refused with a
 * reason that names the rule that would allow it. Runs on the duty thread; the leader's duties
 * are asked for at each call (null while this master does not lead).
 */
final class OperatorCommands
{
    private final MasterState state;
    private final MasterConfig config;
    /** Authenticated sessions (null without credentials): a sandbox token is signed with the agent's secret. */
    private final Sessions sessions;
    private final RecordWriter records;
    private final RaftProposer proposer;
    private final Supplier<LeaderDuties> duties;
    private final Supplier<String> notLeader;

    OperatorCommands(final MasterState state, final MasterConfig config, final Sessions sessions,
        final RecordWriter records, final RaftProposer proposer, final Supplier<LeaderDuties> duties,
        final Supplier<String> notLeader)
    {
        this.state = state;
        this.config = config;
        this.sessions = sessions;
        this.records = records;
        this.proposer = proposer;
        this.duties = duties;
        this.notLeader = notLeader;
    }

    void killTask(final long frameworkId, final String taskId, final String principal,
        final java.util.concurrent.CompletableFuture<String> result, final long nowNs)
    {
        if (duties.get() == null)
        {
            result.complete(notLeader.get());
            return;
        }
        final MasterState.Framework framework = state.framework(frameworkId);
        if (principal != null && framework != null && !principal.equals(framework.principal()) &&
            !state.acl().allows(Acl.Action.KILL, principal, framework.principal()))
        {
            result.complete("not permitted: framework " + frameworkId + " belongs to principal '" +
                framework.principal() + "', not to '" + principal + "'; use that principal's credential (or " +
                "an ACL rule 'kill " + principal + " " + framework.principal() + "')");
            return;
        }
        result.complete(duties.get().onKill(frameworkId, taskId, null, nowNs));
    }

    MasterNode.SandboxGrant sandbox(final long frameworkId, final String taskId, final String principal)
    {
        if (duties.get() == null)
        {
            return MasterNode.SandboxGrant.refused(notLeader.get());
        }
        final MasterState.Task task = state.task(frameworkId, taskId);
        if (task == null)
        {
            return MasterNode.SandboxGrant.refused("no task '" + taskId + "' in framework " + frameworkId);
        }
        final String owner = task.principal; // its framework's, also after the framework is gone
        if (principal != null && !principal.equals(owner) &&
            !state.acl().allows(Acl.Action.READ_SANDBOXES, principal, owner))
        {
            return MasterNode.SandboxGrant.refused("not permitted: framework " + frameworkId + " belongs to principal '" +
                owner + "', not to '" + principal + "'; use that principal's credential (or an ACL rule " +
                "'read-sandboxes " + principal + " " + owner + "')");
        }
        final MasterState.Agent agent = state.agent(task.agentId);
        if (agent == null || agent.httpEndpoint().isEmpty())
        {
            return MasterNode.SandboxGrant.refused("no task '" + taskId + "' sandbox to read: its agent " + task.agentId +
                " is gone");
        }
        if (sessions == null)
        {
            return new MasterNode.SandboxGrant(agent.httpEndpoint(), null, 0, null);
        }
        final String agentPrincipal = sessions.principalAt(agent.endpoint());
        final byte[] secret = agentPrincipal == null ? null : config.credentials().secretOf(agentPrincipal);
        if (secret == null)
        {
            return MasterNode.SandboxGrant.refused("unavailable: agent " + task.agentId + " has no session with this leader " +
                "yet (it reconnects within seconds of a leader change); try again");
        }
        final long expires = System.currentTimeMillis() / 1000 + io.corral.codec.HttpAuth.SANDBOX_TTL_SECONDS;
        return new MasterNode.SandboxGrant(agent.httpEndpoint(), io.corral.codec.HttpAuth.sandboxToken(secret, frameworkId,
            taskId, principal == null ? "" : principal, expires), expires, null);
    }

    void setAcl(final String rules, final String principal,
        final java.util.concurrent.CompletableFuture<String> result)
    {
        if (duties.get() == null)
        {
            result.complete(notLeader.get());
            return;
        }
        if (principal != null && !state.acl().allows(Acl.Action.SET_ACLS, principal))
        {
            result.complete("not permitted: principal '" + principal + "' may not set ACLs (the ACL allows " +
                state.acl().principalsFor(Acl.Action.SET_ACLS) + ")");
            return;
        }
        final Acl acl;
        try
        {
            acl = Acl.parse(rules);
        }
        catch (final IllegalArgumentException ex)
        {
            result.complete("invalid rules: " + ex.getMessage());
            return;
        }
        if (principal != null && !acl.withOperators(state.acl().operators()).allows(Acl.Action.SET_ACLS, principal))
        {
            result.complete("invalid rules: they would not let '" + principal + "' set ACLs again; keep a line " +
                "'set-acls " + principal + "'");
            return;
        }
        records.aclSet(rules);
        commitRecord(result);
    }

    void configureRole(final MasterState.Role role, final String principal,
        final java.util.concurrent.CompletableFuture<String> result)
    {
        if (duties.get() == null)
        {
            result.complete(notLeader.get());
            return;
        }
        if (principal != null && !state.acl().allows(Acl.Action.SET_QUOTAS, principal))
        {
            result.complete("not permitted: principal '" + principal + "' may not set quotas (the ACL allows " +
                state.acl().principalsFor(Acl.Action.SET_QUOTAS) + ")");
            return;
        }
        final Result decided = duties.get().configureRole(role);
        if (!decided.proposes())
        {
            result.complete(decided.reason());
            return;
        }
        commitRecord(result);
    }

    /**
     * Sends the record just written to Raft on its own (an operator's change, not part of a
     * cycle's batch); {@code result} completes with null once committed, or why not.
     */
    private void commitRecord(final java.util.concurrent.CompletableFuture<String> result)
    {
        proposer.propose(records.buffer(), records.length(), result);
    }

}
