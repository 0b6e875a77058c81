package io.corral.master;

import java.util.ArrayList;

import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Tasks by framework and the UTF-8 bytes of their id, for lookups straight from a frame or a
 * record: no String is made to find a task (one was, per status update, twice: the largest
 * allocation left on the leader's status path). Keyed by a 64-bit hash of both; the rare tasks
 * that share a hash share a list, and every hit is checked byte for byte. Owned by the state's
 * owner thread, kept by {@link TaskControl} beside its other indexes.
 */
final class TaskIndex
{
    private final Long2ObjectHashMap<Object> byHash = new Long2ObjectHashMap<>();
    /** All ones; a test narrows it to make every task share a hash (the list path, otherwise all but unreachable). */
    private final long hashMask;

    TaskIndex()
    {
        this(-1L);
    }

    TaskIndex(final long hashMask)
    {
        this.hashMask = hashMask;
    }

    static long hash(final long frameworkId, final DirectBuffer id, final int offset, final int length)
    {
        long h = 0xcbf29ce484222325L ^ frameworkId * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < length; i++)
        {
            h = (h ^ (id.getByte(offset + i) & 0xff)) * 0x100000001b3L;
        }
        return h ^ (h >>> 31);
    }

    private long hash(final MasterState.Task task)
    {
        return hashMask & hash(task.frameworkId, task.taskIdUtf8, 0, task.taskIdUtf8.capacity());
    }

    private static boolean is(final MasterState.Task task, final long frameworkId, final DirectBuffer id,
        final int offset, final int length)
    {
        final DirectBuffer own = task.taskIdUtf8;
        if (task.frameworkId != frameworkId || own.capacity() != length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (own.getByte(i) != id.getByte(offset + i))
            {
                return false;
            }
        }
        return true;
    }

    MasterState.Task get(final long frameworkId, final DirectBuffer id, final int offset, final int length)
    {
        final Object found = byHash.get(hashMask & hash(frameworkId, id, offset, length));
        if (found instanceof MasterState.Task task)
        {
            return is(task, frameworkId, id, offset, length) ? task : null;
        }
        if (found != null)
        {
            for (final Object each : (ArrayList<?>)found)
            {
                final MasterState.Task task = (MasterState.Task)each;
                if (is(task, frameworkId, id, offset, length))
                {
                    return task;
                }
            }
        }
        return null;
    }

    void put(final MasterState.Task task)
    {
        final long h = hash(task);
        final Object found = byHash.get(h);
        if (found == null)
        {
            byHash.put(h, task);
        }
        else if (found instanceof MasterState.Task other)
        {
            final ArrayList<MasterState.Task> both = new ArrayList<>(2);
            both.add(other);
            both.add(task);
            byHash.put(h, both);
        }
        else
        {
            @SuppressWarnings("unchecked")
            final ArrayList<MasterState.Task> many = (ArrayList<MasterState.Task>)found;
            many.add(task);
        }
    }

    void remove(final MasterState.Task task)
    {
        final long h = hash(task);
        final Object found = byHash.get(h);
        if (found == task)
        {
            byHash.remove(h);
        }
        else if (found instanceof ArrayList<?> many)
        {
            many.remove(task);
            if (many.size() == 1)
            {
                byHash.put(h, many.get(0));
            }
        }
    }

    void clear()
    {
        byHash.clear();
    }

    int size()
    {
        int n = 0;
        for (final Object each : byHash.values())
        {
            n += each instanceof ArrayList<?> many ? many.size() : 1;
        }
        return n;
    }
}
