package io.corral.master.mesos;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

import io.corral.client.CorralSchedulerDriver;
import io.corral.client.Offer;
import io.corral.client.Scheduler;
import io.corral.client.SchedulerDriver;
import io.corral.client.TaskStatus;
import org.apache.mesos.v1.Protos;
import org.apache.mesos.v1.scheduler.Protos.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Mesos v1 framework's SUBSCRIBE stream. It subscribes to the quorum as a Corral framework
 * through the thin client's driver (so it authenticates, is authorized, fails over and is
 * offered exactly as a native framework), and turns the driver's callbacks into Mesos events,
 * RecordIO-framed on the open HTTP response. Threads: the driver's callback thread makes events
 * and queues them; this stream's writer thread alone writes the response (and a HEARTBEAT when
 * nothing else went out for the heartbeat interval); HTTP handler threads only call the driver,
 * which is safe from any thread.
 */
final class SchedulerStream implements Scheduler
{
    private static final Logger LOG = LoggerFactory.getLogger(SchedulerStream.class);
    private static final Object END = new Object();
    /** An unacknowledged update goes to the client again after this long at the soonest (Mesos's agent: 10 s). */
    static final long REDELIVER_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int LAST_DELIVERED_MAX = 65_536;

    final String streamId = java.util.UUID.randomUUID().toString();
    final boolean protobuf;
    final boolean multiRole;
    final String principal;
    private final long heartbeatSeconds;
    private final LongFunction<String> agentHttp;
    private final java.util.function.Consumer<SchedulerStream> onEnd;
    /** Whether this master still leads: a stream lives on the leader only (calls go to the leader). */
    private final java.util.function.BooleanSupplier leading;
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    /**
     * Per task, the uuid of the update last passed on and when: owned by the driver's callback
     * thread (statusUpdate); the oldest entries go beyond {@value #LAST_DELIVERED_MAX} tasks.
     */
    private final java.util.LinkedHashMap<String, long[]> lastDelivered = new java.util.LinkedHashMap<>()
    {
        @Override
        protected boolean removeEldestEntry(final java.util.Map.Entry<String, long[]> eldest)
        {
            return size() > LAST_DELIVERED_MAX;
        }
    };
    /** Completed with null once subscribed, or with the master's reason for refusing. */
    final CompletableFuture<String> subscribed = new CompletableFuture<>();
    private CorralSchedulerDriver driver;
    volatile long frameworkId;
    private volatile boolean ended;
    private volatile String endReason = "";

    SchedulerStream(final boolean protobuf, final boolean multiRole, final String principal,
        final long heartbeatSeconds, final LongFunction<String> agentHttp,
        final java.util.function.Consumer<SchedulerStream> onEnd, final java.util.function.BooleanSupplier leading)
    {
        this.leading = leading;
        this.protobuf = protobuf;
        this.multiRole = multiRole;
        this.principal = principal;
        this.heartbeatSeconds = heartbeatSeconds;
        this.agentHttp = agentHttp;
        this.onEnd = onEnd;
    }

    /** Subscribes with {@code driver} (made for this stream, not started). */
    void start(final CorralSchedulerDriver driver)
    {
        this.driver = driver;
        driver.explicitAcknowledgements().redeliverUnacknowledged();
        driver.start();
    }

    SchedulerDriver driver()
    {
        return driver;
    }

    boolean ended()
    {
        return ended;
    }

    /** Ends the stream: the response closes, the driver closes without tearing the framework down. */
    void end(final String reason)
    {
        if (!ended)
        {
            endReason = reason;
            ended = true;
            events.add(END);
        }
    }

    /** As TEARDOWN: the framework leaves (its tasks are killed), then the stream ends. */
    void teardown()
    {
        ended = true;
        endReason = "torn down";
        driver.stop();
        events.add(END);
        onEnd.accept(this);
    }

    /**
     * Writes the stream to {@code out} until it ends, on the calling thread: SUBSCRIBED, then each
     * event, with HEARTBEATs in between. Returns when the stream ended or the client went away.
     */
    void write(final OutputStream out, final Protos.MasterInfo masterInfo)
    {
        try
        {
            send(out, Event.newBuilder().setType(Event.Type.SUBSCRIBED).setSubscribed(Event.Subscribed.newBuilder()
                .setFrameworkId(MesosMapping.frameworkId(frameworkId)).setHeartbeatIntervalSeconds(heartbeatSeconds)
                .setMasterInfo(masterInfo)).build());
            long lastSentNs = System.nanoTime();
            while (true)
            {
                final Object next = events.poll(1, TimeUnit.SECONDS);
                if (next == END)
                {
                    break;
                }
                if (next == null)
                {
                    if (!leading.getAsBoolean())
                    {
                        endReason = "the leading master changed: subscribe again with the framework id";
                        break;
                    }
                    if (System.nanoTime() - lastSentNs < TimeUnit.SECONDS.toNanos(heartbeatSeconds))
                    {
                        continue;
                    }
                }
                send(out, next == null ? Event.newBuilder().setType(Event.Type.HEARTBEAT).build() : (Event)next);
                lastSentNs = System.nanoTime();
            }
        }
        catch (final IOException ex)
        {
            endReason = "the client closed the stream";
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            endReason = "the master is stopping";
        }
        finally
        {
            ended = true;
            try
            {
                out.close();
            }
            catch (final IOException ex)
            {
                // gone already
            }
            if (driver != null)
            {
                // A closed stream is a disconnection, as in Mesos: the failover timeout starts.
                driver.close();
            }
            onEnd.accept(this);
            LOG.info("Mesos framework {} ({}): stream {} ended: {}", frameworkId, principal, streamId, endReason);
        }
    }

