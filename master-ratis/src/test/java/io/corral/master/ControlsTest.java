package io.corral.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.TaskState;
import org.junit.jupiter.api.Test;

/** Each Control's commands: request → result (record or reason) → replay through MasterState → state. */
class ControlsTest
{
    private final MasterState state = new MasterState();
    private final RecordWriter records = new RecordWriter(state.vectors());
    private final AgentControl.IdSource ids = key -> 100 + key.length();
    private long index;

    /** The secret every agent of these tests registers with. */
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    private List<MasterEvent> commit(final Result result)
    {
        assertTrue(result.proposes(), "a record to propose: " + result);
        return state.apply(records.buffer(), 0, records.length(), ++index);
    }

    private long admitAgent(final String endpoint)
    {
        final Result r = state.agentControl().register(0, "h", endpoint, "rack:a", "", new long[] { 2000, 1024, 0, 0 },
            SECRET, ids, 5, records);
        final MasterEvent.AgentAdmitted admitted = assertInstanceOf(MasterEvent.AgentAdmitted.class, commit(r).get(0));
        return admitted.agent().id();
    }

    private long subscribe(final String endpoint)
    {
        final Result r = state.frameworkControl().subscribe(0, "fw", "web", endpoint, "", 1000, ids, 6, records);
        return assertInstanceOf(MasterEvent.FrameworkAdded.class, commit(r).get(0)).framework().id();
    }

    private void launch(final long agentId, final long frameworkId, final String taskId)
    {
        commit(state.taskControl().launch(List.of(new TaskControl.Launch(frameworkId, agentId,
            new long[] { 500, 128, 0, 0 }, taskId, "true", new long[4], "", "", "web")), 7, records));
    }

    @Test
    void agentRegistrationRoundTrip()
    {
        final AgentControl agents = state.agentControl();
        final long id = admitAgent("127.0.0.1:1");
        assertEquals(100 + "agent@h@127.0.0.1:1".length(), id, "a new agent gets the id the leader chose");
        assertEquals("rack:a", state.agent(id).attributes());
        assertSame(Result.UNCHANGED, agents.register(id, "h", "127.0.0.1:1", "rack:a", "",
            new long[] { 2000, 1024, 0, 0 }, SECRET, ids, 9, records), "a re-registration replicates nothing");
        final Result moved = agents.register(id, "h", "127.0.0.1:1", "rack:b", "", new long[] { 2000, 1024, 0, 0 },
            SECRET, ids, 9, records);
        commit(moved);
        assertEquals("rack:b", state.agent(id).attributes(), "a changed agent is admitted again under its id");

        final Result none = agents.register(0, "h", "127.0.0.1:2", "", "", new long[] { 0, 0, 0, 0 }, SECRET, ids, 9, records);
        assertTrue(none.refused());
        assertEquals(ErrorCode.MALFORMED, none.code());
        assertTrue(none.reason().contains("must offer some cpus or mem"), none.reason());
        assertTrue(agents.register(0, "h", "127.0.0.1:2", "", "", new long[] { -1, 10, 0, 0 }, SECRET, ids, 9, records)
            .reason().contains("negative"));
        assertEquals(1, state.agentCount(), "refused registrations change nothing");

        // Claiming the id takes its secret: from another endpoint, or without it, is refused.
        final Result stolen = agents.register(id, "h", "127.0.0.1:66", "rack:a", "", new long[] { 2000, 1024, 0, 0 },
            "another-agents-secret", ids, 9, records);
        assertEquals(ErrorCode.NOT_PERMITTED, stolen.code(), String.valueOf(stolen));
        assertTrue(stolen.reason().contains("does not present that agent's secret"), stolen.reason());
        assertEquals(ErrorCode.NOT_PERMITTED, agents.register(id, "h", "127.0.0.1:66", "rack:a", "",
            new long[] { 2000, 1024, 0, 0 }, "", ids, 9, records).code(), "no secret is not the secret");
        assertEquals("127.0.0.1:1", state.agent(id).endpoint(), "the refused claims changed nothing");
        // The agent itself, restarted on a new port with its checkpoint, keeps its id.
        commit(agents.register(id, "h", "127.0.0.1:77", "rack:b", "", new long[] { 2000, 1024, 0, 0 }, SECRET, ids, 9,
            records));
        assertEquals("127.0.0.1:77", state.agent(id).endpoint());
        assertEquals(AgentControl.sha256(SECRET), state.agent(id).secretHash(), "the log keeps only the hash");

        // A log record that would give the id to another agent (a leader never writes one) is not applied.
        final List<MasterEvent> forged = state.apply(records.buffer(), 0, records.agentAdmitted(id,
            new long[] { 2000, 1024, 0, 0 }, 9, "h", "127.0.0.1:66", "", "", AgentControl.sha256("other")), ++index);
        assertInstanceOf(MasterEvent.BadRecord.class, forged.get(0));
        assertEquals("127.0.0.1:77", state.agent(id).endpoint());
    }

