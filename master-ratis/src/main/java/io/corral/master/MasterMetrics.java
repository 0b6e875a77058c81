package io.corral.master;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

import io.corral.codec.sbe.TaskState;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.SummaryWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One master's metrics in the Prometheus text format ({@code GET /metrics}). Counters are bumped
 * by the duty thread; latencies are recorded into HdrHistogram {@link Recorder}s (wait-free for
 * the recording threads) and exported as summaries with quantiles since the master started.
 * Gauges are read from the node at scrape time. Each master has its own registry, so several
 * masters in one JVM ({@code corral dev}) do not mix.
 */
final class MasterMetrics
{
    private static final double NANOS_PER_SECOND = 1e9;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);
    final Counter offersSent;
    final Counter offersRescinded;
    final Counter dutyErrors;
    final Counter tasksLaunched;
    final Counter statusUpdatesForwarded;
    final Counter requestsRefused;
    final Counter badFrames;
    final Counter endpointsRefused;
    private final io.prometheus.metrics.core.datapoints.CounterDataPoint[] authRefusals;

    /** Why a master refused a message of the authentication layer (label {@code reason}). */
    enum AuthRefusal
    {
        UNSEALED, UNKNOWN_SESSION, BAD_MAC, REPLAYED, BAD_CREDENTIAL, HANDSHAKES_FULL, NO_SESSION_TO_SEND, NOT_YOURS, HTTP, ACL,
        /** An answer to a peer without a session (a challenge, a redirect) over the budget for strangers. */
        RATE_LIMITED
    }
    final Counter proposalsFailed;
    final Counter raftClientsReplaced;
    final Counter stepDowns;
    final Counter dutyStalls;
    final Counter recordsProposed;
    final Counter entriesProposed;
    /** Entries applied, and the duty cycles that applied any (a commit round as this master sees it). */
    final Counter entriesApplied;
    final Counter applyRounds;
    private final Latency fullPass = new Latency();
    private final Latency incrementalPass = new Latency();
    private final Latency commit = new Latency();
    private final Latency apply = new Latency();
    private final Latency launch = new Latency();
    private final Latency confirm = new Latency();
    /** Written by the leader's duty thread, read at scrape time. */
    volatile int outstandingOffers;
    volatile int launchesInFlight;
    volatile int launchesWaiting;
    /** How long ago the master last had read all its inbound messages (0 while it keeps up). */
    volatile long inboundBehindNs;
    /** Publications to agents' and frameworks' endpoints open now, and of those the provisional ones. */
    volatile int publicationsOpen;
    volatile int publicationsProvisional;

    /**
     * A latency as a Prometheus summary: count and sum since the start, quantiles over about the
     * last minute (as the Prometheus client's own summaries slide), so that a run read at its end
     * is not measured with its warm-up. Recorded by any thread (wait-free), folded once a second by
     * the duty thread, which publishes an immutable copy; scrapes read that copy. No lock.
     */
    private static final class Latency
    {
        /** The window: this many slots of {@link #SLOT_NS} each. */
        private static final int SLOTS = 6;
        private static final long SLOT_NS = 10_000_000_000L;

        private final Recorder recorder = new Recorder(3);
        private final Histogram[] slots = new Histogram[SLOTS];
        private int slot;
        private long slotEndsNs = Long.MIN_VALUE;
        private long count;
        private double sumNs;
        private Histogram interval;
        private volatile Published published = new Published(0, 0, new Histogram(3));

        private record Published(long count, double sumNs, Histogram window)
        {
        }

        Latency()
        {
            for (int i = 0; i < SLOTS; i++)
            {
                slots[i] = new Histogram(3);
            }
        }

        void record(final long nanos)
        {
            recorder.recordValue(Math.max(0, nanos));
        }

        /** Duty thread only. */
        void fold(final long nowNs)
        {
            interval = recorder.getIntervalHistogram(interval);
            boolean changed = false;
            if (slotEndsNs == Long.MIN_VALUE)
            {
                slotEndsNs = nowNs + SLOT_NS;
            }
            while (nowNs - slotEndsNs >= 0)
            {
                // The current slot is over: the oldest one is forgotten and becomes the current.
                slotEndsNs += SLOT_NS;
                slot = (slot + 1) % SLOTS;
                changed |= slots[slot].getTotalCount() > 0;
                slots[slot].reset();
            }
            if (interval.getTotalCount() > 0)
            {
                count += interval.getTotalCount();
                sumNs += interval.getMean() * interval.getTotalCount();
                slots[slot].add(interval);
                changed = true;
            }
            if (changed)
            {
                final Histogram window = new Histogram(3);
                for (final Histogram h : slots)
                {
                    window.add(h);
                }
                published = new Published(count, sumNs, window);
            }
        }

        void export(final SummaryWithCallback.Callback callback, final String... labels)
        {
            final Published p = published;
            final Histogram h = p.window();
            final boolean empty = h.getTotalCount() == 0;
            callback.call(p.count(), p.sumNs() / NANOS_PER_SECOND, Quantiles.of(
                new Quantile(0.5, empty ? Double.NaN : h.getValueAtPercentile(50) / NANOS_PER_SECOND),
                new Quantile(0.9, empty ? Double.NaN : h.getValueAtPercentile(90) / NANOS_PER_SECOND),
                new Quantile(0.99, empty ? Double.NaN : h.getValueAtPercentile(99) / NANOS_PER_SECOND),
                new Quantile(1.0, empty ? Double.NaN : h.getMaxValue() / NANOS_PER_SECOND)), labels);
        }
    }

    MasterMetrics(final MasterNode node)
    {
        offersSent = counter("corral_offers_sent", "Offers sent to frameworks by this master while leading.");
        dutyErrors = counter("corral_duty_errors",
            "Exceptions the master's duty thread caught and went on from (the input was dropped).");
        offersRescinded = counter("corral_offers_rescinded_timeout",
            "Offers this master rescinded because they were not answered within the offer timeout.");
        tasksLaunched = counter("corral_tasks_launched",
            "Tasks committed to the log and sent to agents by this master.");
        statusUpdatesForwarded = counter("corral_status_updates_forwarded",
            "Task status updates forwarded to frameworks by this master.");
        requestsRefused = counter("corral_requests_refused", "Requests answered with an error (unknown offer, " +
            "invalid task, not registered, ...).");
        badFrames = counter("corral_bad_frames", "Frames that did not decode (wrong schema, truncated, unknown).");
        endpointsRefused = counter("corral_endpoints_refused", "Frames dropped because the endpoint they name is " +
            "not a plain host:port, or a channel to it could not be opened (nothing is sent there).");
        final Counter auth = Counter.builder().name("corral_auth_refused").help("Messages refused by authentication " +
            "(a master with --credentials): unsealed, unknown_session, bad_mac (forged or corrupted), replayed, " +
            "bad_credential (a Hello whose first message did not open: wrong secret or unknown principal), " +
            "handshakes_full, no_session_to_send (outbound, dropped), not_yours (a session acting for an agent " +
            "or framework of another endpoint or principal).").labelNames("reason").withoutExemplars()
            .register(registry);
        authRefusals = new io.prometheus.metrics.core.datapoints.CounterDataPoint[AuthRefusal.values().length];
        for (final AuthRefusal r : AuthRefusal.values())
        {
            authRefusals[r.ordinal()] = auth.labelValues(r.name().toLowerCase(java.util.Locale.ROOT));
        }
        proposalsFailed = counter("corral_proposals_failed", "Log proposals Raft did not commit.");
        raftClientsReplaced = counter("corral_raft_clients_replaced",
            "Raft clients replaced after Ratis closed one for good (its retries for a proposal ran out).");
        dutyStalls = counter("corral_leader_duty_stalls",
            "Times the leader's duty thread stood still for half the shortest election timeout or more (a pause, a long GC).");
        stepDowns = counter("corral_leader_step_downs",
            "Times this master gave up leadership because its proposals kept failing.");
        recordsProposed = counter("corral_records_proposed", "Records this master proposed to the log (leader).");
        entriesProposed = counter("corral_log_entries_proposed",
            "Log entries this master proposed (a duty cycle's records go as one entry; leader).");
        entriesApplied = counter("corral_log_entries_applied", "Log entries this master applied.");
        applyRounds = counter("corral_log_apply_rounds",
            "Duty cycles that applied one or more committed entries: entries applied / rounds is about the " +
            "entries each commit carried.");
        if (node != null)
        {
            registerGauges(node);
        }
        SummaryWithCallback.builder().name("corral_allocation_pass_seconds")
            .help("Duration of one allocator pass on the leader (full: every agent; incremental: changed ones).")
            .labelNames("kind").callback(c ->
            {
                fullPass.export(c, "full");
                incrementalPass.export(c, "incremental");
            }).register(registry);
        SummaryWithCallback.builder().name("corral_log_commit_seconds")
            .help("From proposing a record to Raft to its commit reply (leader).")
            .callback(commit::export).register(registry);
        SummaryWithCallback.builder().name("corral_log_apply_wait_seconds")
            .help("From Ratis handing a committed entry to the state machine to the duty thread having applied it " +
                "(part of corral_log_commit_seconds on the leader).")
            .callback(apply::export).register(registry);
        SummaryWithCallback.builder().name("corral_launch_seconds")
            .help("From an accept's arrival at the leader to its tasks' RunTask going to the agent: waiting for " +
                "room in flight, the log's commit and the apply (leader).")
            .callback(launch::export).register(registry);
        SummaryWithCallback.builder().name("corral_launch_confirm_seconds")
            .help("From a RunTask going to its agent to the agent's first update of the task arriving (leader; " +
                "a resent RunTask counts from its last send).")
            .callback(confirm::export).register(registry);
    }

    /** Gauges read from the node at scrape time (none for a leader driven without a node: tests, benchmarks). */
    private void registerGauges(final MasterNode node)
    {
        GaugeWithCallback.builder().name("corral_leader").help("1 if this master leads, else 0.")
            .callback(c -> c.call(node.isLeader() ? 1 : 0)).register(registry);
        GaugeWithCallback.builder().name("corral_term").help("The Raft term this master is in.")
            .callback(c -> c.call(node.currentTerm())).register(registry);
        GaugeWithCallback.builder().name("corral_log_applied_index").help("The last log index applied to the state.")
            .callback(c -> c.call(node.gauges().lastAppliedIndex())).register(registry);
        GaugeWithCallback.builder().name("corral_agents").help("Agents admitted.")
            .callback(c -> c.call(node.gauges().agents())).register(registry);
        GaugeWithCallback.builder().name("corral_frameworks").help("Frameworks subscribed.")
            .callback(c -> c.call(node.gauges().frameworks())).register(registry);
        GaugeWithCallback.builder().name("corral_tasks").help("Tasks the state holds, by latest state.")
            .labelNames("state").callback(c ->
            {
                final Map<TaskState, Integer> counts = node.gauges().tasks();
                for (final TaskState s : TaskState.values())
                {
                    if (s != TaskState.NULL_VAL)
                    {
                        c.call(counts.getOrDefault(s, 0), s.name());
                    }
                }
            }).register(registry);
        GaugeWithCallback.builder().name("corral_offers_outstanding").help("Offers sent and not yet answered (leader).")
            .callback(c -> c.call(node.isLeader() ? outstandingOffers : 0)).register(registry);
        GaugeWithCallback.builder().name("corral_launches_in_flight")
            .help("Launches proposed and not committed, or not yet confirmed by their agents (leader).")
            .callback(c -> c.call(node.isLeader() ? launchesInFlight : 0)).register(registry);
        GaugeWithCallback.builder().name("corral_launches_waiting")
            .help("Accepted launches waiting for room in flight; no offers go out while any wait (leader).")
            .callback(c -> c.call(node.isLeader() ? launchesWaiting : 0)).register(registry);
        GaugeWithCallback.builder().name("corral_inbound_behind_seconds")
            .help("How long ago the leader last had read every message sent to it; liveness deadlines are " +
                "judged at that moment, so a master behind on its inbound does not remove live agents (leader).")
            .callback(c -> c.call(node.isLeader() ? inboundBehindNs / 1e9 : 0)).register(registry);
        GaugeWithCallback.builder().name("corral_publications_open")
            .help("Aeron publications this master holds to agents' and frameworks' endpoints; kind=provisional: " +
                "opened only to answer peers not yet authenticated (capped, closed when idle for 2 s).")
            .labelNames("kind").callback(c ->
            {
                c.call(publicationsOpen - publicationsProvisional, "authenticated");
                c.call(publicationsProvisional, "provisional");
            }).register(registry);
    }

    void authRefused(final AuthRefusal reason)
    {
        authRefusals[reason.ordinal()].inc();
    }

    private Counter counter(final String name, final String help)
    {
        return Counter.builder().name(name).help(help).withoutExemplars().register(registry);
    }

    void allocationPass(final boolean full, final long nanos)
    {
        (full ? fullPass : incrementalPass).record(nanos);
    }

    private long nextFoldNs;

    /**
     * Duty thread: publishes the latencies recorded since the last call, at most once a second
     * unless {@code now} (a scrape asked for it).
     */
    void publish(final long nowNs, final boolean now)
    {
        if (now || nowNs - nextFoldNs >= 0)
        {
            nextFoldNs = nowNs + 1_000_000_000L;
            fullPass.fold(nowNs);
            incrementalPass.fold(nowNs);
            commit.fold(nowNs);
            apply.fold(nowNs);
            launch.fold(nowNs);
            confirm.fold(nowNs);
        }
    }

    void proposedRecords(final int records)
    {
        entriesProposed.inc();
        recordsProposed.inc(records);
    }

    /** Any thread (the duty thread, as it applies). */
    void applied(final long nanos)
    {
        apply.record(nanos);
        entriesApplied.inc();
    }

    /** A launch this leader accepted went to its agent {@code nanos} after its accept arrived (duty thread). */
    void launched(final long nanos)
    {
        launch.record(nanos);
    }

    /** An agent's first update of a task came {@code nanos} after its RunTask went (duty thread). */
    void confirmed(final long nanos)
    {
        confirm.record(nanos);
    }

    void committed(final long nanos)
    {
        commit.record(nanos);
    }

    void write(final OutputStream out) throws IOException
    {
        writer.write(out, registry.scrape());
    }

    String contentType()
    {
        return writer.getContentType();
    }
}