    private void send(final OutputStream out, final Event event) throws IOException
    {
        final byte[] record = protobuf ? event.toByteArray() : MesosJson.print(event).getBytes(StandardCharsets.UTF_8);
        out.write((record.length + "\n").getBytes(StandardCharsets.US_ASCII));
        out.write(record);
        out.flush();
    }

    private void queue(final Event event)
    {
        if (!ended)
        {
            events.add(event);
        }
    }

    // Scheduler callbacks (the driver's callback thread).

    @Override
    public void registered(final SchedulerDriver d, final long id)
    {
        frameworkId = id;
        subscribed.complete(null);
    }

    @Override
    public void reregistered(final SchedulerDriver d, final long id)
    {
        registered(d, id);
    }

    @Override
    public void resourceOffers(final SchedulerDriver d, final List<Offer> offers)
    {
        final Event.Offers.Builder b = Event.Offers.newBuilder();
        for (final Offer o : offers)
        {
            final String role = MesosMapping.mesosRole(o.role());
            final Protos.Offer.Builder offer = Protos.Offer.newBuilder().setId(MesosMapping.offerId(o.offerId()))
                .setFrameworkId(MesosMapping.frameworkId(frameworkId)).setAgentId(MesosMapping.agentId(o.agentId()))
                .setHostname(o.hostname()).addAllResources(MesosMapping.resources(o.resources(), multiRole ? role : null))
                .addAllAttributes(MesosMapping.attributes(o.attributes()));
            if (multiRole)
            {
                offer.setAllocationInfo(Protos.Resource.AllocationInfo.newBuilder().setRole(role));
            }
            final String http = agentHttp.apply(o.agentId());
            if (http != null && !http.isEmpty())
            {
                offer.setUrl(Protos.URL.newBuilder().setScheme("http").setAddress(Protos.Address.newBuilder()
                    .setHostname(io.corral.codec.Protocol.host(http)).setPort(io.corral.codec.Protocol.port(http)))
                    .setPath("/"));
            }
            b.addOffers(offer);
        }
        queue(Event.newBuilder().setType(Event.Type.OFFERS).setOffers(b).build());
    }

    @Override
    public void statusUpdate(final SchedulerDriver d, final TaskStatus status)
    {
        if (status.uuidMsb() != 0 || status.uuidLsb() != 0)
        {
            // The driver hands over every resend of an unacknowledged update (the agent resends
            // after 1 s, doubling); pass one on every REDELIVER_NS at most, as a Mesos agent's
            // retry interval would, so a slow client is not buried in duplicates.
            final long nowNs = System.nanoTime();
            final long[] last = lastDelivered.get(status.taskId());
            if (last != null && last[0] == status.uuidMsb() && last[1] == status.uuidLsb() &&
                nowNs - last[2] < REDELIVER_NS)
            {
                return;
            }
            lastDelivered.put(status.taskId(), new long[] { status.uuidMsb(), status.uuidLsb(), nowNs });
        }
        queue(Event.newBuilder().setType(Event.Type.UPDATE)
            .setUpdate(Event.Update.newBuilder().setStatus(MesosMapping.status(status))).build());
    }

    /** A status the gateway makes itself (a task Corral cannot run): TASK_ERROR, no uuid, nothing to acknowledge. */
    void refuseTask(final Protos.TaskInfo task, final String reason)
    {
        final Protos.TaskStatus.Builder s = Protos.TaskStatus.newBuilder().setTaskId(task.getTaskId())
            .setState(Protos.TaskState.TASK_ERROR).setSource(Protos.TaskStatus.Source.SOURCE_MASTER)
            .setReason(Protos.TaskStatus.Reason.REASON_TASK_INVALID).setMessage(reason)
            .setTimestamp(System.currentTimeMillis() / 1000.0);
        if (task.hasAgentId())
        {
            s.setAgentId(task.getAgentId());
        }
        queue(Event.newBuilder().setType(Event.Type.UPDATE).setUpdate(Event.Update.newBuilder().setStatus(s)).build());
    }

    @Override
    public void offerRescinded(final SchedulerDriver d, final long offerId)
    {
        queue(Event.newBuilder().setType(Event.Type.RESCIND)
            .setRescind(Event.Rescind.newBuilder().setOfferId(MesosMapping.offerId(offerId))).build());
    }

    @Override
    public void agentLost(final SchedulerDriver d, final long agentId)
    {
        queue(Event.newBuilder().setType(Event.Type.FAILURE)
            .setFailure(Event.Failure.newBuilder().setAgentId(MesosMapping.agentId(agentId))).build());
    }

    @Override
    public void error(final SchedulerDriver d, final String message)
    {
        if (!subscribed.complete(message))
        {
            queue(Event.newBuilder().setType(Event.Type.ERROR).setError(Event.Error.newBuilder().setMessage(message))
                .build());
        }
    }

    @Override
    public void disconnected(final SchedulerDriver d)
    {
        // A leader change closes the stream, as in Mesos; the client subscribes again (to the new
        // leader). A driver that only lost a busy leader for a moment subscribes again by itself
        // (reregistered) and the stream goes on: the writer ends it once this master stops leading.
        if (!leading.getAsBoolean())
        {
            end("the leading master changed: subscribe again with the framework id");
        }
    }
}
