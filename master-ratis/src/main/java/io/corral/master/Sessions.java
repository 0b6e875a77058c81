package io.corral.master;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import io.corral.codec.Credentials;
import io.corral.codec.InboundAdapter;
import io.corral.codec.SessionCipher;
import io.corral.codec.sbe.AuthFailedDecoder;
import io.corral.codec.sbe.AuthFailedEncoder;
import io.corral.codec.sbe.ChallengeDecoder;
import io.corral.codec.sbe.ChallengeEncoder;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.HelloDecoder;
import io.corral.codec.sbe.MessageHeaderEncoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.RegisterAgentDecoder;
import io.corral.codec.sbe.SealedDecoder;
import io.corral.codec.sbe.SubscribeDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A master's authenticated sessions, when it has credentials: answers each Hello with a Challenge,
 * opens each Sealed frame (MAC, then sequence), knows which principal and endpoint the message in
 * hand comes from ({@link #current}), and seals everything the master sends to an endpoint that has
 * a session ({@link Peers}). A session belongs to the endpoint in its Hello: the key is derived from
 * it, so nobody can speak for another endpoint, and the first message that opens under the key
 * proves the sender knows the principal's secret. Leader-local, never replicated: after a leader
 * change clients say Hello to the new leader. Owned by the duty thread.
 */
final class Sessions implements InboundAdapter.Gate, Peers
{
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);
    /** A Hello whose first sealed message does not come within this is forgotten. */
    static final long HANDSHAKE_NS = 10_000_000_000L;
    /** A session unheard this long is forgotten (agents and frameworks speak every few seconds). */
    static final long IDLE_NS = 120_000_000_000L;
    /** Handshakes in progress at most: a flood of Hellos cannot grow the table without bound. */
    static final int MAX_HANDSHAKES = 65_536;
    /**
     * Handshakes in progress for one endpoint at most (a client says Hello to each master about once
     * a second): Hellos naming one endpoint over and over cannot fill the table.
     */
    static final int MAX_HANDSHAKES_PER_ENDPOINT = 4;

    static final class Session
    {
        final long id;
        final String principal;
        final String endpoint;
        final SessionCipher cipher;
        final boolean knownPrincipal;
        final long startedNs;
        boolean confirmed;
        long lastHeardNs;

        Session(final long id, final String principal, final String endpoint, final SessionCipher cipher,
            final boolean knownPrincipal, final long nowNs)
        {
            this.id = id;
            this.principal = principal;
            this.endpoint = endpoint;
            this.cipher = cipher;
            this.knownPrincipal = knownPrincipal;
            this.startedNs = nowNs;
            this.lastHeardNs = nowNs;
        }

        String principal()
        {
            return principal;
        }

        String endpoint()
        {
            return endpoint;
        }
    }

    private final Credentials credentials;
    private final Peers raw;
    private final MasterMetrics metrics;
    private final int masterId;
    private final SecureRandom random = new SecureRandom();
    private final Long2ObjectHashMap<Session> byId = new Long2ObjectHashMap<>();
    private final Map<String, Session> byEndpoint = new HashMap<>();
    private final ExpandableArrayBuffer sealed = new ExpandableArrayBuffer(4096);
    private final ExpandableArrayBuffer reply = new ExpandableArrayBuffer(512);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final ChallengeEncoder challenge = new ChallengeEncoder();
    private final AuthFailedEncoder authFailed = new AuthFailedEncoder();
    private final byte[] clientNonce = new byte[16];
    private final byte[] serverNonce = new byte[16];
    private int handshakes;
    /** Handshakes in progress per endpoint (only endpoints with one are here). */
    private final Map<String, Integer> handshakesByEndpoint = new HashMap<>();
    private long nextSweepNs;
    private long nowNs = System.nanoTime();
    private Session current;
    /** Answers to peers without a session: rate-limited per publication, per address, in total. */
    private final StrangerBudget strangers;
    /** The Image (Aeron's header context) and Aeron session of the frame in hand, or null between frames. */
    private Object sourceContext;
    private int sourceSession;
    /** Anyone can fail to authenticate: one line a second at most (all are counted in /metrics). */
    private final io.corral.codec.LogThrottle failureLog = new io.corral.codec.LogThrottle(1_000_000_000L);

    Sessions(final int masterId, final Credentials credentials, final Peers raw, final MasterMetrics metrics)
    {
        this.masterId = masterId;
        this.credentials = credentials;
        this.raw = raw;
        this.metrics = metrics;
        this.strangers = new StrangerBudget(nowNs);
    }

    @Override
    public void arrived(final io.aeron.logbuffer.Header header)
    {
        sourceContext = header == null ? null : header.context();
        sourceSession = header == null ? 0 : header.sessionId();
    }

    /**
     * True if the sender of the frame in hand, which has no session, may be answered now (one
     * answer spent from its publication's, its address's and the total budget); otherwise counted.
     */
    private boolean mayAnswerStranger(final long nowNs)
    {
        final String identity = sourceContext instanceof io.aeron.Image image ? image.sourceIdentity() : "";
        final int colon = identity.lastIndexOf(':');
        final String address = colon > 0 ? identity.substring(0, colon) : identity;
        if (strangers.spend(address, identity + "#" + sourceSession, nowNs))
        {
            return true;
        }
        metrics.authRefused(MasterMetrics.AuthRefusal.RATE_LIMITED);
        return false;
    }

    /** The principal the peer at {@code endpoint} authenticated as, or null if it has no session. */
    String principalAt(final String endpoint)
    {
        final Session s = byEndpoint.get(endpoint);
        return s == null ? null : s.principal;
    }

    /** The session the message being handled came in, or null if it came unsealed. */
    Session current()
    {
        return current;
    }

    int size()
    {
        return byEndpoint.size();
    }

    @Override
    public boolean admitsUnsealed(final int templateId)
    {
        // Registrations and subscriptions get through to be told what is missing; nothing else does.
        return templateId == HelloDecoder.TEMPLATE_ID || templateId == RegisterAgentDecoder.TEMPLATE_ID ||
            templateId == SubscribeDecoder.TEMPLATE_ID;
    }

    @Override
    public void refusedUnsealed(final int templateId, final int aeronSession)
    {
        metrics.authRefused(MasterMetrics.AuthRefusal.UNSEALED);
    }

    /** A Hello (this master leads): a new handshake, answered with a Challenge. */
    void hello(final HelloDecoder m, final long nowNs)
    {
        m.getClientNonce(clientNonce, 0, 16);
        final String principal = m.principal();
        final String endpoint = m.endpoint();
        if (endpoint.isEmpty() || handshakes >= MAX_HANDSHAKES ||
            handshakesByEndpoint.getOrDefault(endpoint, 0) >= MAX_HANDSHAKES_PER_ENDPOINT)
        {
            metrics.authRefused(MasterMetrics.AuthRefusal.HANDSHAKES_FULL);
            return;
        }
        if (!mayAnswerStranger(nowNs))
        {
            return;
        }
        long id;
        do
        {
            id = random.nextLong();
        }
        while (id == 0 || byId.containsKey(id));
        random.nextBytes(serverNonce);
        final byte[] secret = credentials.secretOf(principal);
        // An unknown principal gets a session no key opens: it fails exactly as a wrong secret does.
        final byte[] key = secret != null ?
            SessionCipher.sessionKey(secret, principal, endpoint, clientNonce, serverNonce) : randomKey();
        final Session s = new Session(id, principal, endpoint, SessionCipher.master(id, key), secret != null, nowNs);
        byId.put(id, s);
        handshakes++;
        handshakesByEndpoint.merge(endpoint, 1, Integer::sum);
        challenge.wrapAndApplyHeader(reply, 0, header).session(id).putClientNonce(clientNonce, 0, 16)
            .putServerNonce(serverNonce, 0, 16);
        raw.sendUnauthenticated(endpoint, reply, MessageHeaderEncoder.ENCODED_LENGTH + challenge.encodedLength(),
            nowNs);
    }

    private byte[] randomKey()
    {
        final byte[] key = new byte[32];
        random.nextBytes(key);
        return key;
    }

    @Override
    public boolean open(final SealedDecoder m, final DirectBuffer frame, final UnsafeBuffer inner, final int aeronSession)
    {
        final Session s = byId.get(m.session());
        if (s == null)
        {
            metrics.authRefused(MasterMetrics.AuthRefusal.UNKNOWN_SESSION);
            return false;
        }
        switch (s.cipher.open(m, frame, 0, inner))
        {
            case OK ->
            {
                s.lastHeardNs = nowNs;
                if (!s.confirmed)
                {
                    confirm(s);
                }
                current = s;
                return true;
            }
            case REPLAYED ->
            {
                metrics.authRefused(MasterMetrics.AuthRefusal.REPLAYED);
                return false;
            }
            default ->
            {
                if (s.confirmed)
                {
                    metrics.authRefused(MasterMetrics.AuthRefusal.BAD_MAC); // forged or corrupted: no answer
                    return false;
                }
                forget(s);
                metrics.authRefused(MasterMetrics.AuthRefusal.BAD_CREDENTIAL);
                if (failureLog.allow(nowNs))
                {
                    LOG.warn("master {}: authentication failed for principal '{}' from {}{}", masterId, s.principal,
                        s.endpoint, failureLog.leftOut());
                }
                authFailed.wrapAndApplyHeader(reply, 0, header).session(s.id).reason("authentication failed for " +
                    "principal '" + s.principal + "': it is not in the masters' credentials file, or its secret " +
                    "there is another one; check the credential this client was given");
                raw.sendUnauthenticated(s.endpoint, reply,
                    MessageHeaderEncoder.ENCODED_LENGTH + authFailed.encodedLength(), nowNs);
                return false;
            }
        }
    }

    private void confirm(final Session s)
    {
        s.confirmed = true;
        handshakeDone(s);
        final Session old = byEndpoint.put(s.endpoint, s);
        if (old != null)
        {
            byId.remove(old.id);
        }
        LOG.info("master {}: principal '{}' authenticated from {}", masterId, s.principal, s.endpoint);
    }

    private void forget(final Session s)
    {
        byId.remove(s.id);
        untrack(s);
    }

    /** Everything but the id table: a confirmed session leaves its endpoint, a handshake its count. */
    private void untrack(final Session s)
    {
        if (s.confirmed)
        {
            byEndpoint.remove(s.endpoint, s);
        }
        else
        {
            handshakeDone(s);
        }
    }

    private void handshakeDone(final Session s)
    {
        handshakes--;
        handshakesByEndpoint.computeIfPresent(s.endpoint, (e, n) -> n > 1 ? n - 1 : null);
    }

    @Override
    public void done()
    {
        current = null;
    }

    /** Each duty cycle: the time, and forgetting stale handshakes and idle sessions once a second. */
    void cycle(final long nowNs)
    {
        this.nowNs = nowNs;
        if (nowNs < nextSweepNs)
        {
            return;
        }
        nextSweepNs = nowNs + 1_000_000_000L;
        for (final Iterator<Session> it = byId.values().iterator(); it.hasNext(); )
        {
            final Session s = it.next();
            if (s.confirmed ? nowNs - s.lastHeardNs > IDLE_NS : nowNs - s.startedNs > HANDSHAKE_NS)
            {
                it.remove();
                untrack(s);
            }
        }
    }

    @Override
    public void announce(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
    {
        if (endpoint != null && !endpoint.isEmpty() && !sealedTo(endpoint, buffer, length, nowNs))
        {
            raw.sendUnauthenticated(endpoint, buffer, length, nowNs);
        }
    }

    /**
     * Seals what goes to an endpoint with a session. Without one only redirects and refusals go
     * out (what a client needs to find the leader and to learn what it lacks), within the budget
     * for strangers and over a provisional link; the rest is dropped (its sender retries once the
     * peer has a session).
     */
    @Override
    public void send(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
    {
        if (endpoint == null || endpoint.isEmpty() || sealedTo(endpoint, buffer, length, nowNs))
        {
            return;
        }
        final int template = buffer.getShort(io.corral.codec.sbe.MessageHeaderDecoder.templateIdEncodingOffset(),
            java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (template == NotLeaderDecoder.TEMPLATE_ID || template == ErrorReplyDecoder.TEMPLATE_ID ||
            template == ChallengeDecoder.TEMPLATE_ID || template == AuthFailedDecoder.TEMPLATE_ID)
        {
            if (mayAnswerStranger(nowNs))
            {
                raw.sendUnauthenticated(endpoint, buffer, length, nowNs);
            }
        }
        else
        {
            metrics.authRefused(MasterMetrics.AuthRefusal.NO_SESSION_TO_SEND);
        }
    }

    /** Sends sealed in the endpoint's session and returns true; false if it has none. */
    private boolean sealedTo(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
    {
        final Session s = byEndpoint.get(endpoint);
        if (s == null)
        {
            return false;
        }
        raw.send(endpoint, sealed, s.cipher.seal(buffer, 0, length, sealed), nowNs);
        return true;
    }
}
