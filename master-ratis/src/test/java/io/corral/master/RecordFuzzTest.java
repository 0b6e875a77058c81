package io.corral.master;

import java.util.ArrayList;
import java.util.List;

import io.corral.codec.sbe.TaskState;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random bytes and edited records straight into {@link MasterState#apply} and the snapshot reader,
 * as a log written by something other than a Corral leader would hold them (the Raft port is
 * authenticated, but the state machine must not be the weak point if it ever is not): applying
 * never throws, two masters applying the same bytes end in the same state, and a damaged
 * snapshot is refused with an IllegalStateException, never another exception.
 */
class RecordFuzzTest
{
    private final RecordWriter records = new RecordWriter(new MasterState().vectors());
    private final List<byte[]> corpus = corpus();

    private byte[] bytes(final int length)
    {
        return java.util.Arrays.copyOf(records.buffer().byteArray(), length);
    }

    /** One of each record kind the log holds, as a leader writes them, and a snapshot of them all. */
    private List<byte[]> corpus()
    {
        final List<byte[]> out = new ArrayList<>();
        final long[] r = { 2000, 1024, 0, 0 };
        out.add(bytes(records.agentAdmitted(7, r, 1, "h", "127.0.0.1:5", "rack:a", "127.0.0.1:6",
            AgentControl.sha256("s"))));
        out.add(bytes(records.frameworkAdded(9, 1, 60_000, "fw", "web", "127.0.0.1:7", "ops")));
        out.add(bytes(records.tasksLaunched(List.of(new TaskControl.Launch(9, 7, new long[] { 500, 128, 0, 0 }, "t",
            "sleep 1", new long[] { 1000, 0, 0, 0 }, "A=1", "", "web")), 2)));
        out.add(bytes(records.taskStatesChanged(List.of(new TaskControl.Update(9, 7, 1, 1, TaskState.RUNNING, 0, 3, "t",
            "")))));
        out.add(bytes(records.roleConfigured(new MasterState.Role("web", 2, new long[4],
            new long[] { Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE }))));
        out.add(bytes(records.aclSet("register-agents agents\nsubscribe ops web\n")));
        out.add(bytes(records.agentRemoved(7, 4)));
        out.add(bytes(records.frameworkRemoved(9, 5)));
        final MasterState state = new MasterState();
        long index = 0;
        for (int i = 0; i < 6; i++)
        {
            final byte[] record = out.get(i);
            state.apply(new UnsafeBuffer(record), 0, record.length, ++index);
        }
        out.add(state.snapshotBytes());
        return out;
    }

    @Provide
    Arbitrary<FrameMutation> mutations()
    {
        return FrameMutation.arbitrary();
    }

    private static MasterState fed(final byte[] mutated, final List<byte[]> corpus)
    {
        final MasterState state = new MasterState();
        long index = 0;
        for (final byte[] record : corpus.subList(0, 4))
        {
            state.apply(new UnsafeBuffer(record), 0, record.length, ++index);
        }
        state.apply(new UnsafeBuffer(mutated), 0, mutated.length, ++index);
        return state;
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void applyingAnyBytesNeverThrowsAndIsDeterministic(@ForAll("mutations") final FrameMutation m)
    {
        final byte[] mutated = m.apply(corpus);
        final MasterState one;
        final MasterState two;
        try
        {
            one = fed(mutated, corpus);
            two = fed(mutated, corpus);
        }
        catch (final Throwable t)
        {
            fail("applying threw on " + FrameMutation.hex(mutated), t);
            return;
        }
        assertArrayEquals(one.snapshotBytes(), two.snapshotBytes(), "two masters applied the same bytes differently");
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void aDamagedSnapshotIsRefusedWithTheReason(@ForAll("mutations") final FrameMutation m)
    {
        final byte[] snapshot = corpus.get(corpus.size() - 1);
        final byte[] mutated = m.source() < 0 ? m.noise() : m.apply(List.of(snapshot));
        final MasterState state = new MasterState();
        try
        {
            state.restore(mutated, 42);
        }
        catch (final IllegalStateException ex)
        {
            assertTrue(ex.getMessage() != null && ex.getMessage().startsWith("snapshot"), ex.getMessage());
        }
        catch (final Throwable t)
        {
            fail("restoring threw something other than a refusal on " + FrameMutation.hex(mutated), t);
        }
    }
}
