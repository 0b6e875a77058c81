package io.corral.master;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * Thin Ratis adapter: committed entries are SBE records applied to {@link MasterState}; what
 * they did goes to the duty thread. Nothing here throws for a bad record (that would stop the
 * server): {@link MasterState#apply} reports it as an event instead.
 */
final class MasterStateMachine extends BaseStateMachine
{
    private final MasterState state;
    private final Consumer<MasterEvent> events;

    MasterStateMachine(final MasterState state, final Consumer<MasterEvent> events)
    {
        this.state = state;
        this.events = events;
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
