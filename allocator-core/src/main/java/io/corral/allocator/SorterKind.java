package io.corral.allocator;

/** How roles, and frameworks within a role, are ordered for offers (Mesos's {@code --role_sorter}). */
public enum SorterKind
{
    /** Weighted dominant resource fairness: lowest dominant share ÷ weight first. */
    DRF,
    /** Weighted random order, drawn afresh each pass and after each allocation. */
    RANDOM
}