    @Test
    void aFrameworksIdIsNeverHandedToAnotherPrincipalByALogRecord()
    {
        final long id = subscribe("127.0.0.1:5");
        final List<MasterEvent> forged = state.apply(records.buffer(), 0, records.frameworkAdded(id, 9, 0, "fw", "web",
            "127.0.0.1:6", "mallory"), ++index);
        assertInstanceOf(MasterEvent.BadRecord.class, forged.get(0));
        assertEquals("127.0.0.1:5", state.framework(id).endpoint());
        assertEquals("", state.framework(id).principal());
    }

    @Test
    void anAgentOfferingMoreThanTheAllocatorCanSumIsRefusedWithTheReason()
    {
        // Found by InboundFuzzTest: such an agent used to be admitted, and then every leader that
        // added it to the allocator stopped on the overflow.
        final Result huge = state.agentControl().register(0, "big", "127.0.0.1:9", "", "",
            new long[] { 1000, 512, 0, 1L << 62 }, SECRET, ids, 1, records);
        assertEquals(ErrorCode.MALFORMED, huge.code());
        assertTrue(huge.reason().contains("gpus 4611686018427387904 is more than one agent may offer"), huge.reason());
        final Result cpus = state.agentControl().register(0, "big", "127.0.0.1:9", "", "",
            new long[] { AgentControl.MAX_PER_KIND + 1, 512, 0, 0 }, SECRET, ids, 1, records);
        assertTrue(cpus.reason().contains("CPUs"), cpus.reason());
        assertEquals(0, state.agentCount());
        // One already in a log is left out of the allocator (and logged), not a stop of the leader.
        final io.corral.allocator.Allocator allocator = new io.corral.allocator.Allocator(
            new io.corral.allocator.AllocatorConfig().kinds(state.vectors().kinds()));
        final Allocations allocations = new Allocations(allocator);
        allocations.addAgent(new MasterState.Agent(7, "a", "127.0.0.1:9", new long[] { 1000, 512, 0, Long.MAX_VALUE },
            0, "", "", ""));
        allocations.addAgent(new MasterState.Agent(8, "b", "127.0.0.1:9", new long[] { 1000, 512, 0, 1 }, 0, "", "", ""));
        assertTrue(allocator.agentSlot(7) >= 0 && allocator.agentSlot(8) < 0, "the second would overflow: left out");
    }

