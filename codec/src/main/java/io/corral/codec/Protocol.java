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

    /**
     * Why {@code endpoint} is not a plain {@code host:port} that a channel may be made of (null if
     * it is): host an IPv4 address, a bracketed IPv6 address or a DNS name, port 1-65535, nothing
     * else (no Aeron URI parameters, no spaces). Endpoints come in frames from anyone: nothing is
     * opened for one that fails this. Allocates nothing for a good one.
     */
    public static String endpointProblem(final String endpoint)
    {
        return endpointProblem(endpoint, true);
    }

    /**
     * As {@link #endpointProblem(String)} for an endpoint a peer says it listens on: an IP address
     * only (what its own subscription resolved), so that nothing a stranger sends makes a master's
     * media driver look a name up (a lookup blocks the driver while it lasts).
     */
    public static String peerEndpointProblem(final String endpoint)
    {
        return endpointProblem(endpoint, false);
    }

    private static String endpointProblem(final String endpoint, final boolean names)
    {
        if (endpoint == null || endpoint.isEmpty())
        {
            return "no endpoint";
        }
        if (endpoint.length() > MAX_ENDPOINT_CHARS)
        {
            return "an endpoint of " + endpoint.length() + " characters (at most " + MAX_ENDPOINT_CHARS + ")";
        }
        final int colon = endpoint.lastIndexOf(':');
        if (colon <= 0 || colon == endpoint.length() - 1 || endpoint.length() - colon - 1 > 5)
        {
            return "endpoint '" + endpoint + "' is not host:port";
        }
        int port = 0;
        for (int i = colon + 1; i < endpoint.length(); i++)
        {
            final char c = endpoint.charAt(i);
            if (c < '0' || c > '9')
            {
                return "endpoint '" + endpoint + "' has a port that is not a number";
            }
            port = port * 10 + (c - '0');
        }
        if (port < 1 || port > 65535)
        {
            return "endpoint '" + endpoint + "' has port " + port + ", outside 1-65535";
        }
        final boolean ok = endpoint.charAt(0) == '[' ? ipv6(endpoint, 1, colon - 1) && endpoint.charAt(colon - 1) == ']' :
            names ? hostname(endpoint, colon) : ipv4(endpoint, colon);
        return ok ? null : "endpoint '" + endpoint + "' has a host that is neither an IPv4 address, a bracketed " +
            "IPv6 address" + (names ? " nor a DNS name" : " (a peer names the address it listens on, not a name)");
    }

    /** The longest endpoint taken: a 253-character DNS name, a colon and a port. */
    public static final int MAX_ENDPOINT_CHARS = 253 + 6;

    private static boolean ipv6(final String s, final int from, final int to)
    {
        if (to <= from + 1)
        {
            return false;
        }
        for (int i = from; i < to; i++)
        {
            final char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'))
            {
                return false;
            }
        }
        return true;
    }

    /** A DNS name or a dotted IPv4 address in {@code s[0, to)}: labels of letters, digits and '-'. */
    private static boolean hostname(final String s, final int to)
    {
        if (to > 253)
        {
            return false;
        }
        int label = 0;
        boolean firstLabelDigits = true;
        boolean inFirstLabel = true;
        for (int i = 0; i < to; i++)
        {
            final char c = s.charAt(i);
            if (c == '.')
            {
                if (label == 0 || s.charAt(i - 1) == '-')
                {
                    return false;
                }
                label = 0;
                inFirstLabel = false;
                continue;
            }
            final boolean digit = c >= '0' && c <= '9';
            if (!(digit || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' && label > 0) || ++label > 63)
            {
                return false;
            }
            if (inFirstLabel)
            {
                firstLabelDigits &= digit;
            }
        }
        if (label == 0 || s.charAt(to - 1) == '-')
        {
            return false;
        }
        // A name that starts like an address ("127.0.0.q") must be one: such typos and fuzz are refused.
        return !firstLabelDigits || ipv4(s, to);
    }

    private static boolean ipv4(final String s, final int to)
    {
        int parts = 0;
        int value = -1;
        for (int i = 0; i <= to; i++)
        {
            if (i == to || s.charAt(i) == '.')
            {
                if (value < 0 || value > 255)
                {
                    return false;
                }
                parts++;
                value = -1;
            }
            else if (s.charAt(i) < '0' || s.charAt(i) > '9')
            {
                return false;
            }
            else
            {
                value = (value < 0 ? 0 : value * 10) + (s.charAt(i) - '0');
                if (value > 255)
                {
                    return false;
                }
            }
        }
        return parts == 4;
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
