package io.corral.master;

import java.util.ArrayList;
import java.util.List;

import io.corral.codec.Credentials;
import io.corral.codec.MasterInbound;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.CachedEpochClock;

/**
 * A leading master's duty-thread logic in one object, without Raft or Aeron: frames go in
 * through the same inbound adapter and endpoint as in a master, proposals go to an in-memory log
 * that {@link #commit} applies through the same state machine code, and what would be sent goes
 * to a {@link Peers} sink. Time is what the caller says (a fake clock). For unit tests of the
 * leader and for the JMH master benchmark; one thread.
 */
public final class InProcessLeader implements RecordProposer, Leadership
{

    private final MasterState state;
    private final MasterConfig config;
    private final CachedEpochClock clock = new CachedEpochClock();
    private final MasterMetrics metrics = new MasterMetrics(null);
    private final Outputs outputs;
    private final MasterEndpoint endpoint;
    private final Sessions sessions;
    private final MasterInbound inbound;
    /** Proposals not yet committed, back to back in one buffer (no copy of its own each: a benchmark measures the leader, not this log). */
    private final ExpandableArrayBuffer log = new ExpandableArrayBuffer(64 * 1024);
    private final org.agrona.collections.IntArrayList ends = new org.agrona.collections.IntArrayList();
    private final List<Runnable> failures = new ArrayList<>();
    private final List<MasterEvent> applied = new ArrayList<>();
    private LeaderDuties duties;
    private long index;
    private long nowNs;
    private int badRecords;

    /**
     * A leader in {@code term} of a one-master cluster at {@code address}, with the standard
     * resource kinds; it takes office (empty state) at {@code nowNs}.
     */
    public InProcessLeader(final long term, final MasterConfig config, final Peers peers, final long nowNs)
    {
        this(term, config, null, peers, nowNs);
    }

    /**
     * As {@link #InProcessLeader(long, MasterConfig, Peers, long)}, and with {@code credentials}
     * (unless null) agents and frameworks must authenticate: frames reach it sealed, as in a
     * master run with {@code --credentials}, and what it sends to a session is sealed.
     */
    public InProcessLeader(final long term, final MasterConfig config, final Credentials credentials,
        final Peers peers, final long nowNs)
    {
        // (no conclude(): an in-process leader has no data directory or ports to check)
        this.config = config;
        this.state = new MasterState(new ResourceVectors(config.resourceKinds()));
        this.sessions = credentials == null ? null : new Sessions(config.id(), credentials, peers, metrics);
        final Peers out = sessions == null ? peers : sessions;
        this.outputs = new Outputs(new AgentPublisher(out, state.vectors()), new FrameworkPublisher(out,
            state.vectors()), new RecordWriter(state.vectors()), this, metrics, clock);
        this.endpoint = new MasterEndpoint(config.id(), state, outputs, this, sessions);
        this.inbound = new MasterInbound(endpoint);
        inbound.gate(sessions);
        this.nowNs = nowNs;
        this.duties = new LeaderDuties(term, config, state, outputs, index, nowNs);
    }

    /** The state: read it on the calling thread only. */
    MasterState state()
    {
        return state;
    }

    LeaderDuties leader()
    {
        return duties;
    }

    /** The wall-clock time records are stamped with. */
    public void wallClockMs(final long ms)
    {
        clock.update(ms);
    }

    /** One frame as the master's subscription would hand it over. */
    public void onFrame(final DirectBuffer buffer, final int offset, final int length, final int sessionId)
    {
        // As the master's duty cycle before it polls: the sessions learn the time too (a session
        // opened at a time of their own from before this leader's clock was marked idle and dropped).
        endpoint.cycle(nowNs);
        if (sessions != null)
        {
            sessions.cycle(nowNs);
        }
        inbound.onFragment(buffer, offset, length, headerFor(sessionId));
    }

    private final io.aeron.logbuffer.Header header = new io.aeron.logbuffer.Header(0, 0);
    private final org.agrona.concurrent.UnsafeBuffer headerBuffer =
        new org.agrona.concurrent.UnsafeBuffer(new byte[io.aeron.protocol.DataHeaderFlyweight.HEADER_LENGTH]);

    private io.aeron.logbuffer.Header headerFor(final int sessionId)
    {
        headerBuffer.putInt(io.aeron.protocol.DataHeaderFlyweight.SESSION_ID_FIELD_OFFSET, sessionId,
            java.nio.ByteOrder.LITTLE_ENDIAN);
        header.buffer(headerBuffer);
        header.offset(0);
        return header;
    }

    /** One duty cycle at {@code nowNs}: timers, the batches proposed, allocation. */
    public int cycle(final long nowNs)
    {
        return cycle(nowNs, nowNs);
    }

