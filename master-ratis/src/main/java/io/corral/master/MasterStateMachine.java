package io.corral.master;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thin Ratis adapter that never touches {@link MasterState} itself: every committed entry, index
 * notification and snapshot request is handed, in log order, to the state's one owner (the
 * master's duty thread), which applies it and only then completes the entry's future. Ratis's
 * threads wait on the owner where Ratis needs an answer (a snapshot's bytes, a loaded snapshot);
 * the owner never waits on Ratis. Nothing here throws for a bad record (that would stop the
 * server): {@link MasterState#apply} reports it as an event instead. Snapshots are the state as
 * the same SBE records, in a file named by term and index with an MD5 beside it, loaded through
 * the same apply code; the owner makes the bytes, a Ratis thread writes the file.
 *
 * <p>Who owns the state when: the constructing thread until {@link #handOff} (only
 * {@link #initialize} loads then); the duty thread from then until {@link #ownerStopped}; after
 * that, with the duty thread gone, whichever Ratis thread is shutting the server down.
 */
final class MasterStateMachine extends BaseStateMachine
{
    private static final Logger LOG = LoggerFactory.getLogger(MasterStateMachine.class);
    private static final int DRAIN_LIMIT = 4096;

    private final MasterState state;
    private final Consumer<MasterEvent> events;
    /** Nanoseconds from Ratis handing over a committed entry to the duty thread having applied it. */
    private final java.util.function.LongConsumer applyWait;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final ManyToOneConcurrentLinkedQueue<Runnable> handoff = new ManyToOneConcurrentLinkedQueue<>();
    private volatile boolean handedOff;
    private volatile boolean ownerStopped;

    /**
     * {@code events} is called on the owner thread with what each applied record did;
     * {@code applyWait} with how long each entry waited to be applied.
     */
    MasterStateMachine(final MasterState state, final Consumer<MasterEvent> events,
        final java.util.function.LongConsumer applyWait)
    {
        this(state, events, () -> true, applyWait);
    }

    /**
     * As above; {@code leading} (asked on the owner thread) says whether anyone acts on what a
     * record did: while it is false (a follower), no events are made at all.
     */
    MasterStateMachine(final MasterState state, final Consumer<MasterEvent> events,
        final java.util.function.BooleanSupplier leading, final java.util.function.LongConsumer applyWait)
    {
        this.state = state;
        this.events = events;
        this.leading = leading;
        this.applyWait = applyWait;
    }

    private final java.util.function.BooleanSupplier leading;
    /** What the entry being applied did (owner thread; cleared after each entry). */
    private final List<MasterEvent> didNow = new java.util.ArrayList<>();

    /** From now on the duty thread owns the state: work is queued for it (called before it starts). */
    void handOff()
    {
        handedOff = true;
    }

    /** The duty thread has stopped for good: the thread that calls next owns the state (shutdown only). */
    void ownerStopped()
    {
        ownerStopped = true;
    }

    /** Owner thread: runs what Ratis handed over, in order; returns how much. */
    int drain()
    {
        int work = 0;
        Runnable item;
        while (work < DRAIN_LIMIT && (item = handoff.poll()) != null)
        {
            item.run();
            work++;
        }
        return work;
    }

    /** Runs {@code work} on the owner and returns its result (Ratis threads wait here, the owner never does). */
    private <T> T onOwner(final Callable<T> work) throws IOException
    {
        if (!handedOff || ownerStopped)
        {
            return call(work);
        }
        final CompletableFuture<T> result = new CompletableFuture<>();
        handoff.offer(() ->
        {
            try
            {
                result.complete(work.call());
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        });
        while (true)
        {
            try
            {
                return result.get(100, TimeUnit.MILLISECONDS);
            }
            catch (final TimeoutException ex)
            {
                if (ownerStopped)
                {
                    // The duty thread stopped before it got here: nothing else owns the state now.
                    return call(work);
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the duty thread", ex);
            }
            catch (final ExecutionException ex)
            {
                throw ex.getCause() instanceof IOException io ? io : new IOException(ex.getCause());
            }
        }
    }

    private static <T> T call(final Callable<T> work) throws IOException
    {
        try
        {
            return work.call();
        }
        catch (final IOException | RuntimeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IOException(ex);
        }
    }

    @Override
    public void initialize(final RaftServer server, final RaftGroupId groupId, final RaftStorage raftStorage)
        throws IOException
    {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        getLifeCycle().startAndTransition(() -> load(storage.getLatestSnapshot()), IOException.class);
    }

    /** Ratis pauses the state machine before installing a snapshot from the leader. */
    @Override
    public void pause()
    {
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    @Override
    public void reinitialize() throws IOException
    {
        // A snapshot was installed from the leader: the state is what it holds.
        getLifeCycle().transition(LifeCycle.State.STARTING);
        load(storage.loadLatestSnapshot());
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    @Override
    public StateMachineStorage getStateMachineStorage()
    {
        return storage;
    }

    private record Snapshot(TermIndex last, byte[] bytes)
    {
    }

    @Override
    public long takeSnapshot() throws IOException
    {
        // The bytes and the index they are as of come from the owner together: consistent.
        final Snapshot snapshot = onOwner(() -> new Snapshot(getLastAppliedTermIndex(), state.snapshotBytes()));
        final TermIndex last = snapshot.last();
        if (last == null || last.getIndex() < 0)
        {
            return RaftLog.INVALID_LOG_INDEX;
        }
        final File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        final File tmp = new File(file.getPath() + ".tmp");
        Files.write(tmp.toPath(), snapshot.bytes(), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        Files.move(tmp.toPath(), file.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        final MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
        LOG.info("snapshot at term {} index {}: {} bytes in {}", last.getTerm(), last.getIndex(),
            snapshot.bytes().length, file.getName());
        return last.getIndex();
    }

    private void load(final SingleFileSnapshotInfo snapshot) throws IOException
    {
        if (snapshot == null)
        {
            return;
        }
        final File file = snapshot.getFile().getPath().toFile();
        final MD5Hash md5 = snapshot.getFile().getFileDigest();
        if (md5 != null)
        {
            MD5FileUtil.verifySavedMD5(file, md5);
        }
        final TermIndex last = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file);
        final byte[] bytes = Files.readAllBytes(file.toPath());
        final String loaded = onOwner(() ->
        {
            state.restore(bytes, last.getIndex());
            // A snapshot installed from the leader may be behind what this master applied: Ratis
            // resets its own index to the snapshot's, and so does this one.
            setLastAppliedTermIndex(last);
            return state.agentCount() + " agents, " + state.frameworkCount() + " frameworks, " + state.taskCount() +
                " tasks";
        });
        LOG.info("loaded snapshot {} ({})", file.getName(), loaded);
    }

    @Override
    public CompletableFuture<Message> applyTransaction(final TransactionContext trx)
    {
        final LogEntryProto entry = trx.getLogEntry();
        final long term = entry.getTerm();
        final long index = entry.getIndex();
        // A read-only view of the entry's bytes: no copy; the entry outlives its application.
        final UnsafeBuffer bytes = new UnsafeBuffer(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
        final CompletableFuture<Message> applied = new CompletableFuture<>();
        final long handedNs = System.nanoTime();
        if (ownerStopped)
        {
            applied.completeExceptionally(new IOException("the master is shutting down; entry " + index + " not applied"));
            return applied;
        }
        handoff.offer(() ->
        {
            try
            {
                if (index > state.lastAppliedIndex())
                {
                    final List<MasterEvent> result = leading.getAsBoolean() ? didNow : MasterState.NO_EVENTS;
                    try
                    {
                        state.applyTo(bytes, 0, bytes.capacity(), index, result, true);
                        updateLastAppliedTermIndex(term, index);
                        for (int i = 0; i < result.size(); i++)
                        {
                            events.accept(result.get(i));
                        }
                    }
                    finally
                    {
                        didNow.clear();
                    }
                }
                // (an index at or below the state's is already in a snapshot loaded meanwhile)
            }
            finally
            {
                // Always completed, also when a reaction to the entry threw (the duty cycle logs and
                // counts that): an entry left pending would hold its proposer's in-flight slot forever.
                applyWait.accept(System.nanoTime() - handedNs);
                applied.complete(Message.EMPTY);
            }
        });
        return applied;
    }

    /** A log entry that is not a record (a configuration change): only the index moves, in order. */
    @Override
    public void notifyTermIndexUpdated(final long term, final long index)
    {
        if (ownerStopped)
        {
            return;
        }
        handoff.offer(() ->
        {
            final TermIndex last = getLastAppliedTermIndex();
            if (last == null || index > last.getIndex())
            {
                updateLastAppliedTermIndex(term, index);
            }
            state.passed(index);
        });
    }
}
