package io.corral.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.FrameworkInfo;
import io.corral.client.Offer;
import io.corral.client.Resources;
import io.corral.client.Scheduler;
import io.corral.client.SchedulerDriver;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;

/**
 * A tiny Marathon: keeps N instances of a command running, launches a new one for each that ends
 * or whose agent is lost, places instances where the spread attribute (e.g. host) has the fewest,
 * and scales through a small HTTP control port ({@code POST /scale?instances=N}).
 */
public final class Service implements Scheduler, AutoCloseable
{
    private record Instance(String taskId, long agentId, String spreadValue)
    {
    }

    private final String name;
    private final String command;
    private final Resources resources;
    private final String spreadBy;
    private final PrintStream out;
    private final Map<String, Instance> instances = new ConcurrentHashMap<>();
    private final Map<Long, String> valueOfAgent = new ConcurrentHashMap<>();
    private final HttpServer control;
    private volatile int desired;
    private volatile SchedulerDriver driver;
    private int next;

    public Service(final String name, final String command, final Resources resources, final int instances,
        final String spreadBy, final PrintStream out) throws IOException
    {
        if (instances < 0)
        {
            throw new IllegalArgumentException("instances must not be negative");
        }
        this.name = name;
        this.command = command;
        this.resources = resources;
        this.desired = instances;
        this.spreadBy = spreadBy;
        this.out = out;
        // The same limits as the daemons' servers (and the JDK reads them when its first server starts).
        control = io.corral.codec.HttpServers.create("127.0.0.1", 0, "corral-service-control");
        control.createContext("/scale", this::scale);
        control.start();
    }

    /** host:port of the control API. */
    public String controlAddress()
    {
        return "127.0.0.1:" + control.getAddress().getPort();
    }

    public CorralSchedulerDriver start(final String masters)
    {
        final CorralSchedulerDriver d = new CorralSchedulerDriver(this,
            new FrameworkInfo("service-" + name, "default").withFailoverTimeoutMs(60_000), masters);
        driver = d;
        d.start();
        return d;
    }

    /** Instances currently running (RUNNING seen). */
    public int running()
    {
        return instances.size();
    }

    /** Spread values of the running instances, e.g. the hosts they run on. */
    public Map<String, Integer> spread()
    {
        final Map<String, Integer> count = new HashMap<>();
        instances.values().forEach(i -> count.merge(i.spreadValue(), 1, Integer::sum));
        return count;
    }

    private final Map<String, Instance> launching = new ConcurrentHashMap<>();

    @Override
    public void registered(final SchedulerDriver driver, final long frameworkId)
    {
        out.println("service " + name + ": " + desired + " instance(s) of '" + command + "'; control on " +
            controlAddress());
    }

    @Override
    public synchronized void resourceOffers(final SchedulerDriver driver, final List<Offer> offers)
    {
        for (final Offer offer : offers)
        {
            final String value = spreadBy == null ? "-" : offer.attributes().getOrDefault(spreadBy, offer.hostname());
            valueOfAgent.put(offer.agentId(), value);
            if (instances.size() + launching.size() < desired && offer.resources().fits(resources) && leastUsed(value))
            {
                final String id = name + "-" + (next++);
                launching.put(id, new Instance(id, offer.agentId(), value));
                driver.acceptOffer(offer.offerId(), List.of(new TaskSpec(id, command, resources)));
            }
            else
            {
                driver.declineOffer(offer.offerId(), 1);
            }
        }
    }

    /** True if no known spread value has fewer instances than {@code value}. */
    private boolean leastUsed(final String value)
    {
        final Map<String, Integer> count = new HashMap<>();
        valueOfAgent.values().forEach(v -> count.putIfAbsent(v, 0));
        instances.values().forEach(i -> count.merge(i.spreadValue(), 1, Integer::sum));
        launching.values().forEach(i -> count.merge(i.spreadValue(), 1, Integer::sum));
        final int mine = count.getOrDefault(value, 0);
        return count.values().stream().allMatch(c -> c >= mine);
    }

    @Override
    public synchronized void statusUpdate(final SchedulerDriver driver, final TaskStatus status)
    {
        if (status.state() == TaskState.RUNNING)
        {
            final Instance i = launching.remove(status.taskId());
            if (i != null)
            {
                instances.put(status.taskId(), i);
                out.println("service " + name + ": " + status.taskId() + " running (" + instances.size() + "/" + desired + ")");
            }
        }
        else if (status.state().isTerminal())
        {
            launching.remove(status.taskId());
            if (instances.remove(status.taskId()) != null)
            {
                out.println("service " + name + ": " + status.taskId() + " " + status.state() + "; " +
                    (instances.size() < desired ? "replacing it" : "not needed"));
            }
            driver.reviveOffers(List.of());
        }
    }

    @Override
    public void error(final SchedulerDriver driver, final String message)
    {
        out.println("service " + name + ": error: " + message);
    }

    @Override
    public void agentLost(final SchedulerDriver driver, final long agentId)
    {
        valueOfAgent.remove(agentId);
    }

    /** Changes the number of instances: more are launched on the next offers, extra ones are killed. */
    public synchronized void scale(final int instancesWanted)
    {
        if (instancesWanted < 0)
        {
            throw new IllegalArgumentException("instances must not be negative");
        }
        desired = instancesWanted;
        final List<String> extra = new ArrayList<>(instances.keySet());
        for (int i = instancesWanted; i < extra.size(); i++)
        {
            driver.killTask(extra.get(i));
        }
        driver.reviveOffers(List.of());
        out.println("service " + name + ": scaled to " + instancesWanted);
    }

    private void scale(final HttpExchange exchange) throws IOException
    {
        String reply;
        int code = 200;
        try
        {
            final String q = exchange.getRequestURI().getQuery();
            scale(Integer.parseInt(q == null ? "" : q.replace("instances=", "")));
            reply = "scaled to " + desired;
        }
        catch (final IllegalArgumentException ex)
        {
            code = 400;
            reply = "use POST /scale?instances=N with N >= 0";
        }
        final byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream o = exchange.getResponseBody())
        {
            o.write(bytes);
        }
    }

    @Override
    public void close()
    {
        io.corral.codec.HttpServers.stop(control);
    }
}
