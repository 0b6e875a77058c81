package io.corral.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tasks found by framework and id bytes, also when every task shares one hash (mask 0). */
class TaskIndexTest
{
    private static MasterState.Task task(final long frameworkId, final String id)
    {
        return new MasterState.Task(frameworkId, 1, id, "true", new long[4], 0, new long[4], "", "", "default");
    }

    private static MasterState.Task find(final TaskIndex index, final long frameworkId, final String id)
    {
        // The id at an offset inside a larger buffer, as in a frame.
        final byte[] bytes = ("xx" + id + "yy").getBytes(StandardCharsets.UTF_8);
        return index.get(frameworkId, new UnsafeBuffer(bytes), 2, bytes.length - 4);
    }

    @ParameterizedTest
    @ValueSource(longs = { -1L, 0L })
    void findsEachTaskByItsFrameworkAndIdBytesAndForgetsRemovedOnes(final long hashMask)
    {
        final TaskIndex index = new TaskIndex(hashMask);
        final List<MasterState.Task> all = new ArrayList<>();
        final int n = hashMask == 0 ? 200 : 20_000;
        for (int i = 0; i < n; i++)
        {
            final MasterState.Task t = task(i % 7, "task-" + i + (i % 3 == 0 ? "-é" : ""));
            all.add(t);
            index.put(t);
        }
        final MasterState.Task sameIdOtherFramework = task(99, "task-1");
        index.put(sameIdOtherFramework);
        assertEquals(n + 1, index.size());
        for (final MasterState.Task t : all)
        {
            assertSame(t, find(index, t.frameworkId, t.taskId));
        }
        assertSame(sameIdOtherFramework, find(index, 99, "task-1"));
        assertNull(find(index, 5, "task-1"), "task-1 is framework 1's");
        assertNull(find(index, 1, "task-"), "a prefix is not the id");
        assertNull(find(index, 1, "task-1-"), "nor a longer one");

        for (int i = 0; i < n; i += 2)
        {
            index.remove(all.get(i));
        }
        for (int i = 0; i < n; i++)
        {
            final MasterState.Task t = all.get(i);
            if (i % 2 == 0)
            {
                assertNull(find(index, t.frameworkId, t.taskId), "removed: " + t.taskId);
            }
            else
            {
                assertSame(t, find(index, t.frameworkId, t.taskId));
            }
        }
        assertEquals(n / 2 + 1, index.size());
        index.clear();
        assertNull(find(index, 99, "task-1"));
    }
}
