package io.corral.master;

import io.corral.codec.sbe.AgentAdmittedDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.RegisterAgentDecoder;

/**
 * The agents part of the replicated state, in the shape of Kafka's controller managers:
 * commands ({@link #register}, {@link #remove}) check a request against the state and return the
 * record to propose; {@link #replay} methods are the only writers of the agents map. Owned by the
 * duty thread.
 */
final class AgentControl extends IdTable<MasterState.Agent>
{
    /** Chooses the id of a new agent or framework (the leader's, unique in its term). */
    interface IdSource
    {
        /** The id for a newcomer known by {@code key}: the same key gets the same id until it commits. */
        long idFor(String key);
    }

    private final ResourceVectors vectors;

    AgentControl(final ResourceVectors vectors)
    {
        super("agent");
        this.vectors = vectors;
    }

    @Override
    protected long idOf(final MasterState.Agent agent)
    {
        return agent.id();
    }

    /**
     * An agent is known, before it has an id, by its hostname at its endpoint: several agents may
     * share an endpoint (agents behind one relay or one simulator), one agent retrying its
     * registration keeps both.
     */
    static String key(final String hostname, final String endpoint)
    {
        return hostname + "@" + endpoint;
    }

    @Override
    protected String keyOf(final MasterState.Agent agent)
    {
        return key(agent.hostname(), agent.endpoint());
    }

    // ------------------------------------------------------------------ commands

    /**
     * An agent registers, or registers again: {@link Result#UNCHANGED} if the state already holds
     * it exactly (a re-registration after a leader change), else the {@code AgentAdmitted} record
     * under its own id if known, the id of an agent with the same hostname at the same
     * endpoint (a retried registration must not become a second agent), or a new one.
     */
    Result register(final long claimedId, final String hostname, final String endpoint, final String attributes,
        final String http, final long[] resources, final String secret, final IdSource ids, final long nowMs,
        final RecordWriter records)
    {
        final String problem = resourceProblem(resources);
        if (problem != null)
        {
            return Result.refused(ErrorCode.MALFORMED, "registration refused: " + problem);
        }
        if (secret.length() > MAX_SECRET_CHARS)
        {
            return Result.refused(ErrorCode.MALFORMED, "registration refused: the agent secret is " + secret.length() +
                " characters, more than " + MAX_SECRET_CHARS);
        }
        final MasterState.Agent claimed = claimedId == 0 ? null : get(claimedId);
        final long id = claimed != null ? claimedId : idByKey(key(hostname, endpoint), ids);
        // The agent this registration would become: the one it claims, or the one admitted under its key.
        final MasterState.Agent known = claimed != null ? claimed : get(id);
        final String secretHash = secret.isEmpty() ? "" : sha256(secret);
        if (known != null && !known.secretHash().isEmpty() && !known.secretHash().equals(secretHash))
        {
            // Only the agent that holds the id's secret (in its checkpoint) may claim it again.
            return Result.refused(ErrorCode.NOT_PERMITTED, "registration refused: agent " + id + " is " +
                known.hostname() + " at " + known.endpoint() + ", and this registration does not present that " +
                "agent's secret; an agent claims only the id in its own checkpoint (give each agent its own --work-dir)");
        }
        if (claimed != null && claimed.endpoint().equals(endpoint) && java.util.Arrays.equals(claimed.resources(),
            resources) && claimed.attributes().equals(attributes) && claimed.httpEndpoint().equals(http) &&
            claimed.secretHash().equals(secretHash))
        {
            return Result.UNCHANGED;
        }
        return Result.propose(records.agentAdmitted(id, resources, nowMs, hostname, endpoint, attributes, http,
            secretHash));
    }

    /** An agent's secret is 32 hex digits (128 random bits); anything much longer is refused. */
    static final int MAX_SECRET_CHARS = 256;

    /** SHA-256 of a secret as 64 hex digits: what the log keeps of it. */
    static String sha256(final String secret)
    {
        try
        {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        catch (final java.security.NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every JDK has SHA-256", ex);
        }
    }

    /** Reads a registration's resources; null (and {@code problems[0]} says why) if they do not parse. */
    long[] resources(final RegisterAgentDecoder m, final String custom, final String[] problems)
    {
        try
        {
            return vectors.read(m.resources(), custom);
        }
        catch (final IllegalArgumentException ex)
        {
            problems[0] = ex.getMessage();
            return null;
        }
    }

    /**
     * The most of any kind one agent may offer: 2^40 (1,099,511,627.776 CPUs; 2^40 MiB of mem or
     * disk), so that 2^23 agents at that size still sum without overflow in the allocator.
     */
    static final long MAX_PER_KIND = 1L << 40;

    private String resourceProblem(final long[] resources)
    {
        for (int k = 0; k < resources.length; k++)
        {
            if (resources[k] < 0)
            {
                return "negative resources";
            }
            if (resources[k] > MAX_PER_KIND)
            {
                return vectors.kinds().name(k) + " " + (k == 0 ? resources[k] / 1000.0 + " CPUs" : resources[k]) +
                    " is more than one agent may offer (at most " + (k == 0 ? MAX_PER_KIND / 1000.0 + " CPUs" :
                    Long.toString(MAX_PER_KIND)) + "): check the agent's --resources";
            }
        }
        return resources[0] <= 0 && resources[1] <= 0 ? "an agent must offer some cpus or mem" : null;
    }

    /** The leader gives up on an agent (it missed its heartbeats): its tasks become LOST when this commits. */
    Result remove(final long agentId, final long nowMs, final RecordWriter records)
    {
        if (!contains(agentId))
        {
            return Result.refused(ErrorCode.NOT_REGISTERED, "agent " + agentId + " is not registered");
        }
        return Result.propose(records.agentRemoved(agentId, nowMs));
    }

    // ------------------------------------------------------------------ replay (the only writers)

    /**
     * Adds or replaces an agent; a record that would give a live agent's id to another agent (one
     * with another secret: a leader never proposes one) changes nothing and is a BadRecord.
     */
    MasterEvent replay(final AgentAdmittedDecoder r, final long index)
    {
        final long id = r.agentId();
        final long at = r.timestampMs();
        final String hostname = r.hostname();
        final String endpoint = r.endpoint();
        final String attributes = r.attributes();
        final String http = r.httpEndpoint();
        final long[] resources = vectors.readCommitted(r.resources(), r.customResources(), 0);
        final String secretHash = r.secretHash();
        final MasterState.Agent agent = new MasterState.Agent(id, hostname, endpoint, resources, at, attributes, http,
            secretHash);
        final MasterState.Agent known = get(id);
        if (known != null && !known.secretHash().isEmpty() && !known.secretHash().equals(secretHash))
        {
            return new MasterEvent.BadRecord(index, "agent " + id + " is " + known.hostname() + " at " +
                known.endpoint() + "; a record giving its id to another agent (" + hostname + " at " + endpoint +
                ") is not applied");
        }
        final MasterState.Agent before = put(id, agent);
        return new MasterEvent.AgentAdmitted(index, agent, before != null);
    }

    /** True if the agent was there (its tasks are then the TaskControl's to mark LOST). */
    boolean replayRemoved(final long agentId)
    {
        return remove(agentId);
    }
}
