package io.corral.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.Scheduler;
import io.corral.client.SchedulerDriver;
import io.corral.client.TaskSpec;
import io.corral.client.TaskStatus;

/**
 * A framework that keeps launching short tasks and writes down everything: what it launched,
 * every status it was told (and so acknowledged), offers by term, refusals.
 */
final class Workload implements Scheduler
{
    private static final String[] COMMANDS = { "true", "sleep 0.2", "exit 1", "sleep 0.5" };
    private static final Pattern OFFER_ID = Pattern.compile("offer (\\d+)");

    /** One status as the framework saw it. */
    record Seen(String taskId, io.corral.client.TaskState state, long agentId, long uuidMsb, long uuidLsb,
        String message, long atNs)
    {
    }

    final Map<String, String> launched = new ConcurrentHashMap<>();
    final Map<String, Long> offerOfTask = new ConcurrentHashMap<>();
    /** Appended by the callback thread, read by the checker (a copy-on-write list was quadratic at high rates). */
    final java.util.Queue<Seen> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
    final Set<Long> refusedOffers = ConcurrentHashMap.newKeySet();
    final Map<Long, Long> firstOfferNsByTerm = new ConcurrentHashMap<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    final AtomicInteger disconnects = new AtomicInteger();
    private final SplittableRandom random;
    private final Map<String, Long> open = new ConcurrentHashMap<>();
    final AtomicInteger reconciliations = new AtomicInteger();
    private final int maxOpen;
    private final int perOffer;
    private volatile boolean launching = true;
    private int next;

    Workload(final long seed, final int maxOpen, final int perOffer)
    {
        this.random = new SplittableRandom(seed);
        this.maxOpen = maxOpen;
        this.perOffer = perOffer;
    }

    void stopLaunching()
    {
        launching = false;
    }

    int openTasks()
    {
        return open.size();
    }

    /**
     * What a real framework does now and then: ask about tasks it launched a while ago and has
     * heard nothing final of (an accept sent to a leader that died is lost; reconciliation answers
     * LOST for a task the master never launched).
     */
    void reconcileStale(final SchedulerDriver driver, final long olderThanNs)
    {
        final long now = System.nanoTime();
        final List<String> stale = new ArrayList<>();
        open.forEach((task, since) ->
        {
            if (now - since > olderThanNs)
            {
                stale.add(task);
            }
        });
        if (!stale.isEmpty())
        {
            reconciliations.incrementAndGet();
            driver.reconcileTasks(stale);
        }
    }

    @Override
    public void registered(final SchedulerDriver driver, final long frameworkId)
    {
    }

    @Override
    public void reregistered(final SchedulerDriver driver, final long frameworkId)
    {
    }

    @Override
    public void disconnected(final SchedulerDriver driver)
    {
        disconnects.incrementAndGet();
    }

    @Override
    public void resourceOffers(final SchedulerDriver driver, final List<Offer> offers)
    {
        final long now = System.nanoTime();
        for (final Offer offer : offers)
        {
            firstOfferNsByTerm.putIfAbsent(offer.offerId() >>> 32, now);
            final long room = Math.min(offer.resources().cpusMilli() / 100, offer.resources().memMiB() / 16);
            final int count = launching ? (int)Math.min(Math.min(room, perOffer), maxOpen - open.size()) : 0;
            if (count <= 0)
            {
                driver.declineOffer(offer.offerId(), 0.5);
                continue;
            }
            final List<TaskSpec> tasks = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final String id = "w" + (next++);
                final String command = COMMANDS[random.nextInt(COMMANDS.length)];
                launched.put(id, command);
                offerOfTask.put(id, offer.offerId());
                open.put(id, now);
                tasks.add(new TaskSpec(id, command, new Resources(100, 16, 0, 0)));
            }
            driver.acceptOffer(offer.offerId(), tasks);
        }
    }

    @Override
    public void statusUpdate(final SchedulerDriver driver, final TaskStatus s)
    {
        seen.add(new Seen(s.taskId(), s.state(), s.agentId(), s.uuidMsb(), s.uuidLsb(), s.message(), System.nanoTime()));
        if (s.state().isTerminal())
        {
            open.remove(s.taskId());
        }
    }

    @Override
    public void error(final SchedulerDriver driver, final String message)
    {
        errors.add(message);
        final Matcher m = OFFER_ID.matcher(message);
        if (message.startsWith("UNKNOWN_OFFER") && m.find())
        {
            final long offerId = Long.parseLong(m.group(1));
            refusedOffers.add(offerId);
            // Tasks of a refused offer were never launched.
            offerOfTask.forEach((task, offer) ->
            {
                if (offer == offerId)
                {
                    open.remove(task);
                }
            });
        }
    }
}
