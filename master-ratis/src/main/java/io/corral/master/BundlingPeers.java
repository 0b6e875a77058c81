package io.corral.master;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import io.corral.codec.Bundle;
import org.agrona.DirectBuffer;

/**
 * What the duty thread sends to one endpoint during a cycle goes out as one frame when the cycle
 * ends ({@link #flush}): a {@link Bundle} of RunTasks to an agent, of TaskStatuses to a framework,
 * of acknowledgements, sealed once. 1,000 tasks a second to one framework were 3,000 frames and
 * 3,000 MACs; bundled they are a few frames a cycle. Endpoints {@code bundles} says no to (peers
 * without a session, who are sent only single unauthenticated answers) get each message at once.
 * Owned by the duty thread.
 */
final class BundlingPeers implements Peers
{
    private final Peers out;
    private final Predicate<String> bundles;
    private final Map<String, Bundle> byEndpoint = new HashMap<>();
    /** Endpoints with something gathered this cycle, in the order they were first sent to. */
    private final List<String> dirty = new ArrayList<>();
    /** Bundles of endpoints not sent to lately, to reuse. */
    private final List<Bundle> spare = new ArrayList<>();

    BundlingPeers(final Peers out, final Predicate<String> bundles)
    {
        this.out = out;
        this.bundles = bundles;
    }

    @Override
    public void send(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
    {
        if (endpoint == null || endpoint.isEmpty())
        {
            return;
        }
        Bundle bundle = byEndpoint.get(endpoint);
        if (bundle == null)
        {
            if (!bundles.test(endpoint))
            {
                out.send(endpoint, buffer, length, nowNs);
                return;
            }
            bundle = spare.isEmpty() ? new Bundle() : spare.remove(spare.size() - 1);
            byEndpoint.put(endpoint, bundle);
        }
        if (bundle.isEmpty())
        {
            dirty.add(endpoint);
        }
        else if (!bundle.fits(length))
        {
            out.send(endpoint, bundle.frame(), bundle.frameLength(), nowNs);
            bundle.clear();
        }
        bundle.add(buffer, 0, length);
    }

    @Override
    public void sendUnauthenticated(final String endpoint, final DirectBuffer buffer, final int length,
        final long nowNs)
    {
        out.sendUnauthenticated(endpoint, buffer, length, nowNs);
    }

    @Override
    public void announce(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
    {
        out.announce(endpoint, buffer, length, nowNs);
    }

    /** End of the duty cycle: each endpoint's gathered messages go, as one frame each. Returns how many frames. */
    int flush(final long nowNs)
    {
        final int frames = dirty.size();
        for (int i = 0; i < frames; i++)
        {
            final String endpoint = dirty.get(i);
            final Bundle bundle = byEndpoint.get(endpoint);
            out.send(endpoint, bundle.frame(), bundle.frameLength(), nowNs);
            bundle.clear();
        }
        dirty.clear();
        if (byEndpoint.size() > 4_096)
        {
            // Idle bundles kept for every endpoint ever sent to would grow without bound: start over.
            spare.addAll(byEndpoint.values().stream().limit(256).toList());
            byEndpoint.clear();
        }
        return frames;
    }
}
