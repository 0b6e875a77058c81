package io.corral.testkit;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import io.corral.client.Offer;
import io.corral.client.Scheduler;
import io.corral.client.SchedulerDriver;
import io.corral.client.TaskStatus;

/** A Scheduler that records every callback, so a test can wait for what it expects. */
public class RecordingScheduler implements Scheduler
{
    public final BlockingQueue<Offer> offers = new LinkedBlockingQueue<>();
    public final BlockingQueue<TaskStatus> statuses = new LinkedBlockingQueue<>();
    public final BlockingQueue<String> errors = new LinkedBlockingQueue<>();
    /** "registered", "reregistered", "disconnected", "agentLost ID", "error MESSAGE", in order. */
    public final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    public final BlockingQueue<Long> rescinded = new LinkedBlockingQueue<>();
    public final BlockingQueue<Long> lostAgents = new LinkedBlockingQueue<>();
    public volatile long frameworkId;

    @Override
    public void registered(final SchedulerDriver driver, final long id)
    {
        frameworkId = id;
        events.add("registered");
    }

    @Override
    public void reregistered(final SchedulerDriver driver, final long id)
    {
        frameworkId = id;
        events.add("reregistered");
    }

    @Override
    public void disconnected(final SchedulerDriver driver)
    {
        events.add("disconnected");
    }

    @Override
    public void resourceOffers(final SchedulerDriver driver, final List<Offer> list)
    {
        offers.addAll(list);
    }

    @Override
    public void offerRescinded(final SchedulerDriver driver, final long offerId)
    {
        rescinded.add(offerId);
    }

    @Override
    public void statusUpdate(final SchedulerDriver driver, final TaskStatus status)
    {
        statuses.add(status);
    }

    @Override
    public void agentLost(final SchedulerDriver driver, final long agentId)
    {
        lostAgents.add(agentId);
        events.add("agentLost " + agentId);
    }

    @Override
    public void error(final SchedulerDriver driver, final String message)
    {
        errors.add(message);
        events.add("error " + message);
    }
}