    @Test
    void agentsSharingAnEndpointAreToldApartByHostnameAndARetryKeepsItsId()
    {
        final AgentControl agents = state.agentControl();
        final java.util.Map<String, Long> chosen = new java.util.HashMap<>();
        final AgentControl.IdSource counting = key -> chosen.computeIfAbsent(key, k -> 1000L + chosen.size());
        final long[] cpus = { 1000, 512, 0, 0 };
        final List<MasterEvent> a = commit(agents.register(0, "sim-1", "127.0.0.1:9", "", "", cpus, SECRET, counting, 1, records));
        final List<MasterEvent> b = commit(agents.register(0, "sim-2", "127.0.0.1:9", "", "", cpus, SECRET, counting, 1, records));
        final long idA = assertInstanceOf(MasterEvent.AgentAdmitted.class, a.get(0)).agent().id();
        final long idB = assertInstanceOf(MasterEvent.AgentAdmitted.class, b.get(0)).agent().id();
        assertNotEquals(idA, idB, "two hosts behind one endpoint are two agents");
        assertEquals(2, state.agentCount());

        // sim-1's retry, sent before it heard its id, is the same agent, not a third one.
        final List<MasterEvent> again = commit(agents.register(0, "sim-1", "127.0.0.1:9", "", "", cpus, SECRET, counting, 2,
            records));
        assertEquals(idA, assertInstanceOf(MasterEvent.AgentAdmitted.class, again.get(0)).agent().id());
        assertEquals(2, state.agentCount());

        // Removed, the key no longer names it: registering again is a new agent.
        commit(agents.remove(idA, 3, records));
        final Result back = agents.register(0, "sim-1", "127.0.0.1:9", "", "", cpus, SECRET, key -> 5000L, 4, records);
        assertEquals(5000L, assertInstanceOf(MasterEvent.AgentAdmitted.class, commit(back).get(0)).agent().id());
    }

    @Test
    void removingAnAgentLosesItsLiveTasksOnly()
    {
        final long agentId = admitAgent("127.0.0.1:1");
        final long frameworkId = subscribe("127.0.0.1:9");
        launch(agentId, frameworkId, "a");
        launch(agentId, frameworkId, "b");
        commit(state.taskControl().update(List.of(new TaskControl.Update(frameworkId, agentId, 1, 1,
            TaskState.FINISHED, 0, 8, "b", "done")), records));
        assertTrue(state.agentControl().remove(424242, 9, records).refused(), "an unknown agent cannot be removed");

        final List<MasterEvent> events = commit(state.agentControl().remove(agentId, 9, records));
        final MasterEvent.TaskStateChanged lost = assertInstanceOf(MasterEvent.TaskStateChanged.class, events.get(0));
        assertEquals("a", lost.task().taskId);
        assertEquals(TaskState.LOST, lost.state());
        assertInstanceOf(MasterEvent.AgentRemoved.class, events.get(1));
        assertEquals(2, events.size(), "the finished task is not touched");
        assertEquals(TaskState.FINISHED, state.task(frameworkId, "b").state);
        assertEquals(1, state.taskCounts().get(TaskState.LOST));
        assertEquals(1, state.taskCounts().get(TaskState.FINISHED));
        assertTrue(state.liveTasksOn(agentId).isEmpty());
    }

    @Test
    void frameworkSubscriptionRoundTrip()
    {
        final FrameworkControl frameworks = state.frameworkControl();
        assertEquals(ErrorCode.MALFORMED, frameworks.subscribe(0, "fw", "web,web", "e", "", 0, ids, 1, records).code());
        assertTrue(frameworks.subscribe(0, "fw", "bad role!", "e", "", 0, ids, 1, records).reason()
            .contains("'bad role!' is invalid"));
        assertTrue(frameworks.subscribe(0, "fw", "web", "e", "", -1, ids, 1, records).reason()
            .contains("must not be negative"));
        final long id = subscribe("127.0.0.1:9");
        assertSame(Result.UNCHANGED, frameworks.subscribe(id, "fw", "web", "127.0.0.1:9", "", 1000, ids, 2, records),
            "the heartbeat replicates nothing");
        final Result again = frameworks.subscribe(0, "fw", "web", "127.0.0.1:9", "", 1000, ids, 2, records);
        commit(again);
        assertEquals(1, state.frameworkCount(), "a retried first subscription from the same endpoint keeps its id");
        commit(frameworks.remove(id, 3, records));
        assertNull(state.framework(id));
        assertEquals(ErrorCode.NOT_REGISTERED, frameworks.remove(id, 3, records).code());
    }

