package io.corral.client;

import java.util.List;

/**
 * What a framework implements. Callbacks arrive on the driver's callback thread, one at a time,
 * in the order the master sent them; they may call the driver (calls are queued and sent by its
 * network thread, which a slow callback does not hold up).
 */
public interface Scheduler
{
    /** The master accepted the framework and gave it an id. */
    void registered(SchedulerDriver driver, long frameworkId);

    /** New offers; accept or decline each. */
    void resourceOffers(SchedulerDriver driver, List<Offer> offers);

    /** A task changed state. The driver acknowledges it after this returns. */
    void statusUpdate(SchedulerDriver driver, TaskStatus status);

    /** An offer is no longer valid. */
    default void offerRescinded(final SchedulerDriver driver, final long offerId)
    {
    }

    /** An agent was removed (it stopped heartbeating): its tasks are LOST, as their updates say. */
    default void agentLost(final SchedulerDriver driver, final long agentId)
    {
    }

    /** The master refused a request; the message says why and what to do. */
    default void error(final SchedulerDriver driver, final String message)
    {
    }

    /** The driver found the (new) leading master again after {@link #disconnected}. */
    default void reregistered(final SchedulerDriver driver, final long frameworkId)
    {
    }

    /** The driver lost the master and is looking for the leader again. Outstanding offers are void. */
    default void disconnected(final SchedulerDriver driver)
    {
    }
}
