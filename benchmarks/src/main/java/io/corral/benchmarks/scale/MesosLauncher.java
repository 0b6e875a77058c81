package io.corral.benchmarks.scale;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Recorder;
import org.apache.mesos.v1.Protos;
import org.apache.mesos.v1.scheduler.Protos.Call;
import org.apache.mesos.v1.scheduler.Protos.Event;

/**
 * The scale harness's framework through Mesos's v1 HTTP API instead of the native client, as a
 * Mesos framework would be written by hand: one SUBSCRIBE stream (protobuf, RecordIO) read on its
 * own thread, each offer accepted with many small tasks in one ACCEPT, each update acknowledged,
 * calls sent without waiting for their 202 (at most {@link #IN_FLIGHT} at once). After the stream
 * ends (a leader change) it subscribes again with its framework id, to whichever master answers.
 */
final class MesosLauncher implements AutoCloseable
{
    private static final String PROTOBUF = "application/x-protobuf";
    private static final int IN_FLIGHT = 24;

    private final String name;
    private final String role;
    private final List<URI> schedulers;
    private final String authorization;
    private final int tasksPerOffer;
    private final Recorder acceptToRunning;
    private final AtomicLong accepted;
    private final AtomicLong running;
    final AtomicLong refusedCalls = new AtomicLong();
    /** Calls sent (ACCEPT, DECLINE, ACKNOWLEDGE), and each call's time to its answer. */
    final AtomicLong sentCalls = new AtomicLong();
    final Recorder callLatency = new Recorder(3);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(2)).build();
    private final java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(IN_FLIGHT);
    private final Thread reader;
    /** Read and written by the reader thread only. */
    private final Map<String, Long> acceptedAtNs = new HashMap<>();
    private volatile boolean closed;
    private volatile InputStream stream;
    private Protos.FrameworkID frameworkId;
    private String streamId;
    private URI leader;
    private long next;
    /** With a rate: tasks this framework may still launch (a token bucket refilled at {@code rate}). */
    private final double rate;
    private double allowance;
    private long refilledAtNs = System.nanoTime();

    MesosLauncher(final String name, final String role, final List<URI> schedulers, final String authorization,
        final int tasksPerOffer, final double rate, final Recorder acceptToRunning, final AtomicLong accepted,
        final AtomicLong running)
    {
        this.rate = rate;
        this.name = name;
        this.role = role;
        this.schedulers = schedulers;
        this.authorization = authorization;
        this.tasksPerOffer = tasksPerOffer;
        this.acceptToRunning = acceptToRunning;
        this.accepted = accepted;
        this.running = running;
        reader = new Thread(this::run, "mesos-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    private void run()
    {
        int attempt = 0;
        while (!closed)
        {
            final URI uri = schedulers.get(attempt++ % schedulers.size());
            try
            {
                subscribeAndRead(uri);
            }
            catch (final IOException ex)
            {
                // The master went away or is not leading yet: try the next.
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            if (!closed)
            {
                try
                {
                    Thread.sleep(100);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
        }
    }

    private void subscribeAndRead(final URI uri) throws IOException, InterruptedException
    {
        final Protos.FrameworkInfo.Builder info = Protos.FrameworkInfo.newBuilder().setUser("nobody").setName(name)
            .setRole(role).setFailoverTimeout(300);
        final Call.Builder call = Call.newBuilder().setType(Call.Type.SUBSCRIBE);
        if (frameworkId != null)
        {
            info.setId(frameworkId);
            call.setFrameworkId(frameworkId);
        }
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Content-Type", PROTOBUF)
            .header("Accept", PROTOBUF).POST(HttpRequest.BodyPublishers.ofByteArray(
                call.setSubscribe(Call.Subscribe.newBuilder().setFrameworkInfo(info)).build().toByteArray()));
        if (authorization != null)
        {
            request.header("Authorization", authorization);
        }
        final HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200)
        {
            response.body().close();
            return;
        }
        leader = response.uri();
        streamId = response.headers().firstValue("Mesos-Stream-Id").orElseThrow();
        try (InputStream in = response.body())
        {
            stream = in;
            while (!closed)
            {
                long length = 0;
                int c;
                while ((c = in.read()) != '\n')
                {
                    if (c < 0)
                    {
                        return;
                    }
                    length = length * 10 + (c - '0');
                }
                handle(Event.parseFrom(in.readNBytes((int)length)));
            }
        }
    }

    private void handle(final Event event) throws InterruptedException
    {
        switch (event.getType())
        {
            case SUBSCRIBED -> frameworkId = event.getSubscribed().getFrameworkId();
            case OFFERS ->
            {
                if (rate > 0)
                {
                    final long nowNs = System.nanoTime();
                    allowance = Math.min(rate, allowance + rate * (nowNs - refilledAtNs) / 1e9);
                    refilledAtNs = nowNs;
                }
                for (final Protos.Offer offer : event.getOffers().getOffersList())
                {
                    accept(offer);
                }
            }
            case UPDATE ->
            {
                final Protos.TaskStatus s = event.getUpdate().getStatus();
                if (s.getState() == Protos.TaskState.TASK_RUNNING)
                {
                    final Long at = acceptedAtNs.remove(s.getTaskId().getValue());
                    if (at != null)
                    {
                        acceptToRunning.recordValue(System.nanoTime() - at);
                        running.incrementAndGet();
                    }
                }
                else if (s.getState() != Protos.TaskState.TASK_STARTING && s.getState() != Protos.TaskState.TASK_STAGING)
                {
                    acceptedAtNs.remove(s.getTaskId().getValue());
                }
                if (s.hasUuid())
                {
                    send(Call.newBuilder().setFrameworkId(frameworkId).setType(Call.Type.ACKNOWLEDGE)
                        .setAcknowledge(Call.Acknowledge.newBuilder().setAgentId(s.getAgentId())
                            .setTaskId(s.getTaskId()).setUuid(s.getUuid())).build());
                }
            }
            default ->
            {
                // HEARTBEAT, RESCIND, ERROR: nothing to do here.
            }
        }
    }

    private void accept(final Protos.Offer offer) throws InterruptedException
    {
        double cpus = 0;
        double mem = 0;
        for (final Protos.Resource r : offer.getResourcesList())
        {
            if (r.getName().equals("cpus"))
            {
                cpus += r.getScalar().getValue();
            }
            else if (r.getName().equals("mem"))
            {
                mem += r.getScalar().getValue();
            }
        }
        int fit = (int)Math.min(tasksPerOffer, Math.min(Math.round(cpus * 1000) / 10, (long)mem));
        if (rate > 0)
        {
            fit = (int)Math.min(fit, allowance);
            allowance -= fit;
        }
        if (fit <= 0)
        {
            // Over the rate (or nothing fits): this agent again in 10 s, as the native harness does.
            send(Call.newBuilder().setFrameworkId(frameworkId).setType(Call.Type.DECLINE)
                .setDecline(Call.Decline.newBuilder().addOfferIds(offer.getId()).setFilters(Protos.Filters.newBuilder()
                    .setRefuseSeconds(rate > 0 ? 10 : 0))).build());
            return;
        }
        final Protos.Offer.Operation.Launch.Builder launch = Protos.Offer.Operation.Launch.newBuilder();
        final long nowNs = System.nanoTime();
        for (int i = 0; i < fit; i++)
        {
            final String id = name + "-" + (next++);
            launch.addTaskInfos(Protos.TaskInfo.newBuilder().setName(id).setTaskId(Protos.TaskID.newBuilder()
                .setValue(id)).setAgentId(offer.getAgentId())
                .addResources(scalar("cpus", 0.01)).addResources(scalar("mem", 1))
                .setCommand(Protos.CommandInfo.newBuilder().setValue("sim")));
            acceptedAtNs.put(id, nowNs);
        }
        accepted.addAndGet(fit);
        send(Call.newBuilder().setFrameworkId(frameworkId).setType(Call.Type.ACCEPT).setAccept(Call.Accept.newBuilder()
            .addOfferIds(offer.getId()).addOperations(Protos.Offer.Operation.newBuilder()
                .setType(Protos.Offer.Operation.Type.LAUNCH).setLaunch(launch))).build());
    }

    private static Protos.Resource scalar(final String name, final double value)
    {
        return Protos.Resource.newBuilder().setName(name).setType(Protos.Value.Type.SCALAR)
            .setScalar(Protos.Value.Scalar.newBuilder().setValue(value)).setRole("*").build();
    }

    /** Posts a call to the leader without waiting for the answer (the reader keeps reading). */
    private void send(final Call call) throws InterruptedException
    {
        inFlight.acquire();
        final HttpRequest.Builder request = HttpRequest.newBuilder(leader).header("Content-Type", PROTOBUF)
            .header("Mesos-Stream-Id", streamId).POST(HttpRequest.BodyPublishers.ofByteArray(call.toByteArray()));
        if (authorization != null)
        {
            request.header("Authorization", authorization);
        }
        sentCalls.incrementAndGet();
        final long sentNs = System.nanoTime();
        http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()).whenComplete((r, ex) ->
        {
            inFlight.release();
            callLatency.recordValue(System.nanoTime() - sentNs);
            if (ex != null || r.statusCode() != 202)
            {
                if (refusedCalls.incrementAndGet() <= 3)
                {
                    System.out.println("[" + name + "] " + call.getType() + " refused: " +
                        (ex != null ? ex.toString() : r.statusCode() + " " + r.body()));
                }
            }
        });
    }

    @Override
    public void close()
    {
        closed = true;
        final InputStream in = stream;
        if (in != null)
        {
            try
            {
                in.close();
            }
            catch (final IOException ex)
            {
                // closing anyway
            }
        }
        reader.interrupt();
    }
}