    @Test
    void launchesAreCheckedThenReplayedAndUpdatesMoveTasksForwardOnly()
    {
        final long agentId = admitAgent("127.0.0.1:1");
        final long frameworkId = subscribe("127.0.0.1:9");
        final TaskControl tasks = state.taskControl();
        final long[] left = { 1000, 512, 0, 0 };
        final long[] noOptions = new long[4];
        assertEquals("task id is empty",
            tasks.launchProblem(frameworkId, " ", "true", new long[] { 1, 1, 0, 0 }, left, noOptions, "", Set.of(),
                (f, t) -> false));
        assertTrue(tasks.launchProblem(frameworkId, "t", "true", new long[] { 2000, 1, 0, 0 }, left, noOptions, "",
            Set.of(), (f, t) -> false).contains("asks for cpus 2 but the offer has only 1 left"), "in CPUs, not milli");
        assertTrue(tasks.launchProblem(frameworkId, "t", "true", new long[] { 100, 1, 0, 0 }, left, noOptions, "",
            Set.of(), (f, t) -> true).contains("already in use"), "an id being launched is taken");
        assertTrue(tasks.launchProblem(frameworkId, "t", "true", new long[] { 100, 1, 0, 0 }, left,
            new long[] { 0, 1000, 0, 0 }, "", Set.of(), (f, t) -> false).contains("health check"));
        assertNull(tasks.launchProblem(frameworkId, "t", "true", new long[] { 100, 1, 0, 0 }, left, noOptions, "",
            Set.of(), (f, t) -> false));

        launch(agentId, frameworkId, "t");
        assertEquals(TaskState.STAGING, state.task(frameworkId, "t").state);
        assertTrue(tasks.launchProblem(frameworkId, "t", "true", new long[] { 100, 1, 0, 0 }, left, noOptions, "",
            Set.of(), (f, t) -> false).contains("already in use"), "a launched id is taken");
        final List<MasterEvent> dropped = commit(tasks.launch(List.of(new TaskControl.Launch(
            frameworkId, agentId, new long[] { 1, 1, 0, 0 }, "t", "true", noOptions, "", "", "web")), 8, records));
        assertInstanceOf(MasterEvent.LaunchDropped.class, dropped.get(0), "a duplicate that reached the log is dropped");

        assertEquals(ErrorCode.UNKNOWN_TASK, tasks.checkUpdate(agentId, frameworkId, "nope").code());
        assertEquals(ErrorCode.NOT_PERMITTED, tasks.checkUpdate(agentId + 1, frameworkId, "t").code(),
            "another agent may not report this agent's task");
        assertEquals(null, tasks.checkUpdate(agentId, frameworkId, "t").code());
        // A record naming another agent (a log written by something other than this leader) changes nothing.
        commit(tasks.update(List.of(new TaskControl.Update(frameworkId, agentId + 1, 3, 3, TaskState.FINISHED, 0, 9, "t",
            "forged")), records));
        assertEquals(TaskState.STAGING, state.task(frameworkId, "t").state, "another agent's FINISHED is ignored");
        commit(tasks.update(List.of(new TaskControl.Update(frameworkId, agentId, 1, 1, TaskState.RUNNING, 0, 9, "t", ""),
            new TaskControl.Update(frameworkId, agentId, 2, 2, TaskState.STARTING, 0, 9, "t", "late")), records));
        assertEquals(TaskState.RUNNING, state.task(frameworkId, "t").state, "STARTING after RUNNING is stale");
        assertEquals(1, state.taskCounts().get(TaskState.RUNNING));
        assertEquals(null, state.taskCounts().get(TaskState.STAGING));
    }

