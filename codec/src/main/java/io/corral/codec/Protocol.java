package io.corral.codec;

import java.util.UUID;

import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.ResourcesDecoder;
import io.corral.codec.sbe.ResourcesEncoder;

/** Constants and small helpers shared by every Corral endpoint. */
public final class Protocol
{
    /** Aeron stream every Corral endpoint listens on. */
    public static final int STREAM_ID = 10;
    public static final int SCHEMA_ID = MessageHeaderDecoder.SCHEMA_ID;
    public static final int SCHEMA_VERSION = MessageHeaderDecoder.SCHEMA_VERSION;
    /** Offset between a master's address (Aeron) and its Raft (gRPC) port. */
    public static final int RAFT_PORT_OFFSET = 1000;
    /** Offset between a master's address and its HTTP port. */
    public static final int HTTP_PORT_OFFSET = 2000;
    /** What `corral dev` runs and every client command assumes when no --masters is given. */
    /**
     * Finished tasks the masters keep per framework (Mesos's {@code --max_completed_tasks_per_framework}
     * default); older ones are dropped from the replicated state, the same on every master.
     */
    public static final int MAX_COMPLETED_TASKS_PER_FRAMEWORK = 1000;
    public static final String DEV_MASTERS = "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003";

    private Protocol()
    {
    }

    /** Aeron UDP channel of a host:port endpoint. */
    public static String channel(final String endpoint)
    {
        return "aeron:udp?endpoint=" + endpoint;
    }

    /** Writes a {cpus, mem, disk, gpus} vector into an SBE Resources composite. */
    public static void putResources(final ResourcesEncoder encoder, final long[] resources)
    {
        encoder.cpus(resources[0]).mem(resources[1]).disk(resources[2]).gpus(resources[3]);
    }

    /** Reads an SBE Resources composite as a {cpus, mem, disk, gpus} vector. */
    public static long[] resources(final ResourcesDecoder decoder)
    {
        return new long[] { decoder.cpus(), decoder.mem(), decoder.disk(), decoder.gpus() };
    }

    public static long[] uuid()
    {
        final UUID uuid = UUID.randomUUID();
        return new long[] { uuid.getMostSignificantBits(), uuid.getLeastSignificantBits() };
    }

    public static String uuidString(final long msb, final long lsb)
    {
        return new UUID(msb, lsb).toString();
    }

    /** Parses {@code host:port}, naming the input when it is not of that form. */
    public static int port(final String endpoint)
    {
        final int colon = endpoint.lastIndexOf(':');
        try
        {
            if (colon <= 0)
            {
                throw new NumberFormatException();
            }
            final int port = Integer.parseInt(endpoint.substring(colon + 1));
            if (port <= 0 || port > 65535)
            {
                throw new NumberFormatException();
            }
            return port;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("address '" + endpoint + "' is not host:port");
        }
    }

    public static String host(final String endpoint)
    {
        port(endpoint);
        return endpoint.substring(0, endpoint.lastIndexOf(':'));
    }

    /** {@code 1=127.0.0.1:BASE,2=127.0.0.1:BASE+1,...}: the --peers of {@code count} local masters. */
    public static String localPeers(final int basePort, final int count)
    {
        final java.util.StringJoiner peers = new java.util.StringJoiner(",");
        for (int i = 1; i <= count; i++)
        {
            peers.add(i + "=127.0.0.1:" + (basePort + i - 1));
        }
        return peers.toString();
    }

    /** {@code 127.0.0.1:BASE,127.0.0.1:BASE+1,...}: the --masters of {@code count} local masters. */
    public static String localMasters(final int basePort, final int count)
    {
        return localPeers(basePort, count).replaceAll("(^|,)\\d+=", "$1");
    }
}
