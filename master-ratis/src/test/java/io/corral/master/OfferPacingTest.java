package io.corral.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The leader's offer pacing, on a clock the test moves. */
class OfferPacingTest
{
    private static final long MS = 1_000_000L;

    @Test
    void beforeAnyAnswerAPassMayMakeTheBudgetOverTheFirstGuess()
    {
        final OfferPacing pacing = new OfferPacing(1_600);
        assertEquals((int)(1_600 / OfferPacing.FIRST_GUESS), pacing.room(0, 0, 0));
    }

    @Test
    void launchesInHandAndRecentOffersTakeTheirShareOfTheBudget()
    {
        final OfferPacing pacing = new OfferPacing(1_000);
        for (int i = 0; i < 100; i++)
        {
            pacing.answered(1, 50); // frameworks launch 50 on each offer
        }
        assertEquals(50.0, pacing.tasksPerOffer(), 0.01);
        assertEquals(20, pacing.room(0, 0, 0));
        pacing.made(10, 0);
        // 10 offers out (500 tasks expected) and 300 launches in hand: room for 200 tasks, 4 offers.
        assertEquals(4, pacing.room(300, 10, 0));
        // Full: the pass waits.
        assertEquals(0, pacing.room(500, 10, 0));
    }

    @Test
    void anOfferUnansweredForASecondNoLongerHoldsThePassesBack()
    {
        final OfferPacing pacing = new OfferPacing(1_000);
        for (int i = 0; i < 100; i++)
        {
            pacing.answered(1, 50);
        }
        pacing.made(20, 0);
        assertEquals(0, pacing.room(0, 20, 500 * MS), "the offers were made half a second ago");
        assertEquals(20, pacing.room(0, 20, 1_000 * MS), "a framework sits on them: they count no more");
    }

    @Test
    void declinedOffersLowerTheExpectationSoMoreOffersGoOut()
    {
        final OfferPacing pacing = new OfferPacing(1_000);
        for (int i = 0; i < 100; i++)
        {
            pacing.answered(1, 0);
        }
        assertTrue(pacing.tasksPerOffer() < 0.01, "every offer declined: " + pacing.tasksPerOffer());
        assertTrue(pacing.room(0, 0, 0) >= 100_000, "a cluster whose offers are declined is offered freely");
    }

    @Test
    void anAcceptOfSeveralOffersCountsItsTasksPerOffer()
    {
        final OfferPacing pacing = new OfferPacing(1_000);
        for (int i = 0; i < 100; i++)
        {
            pacing.answered(4, 40);
        }
        assertEquals(10.0, pacing.tasksPerOffer(), 0.01);
    }

    @Test
    void onceTheBudgetIsSpentAPassMayStillMakeOneOfferWhenAnyRoomIsLeft()
    {
        final OfferPacing pacing = new OfferPacing(1_000);
        for (int i = 0; i < 100; i++)
        {
            pacing.answered(1, 50);
        }
        assertEquals(1, pacing.room(990, 0, 0), "10 tasks of room, offers bring 50: one offer, not none");
    }
}