    /** One duty cycle at {@code nowNs} of a master that last had read all its inbound at {@code heardUpToNs}. */
    public int cycle(final long nowNs, final long heardUpToNs)
    {
        this.nowNs = nowNs;
        endpoint.cycle(nowNs);
        if (sessions != null)
        {
            sessions.cycle(nowNs);
        }
        return duties.doWork(nowNs, heardUpToNs);
    }

    /** Commits every proposal so far, in order: applied to the state, then the leader reacts. */
    public int commit()
    {
        return commitFirst(ends.size());
    }

    /** Commits the first {@code count} proposals so far (the rest stay in flight). */
    int commitFirst(final int count)
    {
        int start = 0;
        for (int i = 0; i < count; i++)
        {
            final int end = ends.getInt(i);
            state.applyTo(log, start, end - start, ++index, applied, true);
            for (int e = 0; e < applied.size(); e++)
            {
                final MasterEvent event = applied.get(e);
                if (event instanceof MasterEvent.BadRecord)
                {
                    badRecords++;
                }
                duties.onEvent(event, nowNs);
            }
            applied.clear();
            start = end;
        }
        drop(count);
        return count;
    }

    /** Drops the first {@code count} proposals (committed or refused); those made meanwhile move to the front. */
    private void drop(final int count)
    {
        if (count == 0)
        {
            return;
        }
        final int cut = ends.getInt(count - 1);
        final int total = ends.isEmpty() ? 0 : ends.getInt(ends.size() - 1);
        log.putBytes(0, log, cut, total - cut);
        final int size = ends.size();
        for (int i = count; i < size; i++)
        {
            ends.setInt(i - count, ends.getInt(i) - cut);
        }
        for (int i = 0; i < count; i++)
        {
            ends.removeAt(ends.size() - 1);
        }
        failures.subList(0, count).clear();
    }

    /** Proposals that did not apply (a record the state machine refused): a leader should propose none. */
    int badRecords()
    {
        return badRecords;
    }

    /** Refuses every proposal so far (as Raft does when the leader loses office): their failure actions run. */
    void refuseProposals()
    {
        final int count = ends.size();
        final List<Runnable> refused = new ArrayList<>(failures.subList(0, count));
        drop(count);
        refused.stream().filter(r -> r != null).forEach(Runnable::run);
    }

    int pendingProposals()
    {
        return ends.size();
    }

    /** Steps down and takes office again in a later term at {@code nowNs}, from the state as applied. */
    void newTerm(final long nowNs)
    {
        this.nowNs = nowNs;
        duties = new LeaderDuties(duties.term() + 1, config, state, outputs, index, nowNs);
    }

    /**
     * Takes office in a later term at {@code nowNs} while the proposals so far are committed and not
     * yet applied here (as a Raft follower that becomes leader may be behind on applying what the
     * old leader committed): the next {@link #commit} applies them under the new term's duties.
     */
    /** The duty thread stood still for {@code forNs} (a paused process) before the cycle at {@code nowNs}. */
    void stalled(final long nowNs, final long forNs)
    {
        this.nowNs = nowNs;
        duties.stalled(index + ends.size() + 1, forNs);
    }

    /**
     * Takes office in a later term at {@code nowNs} when the last committed entry is Raft's own (an
     * earlier leader's first entry), not applied yet here: {@link #passRaftEntry} applies it.
     */
    void newTermBeforeRaftEntry(final long nowNs)
    {
        this.nowNs = nowNs;
        duties = new LeaderDuties(duties.term() + 1, config, state, outputs, index + ends.size() + 1, nowNs);
    }

    /** Applies a log entry of Raft's own (no record) as the state machine does. */
    void passRaftEntry()
    {
        state.passed(++index);
    }

    void newTermBeforeApplying(final long nowNs)
    {
        this.nowNs = nowNs;
        duties = new LeaderDuties(duties.term() + 1, config, state, outputs, index + ends.size(), nowNs);
    }

    @Override
    public void propose(final ExpandableArrayBuffer buffer, final int length, final Runnable onFailure)
    {
        final int start = ends.isEmpty() ? 0 : ends.getInt(ends.size() - 1);
        log.putBytes(start, buffer, 0, length);
        ends.addInt(start + length);
        failures.add(onFailure);
    }

    @Override
    public LeaderDuties duties()
    {
        return duties;
    }

    @Override
    public int leaderId()
    {
        return config.id();
    }

    @Override
    public String leaderEndpoint()
    {
        return config.address();
    }

    /** Ids of the admitted agents, in id order. */
    public long[] agentIds()
    {
        return state.agents().stream().mapToLong(MasterState.Agent::id).toArray();
    }

    /** Ids of the subscribed frameworks, in id order. */
    public long[] frameworkIds()
    {
        return state.frameworks().stream().mapToLong(MasterState.Framework::id).toArray();
    }
}
