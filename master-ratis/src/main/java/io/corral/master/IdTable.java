package io.corral.master;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Replicated entries by id: in id order for walks and snapshots (deterministic), and in a
 * primitive-keyed index for lookups on the hot path (no boxing). The agents' and frameworks' tables.
 */
abstract class IdTable<V>
{
    protected final TreeMap<Long, V> byId = new TreeMap<>();
    private final org.agrona.collections.Long2ObjectHashMap<V> index = new org.agrona.collections.Long2ObjectHashMap<>();
    /** Key → id of the entries admitted under it (the newest, if several share one). */
    private final java.util.HashMap<String, Long> byKey = new java.util.HashMap<>();
    private final String kind;

    IdTable(final String kind)
    {
        this.kind = kind;
    }

    protected abstract long idOf(V value);

    /** What identifies a newcomer before it has an id (where it registers from). */
    protected abstract String keyOf(V value);

    /**
     * The id for a newcomer known by {@code key}: that of an entry already admitted under it (a
     * retried registration must not become a second one), else the one {@code ids} chooses. A
     * lookup, not a scan: 50,000 agents registering at once made the scan quadratic.
     */
    protected final long idByKey(final String key, final AgentControl.IdSource ids)
    {
        final Long known = byKey.get(key);
        return known != null ? known : ids.idFor(kind + "@" + key);
    }

    final V get(final long id)
    {
        return index.get(id);
    }

    final boolean contains(final long id)
    {
        return index.containsKey(id);
    }

    /** Replay only: adds or replaces; returns the entry it replaced. */
    protected final V put(final long id, final V value)
    {
        index.put(id, value);
        final V before = byId.put(id, value);
        if (before != null)
        {
            byKey.remove(keyOf(before), id);
        }
        byKey.put(keyOf(value), id);
        return before;
    }

    /** Replay only: true if it was there. */
    protected final boolean remove(final long id)
    {
        index.remove(id);
        final V before = byId.remove(id);
        if (before == null)
        {
            return false;
        }
        byKey.remove(keyOf(before), id);
        return true;
    }

    final int count()
    {
        return byId.size();
    }

    /** A copy, in id order. */
    final List<V> all()
    {
        return new ArrayList<>(byId.values());
    }

    final Iterable<V> each()
    {
        return byId.values();
    }

    final void clear()
    {
        byId.clear();
        index.clear();
        byKey.clear();
    }
}
