package io.corral.cli;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.mesosphere.mesos.rx.java.Mesos4xxException;
import com.mesosphere.mesos.rx.java.protobuf.SchedulerCalls;
import io.corral.codec.Protocol;
import io.corral.master.MasterNode;
import io.corral.testkit.Await;
import org.apache.mesos.v1.Protos;
import org.apache.mesos.v1.scheduler.Protos.Call;
import org.apache.mesos.v1.scheduler.Protos.Event;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An unmodified Mesos v1 framework client (mesos-rxjava 0.2.0 with Mesos 1.11's protos) against a
 * real 3-master quorum with a real agent, as corral dev runs it (credentials on, the scheduler
 * endpoint open on loopback): it subscribes through a follower (the client's /redirect probe
 * finds the leader), launches real commands, acknowledges their updates, kills, declines with a
 * filter, revives, suppresses, reconciles, survives a leader kill by subscribing again with its
 * framework id, and tears down.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MesosClientTest
{
    private static final Duration WAIT = Duration.ofSeconds(45);

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<AutoCloseable> closing = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws Exception
    {
        cluster = LocalCluster.secured(dir.toFile(), 3, 1, LocalCluster.freeBasePort(3), 2, 1024, c -> { }, "");
        cluster.awaitReady(60, TimeUnit.SECONDS);
        Await.until("the agent registers", WAIT, () -> cluster.leader() != null &&
            cluster.leader().state().agents().size() == 1);
    }

    @AfterEach
    void stop() throws Exception
    {
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            closing.get(i).close();
        }
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private static URI schedulerUri(final MasterNode master)
    {
        return URI.create("http://" + Protocol.host(master.address()) + ":" +
            (Protocol.port(master.address()) + Protocol.HTTP_PORT_OFFSET) + "/api/v1/scheduler");
    }

    private MasterNode follower()
    {
        final MasterNode leader = cluster.leader();
        return cluster.masters().stream().filter(m -> m != leader).findFirst().orElseThrow();
    }

    private static Call subscribeCall(final Protos.FrameworkID id, final double failoverSeconds)
    {
        final Protos.FrameworkInfo.Builder info = Protos.FrameworkInfo.newBuilder().setUser("nobody")
            .setName("mesos-rx-test").setFailoverTimeout(failoverSeconds).setRole("*");
        final Call.Builder call = Call.newBuilder().setType(Call.Type.SUBSCRIBE);
        if (id != null)
        {
            info.setId(id);
            call.setFrameworkId(id);
        }
        return call.setSubscribe(Call.Subscribe.newBuilder().setFrameworkInfo(info)).build();
    }

    private RxFramework framework(final URI uri, final Protos.FrameworkID id)
    {
        final RxFramework f = new RxFramework(uri, subscribeCall(id, 300));
        closing.add(f);
        return f;
    }

    private static Protos.TaskInfo task(final Protos.Offer offer, final String id, final String command)
    {
        return Protos.TaskInfo.newBuilder().setName(id).setTaskId(Protos.TaskID.newBuilder().setValue(id))
            .setAgentId(offer.getAgentId())
            .addResources(scalar("cpus", 0.1)).addResources(scalar("mem", 32))
            .setCommand(Protos.CommandInfo.newBuilder().setValue(command)).build();
    }

    private static Protos.Resource scalar(final String name, final double value)
    {
        return Protos.Resource.newBuilder().setName(name).setType(Protos.Value.Type.SCALAR)
            .setScalar(Protos.Value.Scalar.newBuilder().setValue(value)).setRole("*").build();
    }

    private static Call launch(final Protos.FrameworkID id, final Protos.Offer offer, final Protos.TaskInfo... tasks)
    {
        return Call.newBuilder().setFrameworkId(id).setType(Call.Type.ACCEPT).setAccept(Call.Accept.newBuilder()
            .addOfferIds(offer.getId()).addOperations(Protos.Offer.Operation.newBuilder()
                .setType(Protos.Offer.Operation.Type.LAUNCH)
                .setLaunch(Protos.Offer.Operation.Launch.newBuilder().addAllTaskInfos(List.of(tasks))))).build();
    }

    private static Protos.Offer offer(final RxFramework f) throws InterruptedException
    {
        return f.next("an offer", WAIT, e -> e.getType() == Event.Type.OFFERS).getOffers().getOffers(0);
    }

    /** The next update of {@code taskId} in {@code state} (RxFramework acknowledges it if it carries a uuid). */
    private static Protos.TaskStatus update(final RxFramework f, final Protos.FrameworkID id, final String taskId,
        final Protos.TaskState state) throws Exception
    {
        return f.next(taskId + " " + state, WAIT, ev -> ev.getType() == Event.Type.UPDATE &&
            ev.getUpdate().getStatus().getTaskId().getValue().equals(taskId) &&
            ev.getUpdate().getStatus().getState() == state).getUpdate().getStatus();
    }

    /** No OFFERS for 3 s (the allocator runs every second): what a filter or a suppression promises. */
    private static void assertNoOffer(final RxFramework f, final String when) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < deadline)
        {
            final Event e = f.events.poll(100, TimeUnit.MILLISECONDS);
            assertFalse(e != null && e.getType() == Event.Type.OFFERS, "no offer " + when + ": " + e);
        }
    }

    @Test
    void anUnmodifiedMesosFrameworkRunsKillsDeclinesReconcilesAndTearsDown() throws Exception
    {
        final RxFramework f = framework(schedulerUri(follower()), null);
        final Event subscribed = f.next("SUBSCRIBED", WAIT, e -> e.getType() == Event.Type.SUBSCRIBED);
        final Protos.FrameworkID id = subscribed.getSubscribed().getFrameworkId();
        assertEquals(15.0, subscribed.getSubscribed().getHeartbeatIntervalSeconds());
        assertTrue(subscribed.getSubscribed().getMasterInfo().getPort() > 0);

        Protos.Offer offer = offer(f);
        assertEquals(id, offer.getFrameworkId());
        assertEquals("agent-1", offer.getHostname());
        assertEquals(Long.toString(cluster.agents().get(0).agentId()), offer.getAgentId().getValue());
        assertTrue(offer.getResourcesList().stream().anyMatch(r -> r.getName().equals("cpus") &&
            r.getType() == Protos.Value.Type.SCALAR && r.getScalar().getValue() == 2.0 && r.getRole().equals("*")),
            offer.toString());
        assertTrue(offer.getAttributesList().stream().anyMatch(a -> a.getName().equals("zone") &&
            a.getText().getValue().equals("local")), offer.toString());

        // echo runs and finishes; a failing command fails; an executor is refused with TASK_ERROR.
        final Protos.TaskInfo withExecutor = task(offer, "with-executor", "true").toBuilder()
            .setExecutor(Protos.ExecutorInfo.newBuilder().setExecutorId(Protos.ExecutorID.newBuilder().setValue("e"))
                .setCommand(Protos.CommandInfo.newBuilder().setValue("true"))).build();
        f.send(launch(id, offer, task(offer, "echo", "echo hello"), task(offer, "fails", "exit 3"), withExecutor))
            .get(30, TimeUnit.SECONDS);
        final Protos.TaskStatus refused = update(f, id, "with-executor", Protos.TaskState.TASK_ERROR);
        assertTrue(refused.getMessage().contains("executor"), refused.getMessage());
        final Protos.TaskStatus running = update(f, id, "echo", Protos.TaskState.TASK_RUNNING);
        assertTrue(running.hasUuid() && running.hasAgentId() && running.hasTimestamp(), running.toString());
        assertEquals(Protos.TaskStatus.Source.SOURCE_EXECUTOR, running.getSource());
        update(f, id, "echo", Protos.TaskState.TASK_FINISHED);
        final Protos.TaskStatus failed = update(f, id, "fails", Protos.TaskState.TASK_FAILED);
        assertTrue(failed.getMessage().contains("3"), failed.getMessage());

        // KILL a long task.
        offer = offer(f);
        f.send(launch(id, offer, task(offer, "sleeper", "sleep 600"))).get(30, TimeUnit.SECONDS);
        update(f, id, "sleeper", Protos.TaskState.TASK_RUNNING);
        f.send(Call.newBuilder().setFrameworkId(id).setType(Call.Type.KILL).setKill(Call.Kill.newBuilder()
            .setTaskId(Protos.TaskID.newBuilder().setValue("sleeper"))).build()).get(30, TimeUnit.SECONDS);
        update(f, id, "sleeper", Protos.TaskState.TASK_KILLED);

        // RECONCILE, explicit: the master answers with the task's latest state, no uuid.
        f.send(Call.newBuilder().setFrameworkId(id).setType(Call.Type.RECONCILE).setReconcile(Call.Reconcile.newBuilder()
            .addTasks(Call.Reconcile.Task.newBuilder().setTaskId(Protos.TaskID.newBuilder().setValue("echo"))))
            .build()).get(30, TimeUnit.SECONDS);
        final Protos.TaskStatus reconciled = update(f, id, "echo", Protos.TaskState.TASK_FINISHED);
        assertFalse(reconciled.hasUuid());
        assertEquals(Protos.TaskStatus.Reason.REASON_RECONCILIATION, reconciled.getReason());

        // DECLINE with an hour's filter: the agent is not offered again until REVIVE.
        offer = offer(f);
        f.send(SchedulerCalls.decline(id, List.of(offer.getId())).toBuilder().setDecline(Call.Decline.newBuilder()
            .addOfferIds(offer.getId()).setFilters(Protos.Filters.newBuilder().setRefuseSeconds(3600))).build())
            .get(30, TimeUnit.SECONDS);
        f.events.clear();
        assertNoOffer(f, "after a DECLINE with an hour's filter");
        f.send(Call.newBuilder().setFrameworkId(id).setType(Call.Type.REVIVE).build()).get(30, TimeUnit.SECONDS);
        offer = offer(f);

        // SUPPRESS, then an ACCEPT with an operation Corral does not do is refused with the reason.
        f.send(Call.newBuilder().setFrameworkId(id).setType(Call.Type.SUPPRESS).build()).get(30, TimeUnit.SECONDS);
        final Call reserve = Call.newBuilder().setFrameworkId(id).setType(Call.Type.ACCEPT).setAccept(Call.Accept
            .newBuilder().addOfferIds(offer.getId()).addOperations(Protos.Offer.Operation.newBuilder()
                .setType(Protos.Offer.Operation.Type.RESERVE))).build();
        final ExecutionException refusedOp = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
            () -> f.send(reserve).get(30, TimeUnit.SECONDS));
        final Mesos4xxException client = assertInstanceOf(Mesos4xxException.class, refusedOp.getCause());
        assertEquals(400, client.getContext().getStatusCode());
        assertTrue(client.getContext().getMessage().contains("RESERVE is not supported"),
            client.getContext().getMessage());
        // Suppressed: the offer declined without a filter does not come back until REVIVE.
        f.send(SchedulerCalls.decline(id, List.of(offer.getId())).toBuilder().setDecline(Call.Decline.newBuilder()
            .addOfferIds(offer.getId()).setFilters(Protos.Filters.newBuilder().setRefuseSeconds(0))).build())
            .get(30, TimeUnit.SECONDS);
        f.events.clear();
        assertNoOffer(f, "while suppressed");
        f.send(Call.newBuilder().setFrameworkId(id).setType(Call.Type.REVIVE).build()).get(30, TimeUnit.SECONDS);
        offer(f);

        // TEARDOWN: the framework leaves the cluster.
        f.send(Call.newBuilder().setFrameworkId(id).setType(Call.Type.TEARDOWN).build()).get(30, TimeUnit.SECONDS);
        final long corralId = Long.parseLong(id.getValue());
        Await.until("the framework is removed", WAIT, () -> cluster.leader() != null &&
            cluster.leader().state().framework(corralId) == null);
        assertTrue(f.awaitStreamEnd(WAIT), "the stream closes after TEARDOWN");
    }

    @Test
    void afterALeaderKillTheClientSubscribesAgainWithItsIdAndItsTaskStillReports() throws Exception
    {
        final RxFramework first = framework(schedulerUri(cluster.leader()), null);
        final Protos.FrameworkID id = first.next("SUBSCRIBED", WAIT, e -> e.getType() == Event.Type.SUBSCRIBED)
            .getSubscribed().getFrameworkId();
        final Protos.Offer offer = offer(first);
        first.send(launch(id, offer, task(offer, "survivor", "sleep 600"))).get(30, TimeUnit.SECONDS);
        update(first, id, "survivor", Protos.TaskState.TASK_RUNNING);

        final MasterNode old = cluster.leader();
        cluster.stopMaster(old);
        assertTrue(first.awaitStreamEnd(WAIT), "the leader's death closes the stream");

        // As a Mesos framework does: subscribe again, with the framework id, to any master.
        final RxFramework again = framework(schedulerUri(cluster.masters().get(0)), id);
        final Event resubscribed = again.next("SUBSCRIBED again", Duration.ofSeconds(90),
            e -> e.getType() == Event.Type.SUBSCRIBED);
        assertEquals(id, resubscribed.getSubscribed().getFrameworkId());
        assertNotEquals(old.id() + "", resubscribed.getSubscribed().getMasterInfo().getId()
            .replace("corral-master-", ""));
        again.send(Call.newBuilder().setFrameworkId(id).setType(Call.Type.RECONCILE)
            .setReconcile(Call.Reconcile.newBuilder()).build()).get(30, TimeUnit.SECONDS);
        update(again, id, "survivor", Protos.TaskState.TASK_RUNNING);
        again.send(Call.newBuilder().setFrameworkId(id).setType(Call.Type.KILL).setKill(Call.Kill.newBuilder()
            .setTaskId(Protos.TaskID.newBuilder().setValue("survivor"))).build()).get(30, TimeUnit.SECONDS);
        update(again, id, "survivor", Protos.TaskState.TASK_KILLED);
    }

    @Test
    void aCorralFrameworkAndAMesosFrameworkShareTheAgentByDrf() throws Exception
    {
        // Both take one quarter-CPU task from each offer they get; the agent has 2 CPUs, so 8 fit.
        // DRF offers the rest to whichever has the lower dominant share, so each ends with half.
        // Neither launches before both are subscribed (offers till then are declined for 0.2 s).
        final java.util.concurrent.atomic.AtomicBoolean go = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicInteger nativeLaunched = new java.util.concurrent.atomic.AtomicInteger();
        final io.corral.client.Scheduler oneTaskPerOffer = new io.corral.testkit.RecordingScheduler()
        {
            @Override
            public void resourceOffers(final io.corral.client.SchedulerDriver driver,
                final List<io.corral.client.Offer> offers)
            {
                for (final io.corral.client.Offer o : offers)
                {
                    if (go.get() && o.resources().cpusMilli() >= 250 && o.resources().memMiB() >= 32)
                    {
                        driver.acceptOffer(o.offerId(), List.of(new io.corral.client.TaskSpec(
                            "native-" + nativeLaunched.incrementAndGet(), "sleep 600",
                            io.corral.client.Resources.of(0.25, 32))));
                    }
                    else
                    {
                        driver.declineOffer(o.offerId(), 0.2);
                    }
                }
            }
        };
        final io.corral.client.CorralSchedulerDriver corral = new io.corral.client.CorralSchedulerDriver(
            oneTaskPerOffer, new io.corral.client.FrameworkInfo("native", "default"), cluster.mastersSpec())
            .credential(cluster.credential(LocalCluster.OPERATOR_PRINCIPAL));
        closing.add(corral);
        corral.start();

        final RxFramework mesos = framework(schedulerUri(cluster.leader()), null);
        final Protos.FrameworkID id = mesos.next("SUBSCRIBED", WAIT, e -> e.getType() == Event.Type.SUBSCRIBED)
            .getSubscribed().getFrameworkId();
        Await.until("the native framework registers", WAIT, () -> corral.frameworkId() != 0);
        go.set(true);
        int mesosLaunched = 0;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (nativeLaunched.get() + mesosLaunched < 8)
        {
            assertTrue(System.nanoTime() < deadline, "8 tasks within 90 s; native " + nativeLaunched + ", mesos " +
                mesosLaunched);
            final Event e = mesos.events.poll(200, TimeUnit.MILLISECONDS);
            if (e == null || e.getType() != Event.Type.OFFERS)
            {
                continue;
            }
            for (final Protos.Offer o : e.getOffers().getOffersList())
            {
                final double cpus = o.getResourcesList().stream().filter(r -> r.getName().equals("cpus"))
                    .mapToDouble(r -> r.getScalar().getValue()).sum();
                if (go.get() && cpus >= 0.25)
                {
                    final Protos.TaskInfo t = task(o, "mesos-" + (++mesosLaunched), "sleep 600").toBuilder()
                        .clearResources().addResources(scalar("cpus", 0.25)).addResources(scalar("mem", 32)).build();
                    mesos.send(launch(id, o, t)).get(30, TimeUnit.SECONDS);
                }
                else
                {
                    mesos.send(SchedulerCalls.decline(id, List.of(o.getId())).toBuilder().setDecline(Call.Decline
                        .newBuilder().addOfferIds(o.getId()).setFilters(Protos.Filters.newBuilder()
                            .setRefuseSeconds(0.2))).build()).get(30, TimeUnit.SECONDS);
                }
            }
        }
        final long mesosId = Long.parseLong(id.getValue());
        Await.until("all 8 tasks run", WAIT, () -> cluster.leader() != null && cluster.leader().state().tasks()
            .stream().filter(t -> t.state() == io.corral.codec.sbe.TaskState.RUNNING).count() == 8);
        final long mesosRunning = cluster.leader().state().tasks().stream()
            .filter(t -> t.frameworkId() == mesosId && t.state() == io.corral.codec.sbe.TaskState.RUNNING).count();
        assertEquals(4, mesosRunning, "DRF splits the agent evenly: " + cluster.leader().state().tasks());
        assertEquals(4, nativeLaunched.get());
    }
}
