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
    private final String kind;

    IdTable(final String kind)
    {
        this.kind = kind;
    }

    protected abstract long idOf(V value);

    protected abstract String endpointOf(V value);

    /**
     * The id for a newcomer from {@code endpoint}: that of an entry already admitted from it (a
     * retried registration must not become a second one), else the one {@code ids} chooses.
     */
    protected final long idByEndpoint(final String endpoint, final AgentControl.IdSource ids)
    {
        for (final V value : byId.values())
        {
            if (endpointOf(value).equals(endpoint))
            {
                return idOf(value);
            }
        }
        return ids.idFor(kind + "@" + endpoint);
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
        return byId.put(id, value);
    }

    /** Replay only: true if it was there. */
    protected final boolean remove(final long id)
    {
        index.remove(id);
        return byId.remove(id) != null;
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
    }
}
