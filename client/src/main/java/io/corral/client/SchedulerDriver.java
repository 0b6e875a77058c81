package io.corral.client;

import java.util.List;

/** What a framework calls. Every method is safe from any thread. */
public interface SchedulerDriver extends AutoCloseable
{
    /** Connects to the masters and subscribes; returns at once. */
    void start();

    /** Leaves the cluster: the master removes the framework and kills its tasks. Then closes. */
    void stop();

    /**
     * With {@code failover} true, stops without leaving: the framework's tasks keep running and a
     * new instance can re-register with the same id within the failover timeout. False is {@link #stop()}.
     */
    void stop(boolean failover);

    /** Stops offers in these roles (none listed: all of the framework's roles). */
    void suppressOffers(List<String> roles);

    /** Resumes offers in these roles (none listed: all) and clears decline filters. */
    void reviveOffers(List<String> roles);

    /** Waits until the driver is stopped or closed. */
    void join() throws InterruptedException;

    /** Launches tasks on an offer's resources; unused resources go back at once. */
    void acceptOffer(long offerId, List<TaskSpec> tasks);

    /**
     * Launches tasks on several offers of the same agent (and role) together, e.g. resources freed
     * after the first offer came; the master refuses offers of different agents.
     */
    void acceptOffers(List<Long> offerIds, List<TaskSpec> tasks);

    /** Gives an offer back and refuses that agent for {@code refuseSeconds}. */
    void declineOffer(long offerId, double refuseSeconds);

    void killTask(String taskId);

    /**
     * Acknowledges a status update, so the agent stops resending it. Only needed with explicit
     * acknowledgements ({@link CorralSchedulerDriver#explicitAcknowledgements}); by default the
     * driver acknowledges each update after {@link Scheduler#statusUpdate} returns.
     */
    void acknowledgeStatusUpdate(TaskStatus status);

    /**
     * Asks for the latest state of these tasks, answered through {@link Scheduler#statusUpdate};
     * an empty list asks for every task of this framework that has not ended (implicit).
     */
    void reconcileTasks(List<String> taskIds);

    /** The id the master gave this framework, or 0 before it is registered. */
    long frameworkId();

    /** Closes without telling the master (the framework's tasks keep running). */
    @Override
    void close();
}
