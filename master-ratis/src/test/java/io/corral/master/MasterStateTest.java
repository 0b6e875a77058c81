package io.corral.master;

import java.util.List;

import io.corral.allocator.ResourceKinds;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.TaskState;
import io.corral.codec.sbe.TasksLaunchedEncoder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MasterStateTest
{
    private final Outbound out = new Outbound();
    private long index;

    private List<MasterEvent> apply(final MasterState state, final int length)
    {
        return state.apply(out.buffer, 0, length, ++index);
    }

    private List<MasterEvent> apply(final MasterState state, final RecordWriter records, final int length)
    {
        return state.apply(records.buffer(), 0, length, ++index);
    }

    private void feed(final MasterState state)
    {
        out.agentAdmitted.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(1);
        Protocol.putResources(out.agentAdmitted.resources(), new long[] { 2000, 2048, 0, 0 });
        out.agentAdmitted.timestampMs(10).hostname("a1").endpoint("127.0.0.1:1").attributes("rack:r1").httpEndpoint("127.0.0.1:2")
            .customResources("").secretHash("");
        apply(state, Outbound.length(out.agentAdmitted.encodedLength()));
        out.frameworkAdded.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(9).timestampMs(11).failoverTimeoutMs(0).name("f")
            .role("r").endpoint("127.0.0.1:2").principal("alice");
        apply(state, Outbound.length(out.frameworkAdded.encodedLength()));
        final TasksLaunchedEncoder.TasksEncoder tasks = out.tasksLaunched.wrapAndApplyHeader(out.buffer, 0, out.header)
            .tasksCount(2);
        tasks.next().frameworkId(9).agentId(1);
        Protocol.putResources(tasks.resources(), new long[] { 100, 32, 0, 0 });
        tasks.timestampMs(12);
        RecordWriter.putOptions(tasks.options(), new long[] { 5000, 1000, 500, 3 });
        tasks.taskId("t1").command("true").env("A=1\n").healthCommand("true").role("r").customResources("");
        tasks.next().frameworkId(9).agentId(1);
        Protocol.putResources(tasks.resources(), new long[] { 100, 32, 0, 0 });
        tasks.timestampMs(12);
        RecordWriter.putOptions(tasks.options(), new long[4]);
        tasks.taskId("t1").command("again").env("").healthCommand("").role("r").customResources("");
        apply(state, Outbound.length(out.tasksLaunched.encodedLength()));
        changeState("t1", TaskState.RUNNING, 1, 13);
        changeState("t1", TaskState.FINISHED, 2, 14);
        changeState("t1", TaskState.RUNNING, 3, 15);
        staleOutcome = ((MasterEvent.TaskStateChanged)lastEvents.get(0)).outcome();
        changeState("t1", TaskState.FINISHED, 2, 14);
    }

    private List<MasterEvent> lastEvents;
    private MasterEvent.Outcome staleOutcome;

    private void changeState(final String taskId, final TaskState s, final long uuid, final long at)
    {
        out.taskStatesChanged.wrapAndApplyHeader(out.buffer, 0, out.header).changesCount(1).next().frameworkId(9)
            .agentId(1).uuidMsb(uuid).uuidLsb(uuid).state(s).exitCode(0).timestampMs(at).taskId(taskId).message("m");
        lastEvents = apply(stateUnderTest, Outbound.length(out.taskStatesChanged.encodedLength()));
    }

    private MasterState stateUnderTest;

    @Test
    void applyingTheSameRecordsGivesTheSameStateAndStateNeverGoesBackwards()
    {
        final MasterState first = new MasterState();
        stateUnderTest = first;
        feed(first);
        final MasterEvent.TaskStateChanged dup = assertInstanceOf(MasterEvent.TaskStateChanged.class, lastEvents.get(0));
        assertEquals(MasterEvent.Outcome.DUPLICATE, dup.outcome(), "a duplicate update changes nothing");

        index = 0;
        final MasterState second = new MasterState();
        stateUnderTest = second;
        feed(second);

        assertEquals(first.tasks().toString(), second.tasks().toString());
        assertEquals(1, first.tasks().size(), "the second launch of t1 was dropped");
        assertEquals(MasterEvent.Outcome.STALE, staleOutcome, "RUNNING after FINISHED is stale");
        assertEquals(TaskState.FINISHED, first.task(9, "t1").state, "RUNNING after FINISHED is ignored");
        assertEquals(first.agents().toString().replaceAll("\\[J@\\w+", ""),
            second.agents().toString().replaceAll("\\[J@\\w+", ""));
    }

    @Test
    void aResentUpdateAppliedAfterTheTaskMovedOnCarriesItsOwnStateNotTheTasks()
    {
        final MasterState state = new MasterState();
        stateUnderTest = state;
        feed(state);
        final TasksLaunchedEncoder.TasksEncoder tasks = out.tasksLaunched.wrapAndApplyHeader(out.buffer, 0, out.header)
            .tasksCount(1);
        tasks.next().frameworkId(9).agentId(1);
        Protocol.putResources(tasks.resources(), new long[] { 100, 32, 0, 0 });
        tasks.timestampMs(20);
        RecordWriter.putOptions(tasks.options(), new long[4]);
        tasks.taskId("t2").command("true").env("").healthCommand("").role("r").customResources("");
        apply(state, Outbound.length(out.tasksLaunched.encodedLength()));
        changeState("t2", TaskState.RUNNING, 21, 21);
        // One record: the agent's resend of RUNNING (not acknowledged yet), then FINISHED.
        final io.corral.codec.sbe.TaskStatesChangedEncoder.ChangesEncoder changes = out.taskStatesChanged
            .wrapAndApplyHeader(out.buffer, 0, out.header).changesCount(2);
        changes.next().frameworkId(9).agentId(1).uuidMsb(21).uuidLsb(21).state(TaskState.RUNNING).exitCode(0)
            .timestampMs(21).taskId("t2").message("running");
        changes.next().frameworkId(9).agentId(1).uuidMsb(22).uuidLsb(22).state(TaskState.FINISHED).exitCode(7)
            .timestampMs(22).taskId("t2").message("done");
        final List<MasterEvent> events = apply(state, Outbound.length(out.taskStatesChanged.encodedLength()));

        final MasterEvent.TaskStateChanged resent = (MasterEvent.TaskStateChanged)events.get(0);
        final MasterEvent.TaskStateChanged finished = (MasterEvent.TaskStateChanged)events.get(1);
        assertEquals(MasterEvent.Outcome.DUPLICATE, resent.outcome());
        assertEquals(TaskState.FINISHED, resent.task().state, "the task itself has moved on");
        assertEquals(TaskState.RUNNING, resent.state(), "the resend is still the RUNNING update");
        assertEquals("running", resent.message());
        assertEquals(21, resent.timestampMs());
        assertEquals(MasterEvent.Outcome.CHANGED, finished.outcome());
        assertEquals(TaskState.FINISHED, finished.state());
        assertEquals(7, finished.exitCode());
        assertEquals("done", finished.message());
    }

    @Test
    void aSnapshotRestoresTheSameStateIncludingTasksOfRemovedAgentsAndFrameworks()
    {
        final MasterState original = new MasterState();
        stateUnderTest = original;
        feed(original);
        out.agentRemoved.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(1).timestampMs(20);
        apply(original, Outbound.length(out.agentRemoved.encodedLength()));
        out.frameworkRemoved.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(9).timestampMs(21);
        apply(original, Outbound.length(out.frameworkRemoved.encodedLength()));
        final RecordWriter records = new RecordWriter(ResourceVectors.standard());
        apply(original, records, records.roleConfigured(new MasterState.Role("web", 2.5, new long[] { 1000, 0, 0, 0 },
            new long[] { 4000, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE })));
        final byte[] bytes = original.snapshotBytes();

        final MasterState restored = new MasterState();
        restored.restore(bytes, 99);

        assertEquals(original.tasks().toString(), restored.tasks().toString());
        // Who owns the removed framework's tasks (their sandboxes) is kept too.
        assertEquals(List.of("alice"), original.taskControl().all().stream().map(t -> t.principal).distinct().toList());
        assertEquals(List.of("alice"), restored.taskControl().all().stream().map(t -> t.principal).distinct().toList());
        assertEquals(0, restored.agents().size());
        assertEquals(0, restored.frameworks().size());
        assertEquals(1, restored.roles().size());
        assertEquals(2.5, restored.roles().get(0).weight());
        assertEquals(4000, restored.roles().get(0).limit()[0]);
        assertEquals(99, restored.lastAppliedIndex());
        assertArrayEquals(bytes, restored.snapshotBytes(),
            "a restored state writes the same snapshot bytes");
        final byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 3);
        assertThrows(IllegalStateException.class, () -> new MasterState().restore(cut, 1));
    }

    @Test
    void aRecordThatDoesNotDecodeIsReportedNotThrown()
    {
        final MasterState state = new MasterState();
        final List<MasterEvent> events = state.apply(new org.agrona.concurrent.UnsafeBuffer(new byte[3]), 0, 3, 1);
        assertInstanceOf(MasterEvent.BadRecord.class, events.get(0));
        assertEquals(1, state.lastAppliedIndex());
    }

    private static byte[] batchOf(final byte[]... records)
    {
        final org.agrona.ExpandableArrayBuffer buffer = new org.agrona.ExpandableArrayBuffer();
        final io.corral.codec.sbe.RecordBatchEncoder batch = new io.corral.codec.sbe.RecordBatchEncoder();
        final io.corral.codec.sbe.RecordBatchEncoder.RecordsEncoder group =
            batch.wrapAndApplyHeader(buffer, 0, new io.corral.codec.sbe.MessageHeaderEncoder()).recordsCount(records.length);
        for (final byte[] r : records)
        {
            group.next().putRecord(r, 0, r.length);
        }
        return java.util.Arrays.copyOf(buffer.byteArray(), Outbound.length(batch.encodedLength()));
    }

    private static byte[] agentRecord(final RecordWriter records, final long id)
    {
        final int length = records.agentAdmitted(id, new long[] { 1000, 512, 0, 0 }, 10, "a" + id,
            "127.0.0.1:7", "", "", "");
        return java.util.Arrays.copyOf(records.buffer().byteArray(), length);
    }

    @Test
    void aBatchAppliesEachOfItsRecordsInOrderAndReportsTheBadOnesWithoutDroppingTheRest()
    {
        final MasterState state = new MasterState();
        final RecordWriter records = new RecordWriter(state.vectors());
        final byte[] one = agentRecord(records, 1);
        final byte[] two = agentRecord(records, 2);
        final byte[] batch = batchOf(one, new byte[3], batchOf(one), two);

        final List<MasterEvent> events = state.apply(new org.agrona.concurrent.UnsafeBuffer(batch), 0, batch.length, 7);

        assertEquals(2, state.agentCount(), "both agents of the batch are admitted");
        assertEquals("a2", state.agent(2).hostname());
        assertEquals(2, events.stream().filter(MasterEvent.BadRecord.class::isInstance).count(),
            "the truncated record and the nested batch are reported: " + events);
        assertEquals(7, state.lastAppliedIndex());
        assertTrue(events.get(0) instanceof MasterEvent.AgentAdmitted, "in order: " + events);

        // A batch applies exactly as its records one by one do: same snapshot bytes.
        final MasterState single = new MasterState();
        single.apply(new org.agrona.concurrent.UnsafeBuffer(one), 0, one.length, 1);
        single.apply(new org.agrona.concurrent.UnsafeBuffer(two), 0, two.length, 2);
        assertArrayEquals(single.snapshotBytes(), state.snapshotBytes());

        // A batch whose count promises more records than it holds changes nothing.
        final byte[] cut = java.util.Arrays.copyOf(batchOf(agentRecord(records, 3), two), batch.length / 2);
        final MasterState untouched = new MasterState();
        final List<MasterEvent> cutEvents = untouched.apply(new org.agrona.concurrent.UnsafeBuffer(cut), 0, cut.length, 1);
        assertInstanceOf(MasterEvent.BadRecord.class, cutEvents.get(0));
        assertEquals(0, untouched.agentCount());
    }

    @Test
    void customKindsAreKeptByNameThroughTheLogAndSnapshots()
    {
        final ResourceVectors vectors = new ResourceVectors(ResourceKinds.withCustom("fpga", "ssd"));
        final MasterState state = new MasterState(vectors);
        final long[] agentResources = { 2000, 2048, 0, 0, 1, 100 };
        final RecordWriter records = new RecordWriter(vectors);
        apply(state, records, records.agentAdmitted(1, agentResources, 10, "a1", "127.0.0.1:1", "", "", ""));
        apply(state, records, records.roleConfigured(new MasterState.Role("web", 1, new long[] { 0, 0, 0, 0, 0, 10 },
            new long[] { Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 0, Long.MAX_VALUE })));

        assertArrayEquals(agentResources, state.agent(1).resources());
        assertArrayEquals(new long[] { 0, 0, 0, 0, 0, 10 }, state.roles().get(0).guarantee());
        assertArrayEquals(
            new long[] { Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 0, Long.MAX_VALUE },
            state.roles().get(0).limit(), "a limit of 0 is kept; kinds not limited stay unlimited");

        final MasterState restored = new MasterState(vectors);
        restored.restore(state.snapshotBytes(), 5);
        assertArrayEquals(agentResources, restored.agent(1).resources());
        assertArrayEquals(state.roles().get(0).limit(), restored.roles().get(0).limit());

        // A master started with the kinds in another order maps them by name, not by position.
        final ResourceVectors reordered = new ResourceVectors(ResourceKinds.withCustom("ssd", "fpga"));
        final MasterState other = new MasterState(reordered);
        other.restore(state.snapshotBytes(), 5);
        assertArrayEquals(new long[] { 2000, 2048, 0, 0, 100, 1 },
            other.agent(1).resources());
    }

    @Test
    void recordsWrittenBeforeCustomKindsExistedStillApply()
    {
        // Schema version 0 had no customResources field: a log written then must still replay.
        final MasterState state = new MasterState(new ResourceVectors(ResourceKinds.withCustom("ssd")));
        out.agentAdmitted.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(3);
        out.header.version(0);
        Protocol.putResources(out.agentAdmitted.resources(), new long[] { 1000, 512, 0, 0 });
        out.agentAdmitted.timestampMs(1).hostname("old").endpoint("127.0.0.1:9").attributes("").httpEndpoint("");
        // Junk where version 1 would put its custom resources: a version-0 reader must not look there.
        out.buffer.putInt(out.agentAdmitted.limit(), 12345);
        final List<MasterEvent> events = apply(state, Outbound.length(out.agentAdmitted.encodedLength()));

        assertInstanceOf(MasterEvent.AgentAdmitted.class, events.get(0));
        assertArrayEquals(new long[] { 1000, 512, 0, 0, 0 }, state.agent(3).resources());
    }

    @Test
    void requestsNamingAKindTheMastersDoNotKnowAreRefusedWithTheFix()
    {
        final ResourceVectors vectors = ResourceVectors.standard();
        out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(0);
        Protocol.putResources(out.registerAgent.resources(), new long[] { 1000, 512, 0, 0 });
        final io.corral.codec.sbe.ResourcesDecoder fixed = new io.corral.codec.sbe.ResourcesDecoder()
            .wrap(out.buffer, io.corral.codec.sbe.MessageHeaderDecoder.ENCODED_LENGTH + 8);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> vectors.read(fixed, "ssd:100"));
        assertTrue(ex.getMessage().contains("'ssd'") &&
            ex.getMessage().contains("--resource-kinds"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> vectors.read(fixed, "ssd:-1"));
        assertThrows(IllegalArgumentException.class, () -> vectors.read(fixed, "cpus:4"));
        assertArrayEquals(new long[] { 1000, 512, 0, 0 }, vectors.read(fixed, ""));
    }

    @Test
    void anAgentsLiveTasksAreTrackedAndBecomeLostWhenTheAgentIsRemoved()
    {
        final MasterState state = new MasterState();
        stateUnderTest = state;
        final RecordWriter records = new RecordWriter(ResourceVectors.standard());
        apply(state, records, records.agentAdmitted(1, new long[] { 2000, 2048, 0, 0 }, 10, "a1", "127.0.0.1:1", "", "", ""));
        out.frameworkAdded.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(9).timestampMs(11)
            .failoverTimeoutMs(0).name("f").role("r").endpoint("127.0.0.1:2").principal("");
        apply(state, Outbound.length(out.frameworkAdded.encodedLength()));
        final TasksLaunchedEncoder.TasksEncoder tasks = out.tasksLaunched.wrapAndApplyHeader(out.buffer, 0, out.header)
            .tasksCount(2);
        for (final String id : List.of("t1", "t2"))
        {
            tasks.next().frameworkId(9).agentId(1);
            Protocol.putResources(tasks.resources(), new long[] { 100, 32, 0, 0 });
            tasks.timestampMs(12);
            RecordWriter.putOptions(tasks.options(), new long[4]);
            tasks.taskId(id).command("true").env("").healthCommand("").role("r").customResources("");
        }
        apply(state, Outbound.length(out.tasksLaunched.encodedLength()));
        changeState("t1", TaskState.RUNNING, 1, 13);
        changeState("t2", TaskState.FINISHED, 2, 14);
        assertEquals(List.of("t1"), state.liveTasksOn(1).stream().map(MasterState.TaskView::taskId).toList());
        assertEquals(List.of(), state.liveTasksOn(2));

        out.agentRemoved.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(1).timestampMs(20);
        final List<MasterEvent> events = apply(state, Outbound.length(out.agentRemoved.encodedLength()));
        assertEquals(TaskState.LOST, state.task(9, "t1").state, "the running task is lost with its agent");
        assertEquals(TaskState.FINISHED, state.task(9, "t2").state, "the ended one stays as it was");
        assertEquals(2, events.size(), "one state change and the removal: " + events);
        assertEquals(List.of(), state.liveTasksOn(1));
    }
}
