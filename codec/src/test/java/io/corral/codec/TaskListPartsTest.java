package io.corral.codec;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskListPartsTest
{
    private static String lines(final int tasks)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tasks; i++)
        {
            sb.append(i == 0 ? "" : "\n").append("1099511627778/task-").append(i).append("\tRUNNING");
        }
        return sb.toString();
    }

    @Test
    void aShortListGoesWhollyInTheRegistration()
    {
        final TaskListParts parts = TaskListParts.of(3, lines(3));
        assertTrue(parts.before().isEmpty());
        assertEquals("3\n" + lines(3), parts.registration());
        assertEquals("0", TaskListParts.of(0, "").registration());
        assertEquals(0, TaskListParts.partsBefore(parts.registration()));
        assertEquals(-1, TaskListParts.partsBefore("3\tx\na/b"));
    }

    @Test
    void aLongListIsCutAtLineEndsAndNothingIsLostOrRepeated()
    {
        final int tasks = 7_000; // ~220 KB of lines: about 7 parts
        final TaskListParts parts = TaskListParts.of(tasks, lines(tasks));
        assertTrue(parts.before().size() >= 5, "parts: " + parts.before().size());
        final List<String> all = new ArrayList<>();
        for (final String part : parts.before())
        {
            assertTrue(part.length() <= TaskListParts.PART_CHARS, "part of " + part.length());
            assertTrue(part.startsWith("1099511627778/task-") && part.endsWith("\tRUNNING"), "cut at a line end");
            all.addAll(List.of(part.split("\n")));
        }
        final String[] registration = parts.registration().split("\n");
        assertEquals(tasks + "\t" + parts.before().size(), registration[0], "the count first, and the parts before");
        assertEquals(parts.before().size(), TaskListParts.partsBefore(parts.registration()));
        all.addAll(List.of(registration).subList(1, registration.length));
        assertEquals(List.of(lines(tasks).split("\n")), all);
    }

    @Test
    void aListBeyondTheLimitIsNotListed()
    {
        assertNull(TaskListParts.of(20_000, lines(20_000)));
    }
}
