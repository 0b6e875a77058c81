package io.corral.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class AclTest
{
    @Test
    void rulesGrantWhatTheyNameAndNothingElse()
    {
        final Acl acl = Acl.parse("""
            register-agents agents   # the agents' principal
            subscribe ops *
            subscribe dev default,batch
            kill oncall *
            set-quotas ops
            set-acls ops
            """);
        assertTrue(acl.allows(Acl.Action.REGISTER_AGENTS, "agents"));
        assertFalse(acl.allows(Acl.Action.REGISTER_AGENTS, "ops"));
        assertTrue(acl.allows(Acl.Action.SUBSCRIBE, "ops", "anything"));
        assertTrue(acl.allows(Acl.Action.SUBSCRIBE, "dev", "batch"));
        assertFalse(acl.allows(Acl.Action.SUBSCRIBE, "dev", "prod"));
        assertFalse(acl.allows(Acl.Action.SUBSCRIBE, "stranger", "default"));
        assertEquals(List.of("default", "batch"), acl.objectsOf(Acl.Action.SUBSCRIBE, "dev"));
        assertTrue(acl.allows(Acl.Action.KILL, "oncall", "dev"));
        assertFalse(acl.allows(Acl.Action.KILL, "dev", "ops"));
        assertFalse(acl.allows(Acl.Action.SET_ACLS, "dev"));
    }

    @Test
    void theDefaultLetsOnlyTheAgentsPrincipalRegisterAgents()
    {
        assertTrue(Acl.DEFAULT.allows(Acl.Action.REGISTER_AGENTS, "agents"));
        assertFalse(Acl.DEFAULT.allows(Acl.Action.REGISTER_AGENTS, "ops"));
        assertTrue(Acl.DEFAULT.allows(Acl.Action.SUBSCRIBE, "ops", "any-role"));
        assertFalse(Acl.DEFAULT.allows(Acl.Action.KILL, "ops", "dev"), "others' tasks only by a rule");
    }

    @Test
    void theDefaultIsLeastPrivilegeAndOnlyOperatorsAdminister()
    {
        final Acl acl = Acl.DEFAULT.withOperators(java.util.Set.of("root-ops"));
        for (final String principal : List.of("agents", "tenant"))
        {
            assertFalse(acl.allows(Acl.Action.SET_ACLS, principal), principal);
            assertFalse(acl.allows(Acl.Action.SET_QUOTAS, principal), principal);
            assertFalse(acl.allows(Acl.Action.KILL, principal, "someone"), principal);
            assertFalse(acl.allows(Acl.Action.READ_SANDBOXES, principal, "someone"), principal);
        }
        // The agents' credential sits on every worker: '*' does not make it a framework or a reader.
        assertFalse(acl.allows(Acl.Action.SUBSCRIBE, "agents", "default"));
        assertFalse(acl.allows(Acl.Action.READ_STATE, "agents"));
        assertEquals(List.of(), acl.objectsOf(Acl.Action.SUBSCRIBE, "agents"));
        assertTrue(acl.allows(Acl.Action.SUBSCRIBE, "tenant", "default"));
        assertTrue(acl.allows(Acl.Action.READ_STATE, "tenant"));
        // An operator may do everything; a rule that names the agents' principal still counts.
        for (final Acl.Action action : Acl.Action.values())
        {
            assertTrue(acl.allows(action, "root-ops") && acl.allows(action, "root-ops", "anyone"), action.word);
        }
        assertEquals(List.of("root-ops"), acl.principalsFor(Acl.Action.SET_ACLS));
        assertTrue(Acl.parse("register-agents agents\nsubscribe agents batch\n").allows(Acl.Action.SUBSCRIBE,
            "agents", "batch"));
    }

    @Test
    void aBadLineNamesItselfAndTheFix()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Acl.parse("set-acls ops\nlaunch ops\n"))
            .getMessage().startsWith("line 2: unknown action 'launch'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Acl.parse("subscribe ops"))
            .getMessage().contains("subscribe PRINCIPAL ROLE"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Acl.parse("set-quotas bad/name"))
            .getMessage().contains("not a principal name"));
    }

    @Test
    void rulesAreReplicatedStateThatSnapshotsKeep()
    {
        final MasterState state = new MasterState();
        final RecordWriter records = new RecordWriter(state.vectors());
        final int length = records.aclSet("register-agents a1\nset-acls ops\n");
        final List<MasterEvent> events = state.apply(records.buffer(), 0, length, 1);
        assertTrue(events.get(0) instanceof MasterEvent.AclSet, events.toString());
        assertTrue(state.acl().allows(Acl.Action.REGISTER_AGENTS, "a1"));

        final MasterState restored = new MasterState();
        restored.restore(state.snapshotBytes(), 1);
        assertEquals(state.acl().text(), restored.acl().text());
        assertFalse(restored.acl().allows(Acl.Action.REGISTER_AGENTS, "agents"));
    }
}
