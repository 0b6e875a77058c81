package io.corral.master;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The two ways a leader's entries reach its Raft log ({@link RaftProposer.RaftLog}). */
final class RaftLogs
{
    private static final Logger LOG = LoggerFactory.getLogger(RaftLogs.class);

    private RaftLogs()
    {
    }

    /**
     * Straight to this master's own Raft server, in process: the request is appended by the
     * calling thread and the future completes once the entry is committed and applied here. No
     * gRPC, no serialisation, no loopback socket, no client retries: a master that no longer leads
     * answers NotLeader at once, and the proposal fails to its owner.
     */
    static RaftProposer.RaftLog local(final RaftServer server, final RaftPeerId self, final RaftGroupId group)
    {
        final ClientId clientId = ClientId.randomId();
        final AtomicLong callIds = new AtomicLong();
        return entry ->
        {
            final RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(self)
                .setGroupId(group).setCallId(callIds.incrementAndGet()).setMessage(entry)
                .setType(RaftClientRequest.writeRequestType()).build();
            try
            {
                return server.submitClientRequestAsync(request);
            }
            catch (final IOException ex)
            {
                return CompletableFuture.failedFuture(ex);
            }
        };
    }

    /**
     * Through a Raft client over gRPC (loopback for a leader): the way before entries went in
     * process, kept to compare. The client is replaced (counted) when Ratis closes it for good.
     */
    static RaftProposer.RaftLog client(final Supplier<RaftClient> clients, final MasterMetrics metrics)
    {
        return new RaftProposer.RaftLog()
        {
            /** Duty thread: replaced when Ratis closes it. */
            private RaftClient client = clients.get();
            /** The last client a request failed for good on (set on Ratis's threads). */
            private volatile RaftClient broken;

            @Override
            public CompletableFuture<RaftClientReply> submit(final Message entry)
            {
                final RaftClient used = client;
                return used.async().send(entry).whenComplete((reply, ex) ->
                {
                    if (closedForGood(ex != null ? ex : reply == null ? null : reply.getException()))
                    {
                        broken = used;
                    }
                });
            }

            /** Several entries fail when a client closes: it is replaced once, when the first failure is handled. */
            @Override
            public void failed(final Throwable failure)
            {
                final RaftClient broken = this.broken;
                if (broken == null || broken != client)
                {
                    return;
                }
                metrics.raftClientsReplaced.inc();
                LOG.warn("the Raft client is closed after a failed proposal ({}); proposing through a new one", failure);
                client = clients.get();
                try
                {
                    broken.close();
                }
                catch (final IOException | RuntimeException ex)
                {
                    LOG.debug("closing the broken Raft client", ex);
                }
            }

            @Override
            public void breakOnPurpose()
            {
                closeQuietly(client, "closing the Raft client on purpose");
            }

            @Override
            public void close()
            {
                closeQuietly(client, "closing the Raft client");
            }
        };
    }

    private static void closeQuietly(final RaftClient client, final String what)
    {
        try
        {
            client.close();
        }
        catch (final IOException ex)
        {
            LOG.warn(what, ex);
        }
    }

    private static boolean closedForGood(final Throwable failure)
    {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause())
        {
            if (t instanceof org.apache.ratis.protocol.exceptions.AlreadyClosedException ||
                t instanceof org.apache.ratis.protocol.exceptions.RaftRetryFailureException)
            {
                return true;
            }
        }
        return false;
    }
}
