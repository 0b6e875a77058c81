package io.corral.master;

import org.agrona.DirectBuffer;

/**
 * Where the master's messages to agents and frameworks go: {@link Connections} (Aeron) in a
 * master, a recording sink in tests and benchmarks. Owned by the duty thread.
 */
public interface Peers
{
    /** Sends the first {@code length} bytes of {@code buffer} to {@code endpoint} (null or empty: nowhere). */
    void send(String endpoint, DirectBuffer buffer, int length, long nowNs);
}
