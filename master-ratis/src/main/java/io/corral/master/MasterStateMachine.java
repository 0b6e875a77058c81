package io.corral.master;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

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
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thin Ratis adapter: committed entries are SBE records applied to {@link MasterState}; what
 * they did goes to the duty thread. Nothing here throws for a bad record (that would stop the
 * server): {@link MasterState#apply} reports it as an event instead. Snapshots are the state as
 * the same SBE records, in a file named by term and index with an MD5 beside it, loaded through
 * the same apply code.
 */
final class MasterStateMachine extends BaseStateMachine
{
    private static final Logger LOG = LoggerFactory.getLogger(MasterStateMachine.class);

    private final MasterState state;
    private final Consumer<MasterEvent> events;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();

    MasterStateMachine(final MasterState state, final Consumer<MasterEvent> events)
    {
        this.state = state;
        this.events = events;
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

    @Override
    public long takeSnapshot() throws IOException
    {
        final TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0)
        {
            return RaftLog.INVALID_LOG_INDEX;
        }
        final byte[] bytes = state.snapshotBytes();
        final File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        final File tmp = new File(file.getPath() + ".tmp");
        Files.write(tmp.toPath(), bytes, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        Files.move(tmp.toPath(), file.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        final MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
        LOG.info("snapshot at term {} index {}: {} bytes in {}", last.getTerm(), last.getIndex(), bytes.length,
            file.getName());
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
        state.restore(Files.readAllBytes(file.toPath()), last.getIndex());
        setLastAppliedTermIndex(last);
        LOG.info("loaded snapshot {} ({} agents, {} frameworks, {} tasks)", file.getName(), state.agents().size(),
            state.frameworks().size(), state.tasks().size());
    }

    @Override
    public CompletableFuture<Message> applyTransaction(final TransactionContext trx)
    {
        final LogEntryProto entry = trx.getLogEntry();
        final ByteString data = entry.getStateMachineLogEntry().getLogData();
        final byte[] bytes = data.toByteArray();
        final List<MasterEvent> applied = state.apply(new UnsafeBuffer(bytes), 0, bytes.length, entry.getIndex());
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        for (final MasterEvent event : applied)
        {
            events.accept(event);
        }
        return CompletableFuture.completedFuture(Message.EMPTY);
    }
}