    @Test
    void onlyTheNewestFinishedTasksOfAFrameworkAreKeptTheSameOnEveryMaster()
    {
        final long agentId = admitAgent("127.0.0.1:1");
        final long frameworkId = subscribe("127.0.0.1:9");
        final int total = TaskControl.MAX_COMPLETED_PER_FRAMEWORK + 5;
        for (int i = 0; i < total; i++)
        {
            launch(agentId, frameworkId, "t" + i);
            // Finished in order t0, t1, ... (the record's time orders them).
            commit(state.taskControl().update(List.of(new TaskControl.Update(frameworkId, agentId, i + 1, 1,
                TaskState.FINISHED, 0, 1000 + i, "t" + i, "")), records));
        }
        launch(agentId, frameworkId, "running");
        assertEquals(TaskControl.MAX_COMPLETED_PER_FRAMEWORK + 1, state.taskCount(), "1,000 finished + 1 running");
        assertEquals(TaskControl.MAX_COMPLETED_PER_FRAMEWORK, state.taskCounts().get(TaskState.FINISHED));
        for (int i = 0; i < 5; i++)
        {
            assertNull(state.task(frameworkId, "t" + i), "the oldest finished tasks are dropped: t" + i);
        }
        assertEquals(TaskState.FINISHED, state.task(frameworkId, "t5").state);
        assertEquals(TaskState.STAGING, state.task(frameworkId, "running").state, "a live task is never dropped");
        assertEquals(TaskState.FINISHED, state.taskControl().forgotten(frameworkId, "t0"),
            "how a dropped task ended is remembered (reconciliation answers it, not LOST)");
        assertNull(state.taskControl().forgotten(frameworkId, "t5"), "only dropped ones");
        assertNull(state.taskControl().forgotten(frameworkId, "never-launched"));

        final MasterState copy = new MasterState();
        copy.restore(state.snapshotBytes(), index);
        assertEquals(java.util.Arrays.toString(state.snapshotBytes()), java.util.Arrays.toString(copy.snapshotBytes()),
            "a master restored from the snapshot holds the same tasks");
        commit(state.taskControl().update(List.of(new TaskControl.Update(frameworkId, agentId, 9, 9,
            TaskState.FINISHED, 0, 5000, "running", "")), records));
        copy.apply(records.buffer(), 0, records.length(), index);
        assertNull(state.task(frameworkId, "t5"));
        assertNull(copy.task(frameworkId, "t5"), "and drops the same one next");
        assertEquals(java.util.Arrays.toString(state.snapshotBytes()), java.util.Arrays.toString(copy.snapshotBytes()));
    }

    @Test
    void roleConfigurationRoundTrip()
    {
        final RoleControl roles = state.roleControl();
        final long[] none = { Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE };
        assertTrue(roles.configure(new MasterState.Role("no spaces", 1, new long[4], none), records).refused());
        assertTrue(roles.configure(new MasterState.Role("web", 0, new long[4], none), records).reason()
            .contains("positive"));
        commit(roles.configure(new MasterState.Role("web", 2, new long[] { 1000, 0, 0, 0 }, none), records));
        assertEquals(2.0, state.roles().get(0).weight());
        assertEquals(1000, state.roles().get(0).guarantee()[0]);
    }

    @Test
    void theSnapshotOfWhatTheControlsBuiltRestoresToTheSameBytes()
    {
        final long agentId = admitAgent("127.0.0.1:1");
        final long frameworkId = subscribe("127.0.0.1:9");
        launch(agentId, frameworkId, "t");
        commit(state.frameworkControl().remove(frameworkId, 10, records));
        final byte[] bytes = state.snapshotBytes();
        final MasterState copy = new MasterState();
        copy.restore(bytes, index);
        assertEquals(java.util.Arrays.toString(bytes), java.util.Arrays.toString(copy.snapshotBytes()));
        assertEquals(TaskState.STAGING, copy.task(frameworkId, "t").state, "a task of a removed framework is kept");
        assertNull(copy.framework(frameworkId));
    }
}
