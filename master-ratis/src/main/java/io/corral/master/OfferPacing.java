package io.corral.master;

/**
 * Paces the leader's offers to what it can launch (Little's law: tasks waiting = launch rate ×
 * time waited). One allocation pass over 1,000 agents made 1,000 offers at once; frameworks
 * launching 50 tasks on each accepted 50,000 tasks in one go, the leader took seconds to propose
 * them, and every task in the burst waited for the ones before it (accept → RUNNING p50 1.2 s at
 * 8,000 tasks a second; the launch path alone was p50 620 ms).
 *
 * <p>The budget is the launches the leader has in hand ({@code --max-launches-in-flight}): those
 * accepted and not yet started by their agents, plus those it expects from the offers it made
 * lately, at the tasks per answered offer it has seen (a moving average: a declined offer counts
 * none). A pass makes at most the offers that fit; the agents it did not reach stay due. An offer
 * unanswered for longer than {@link #RECENT_NS} no longer counts, so a framework that sits on its
 * offers slows nobody for longer than that. Owned by the duty thread.
 */
final class OfferPacing
{
    /** Tasks per offer assumed before any answer came (frameworks launch one to a few dozen). */
    static final double FIRST_GUESS = 16;
    /** Weight of each answer in the moving average. */
    static final double WEIGHT = 0.2;
    /** Offers made this long ago count no more as launches on their way. */
    static final long RECENT_NS = 1_000_000_000L;

    private final int budget;
    private double tasksPerOffer = FIRST_GUESS;
    /** Offers made in each of the last slots of RECENT_NS / SLOTS (a ring). */
    private static final int SLOTS = 10;
    private final int[] madeInSlot = new int[SLOTS];
    private long slotOf = Long.MIN_VALUE;

    OfferPacing(final int budget)
    {
        this.budget = budget;
    }

    /** A framework answered {@code offers} offers by launching {@code tasks} tasks on them (0: declined). */
    void answered(final int offers, final int tasks)
    {
        if (offers > 0)
        {
            tasksPerOffer += WEIGHT * ((double)tasks / offers - tasksPerOffer);
        }
    }

    /** The leader made {@code count} offers. */
    void made(final int count, final long nowNs)
    {
        advance(nowNs);
        madeInSlot[Math.floorMod(slotOf, SLOTS)] += count;
    }

    /**
     * How many offers a pass may make now (0: none, the pass waits), given the launches in hand
     * and the offers outstanding.
     */
    int room(final int launching, final int outstandingOffers, final long nowNs)
    {
        advance(nowNs);
        int recent = 0;
        for (final int made : madeInSlot)
        {
            recent += made;
        }
        final double expected = launching + Math.min(outstandingOffers, recent) * tasksPerOffer;
        final double free = budget - expected;
        if (free < 1)
        {
            return 0; // not room for one more task
        }
        return (int)Math.min(Integer.MAX_VALUE, Math.max(1, free / Math.max(tasksPerOffer, 1e-3)));
    }

    double tasksPerOffer()
    {
        return tasksPerOffer;
    }

    private void advance(final long nowNs)
    {
        final long slot = Math.floorDiv(nowNs, RECENT_NS / SLOTS);
        if (slotOf == Long.MIN_VALUE || slot - slotOf >= SLOTS)
        {
            java.util.Arrays.fill(madeInSlot, 0);
        }
        else
        {
            for (long s = slotOf + 1; s <= slot; s++)
            {
                madeInSlot[Math.floorMod(s, SLOTS)] = 0;
            }
        }
        slotOf = Math.max(slot, slotOf);
    }
}
