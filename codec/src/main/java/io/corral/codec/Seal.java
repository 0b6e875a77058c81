package io.corral.codec;

import java.security.SecureRandom;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;

import io.aeron.Publication;
import io.corral.codec.sbe.AuthFailedDecoder;
import io.corral.codec.sbe.ChallengeDecoder;
import io.corral.codec.sbe.HelloEncoder;
import io.corral.codec.sbe.MessageHeaderEncoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.SealedDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A client's (agent's or framework's) side of authenticated sessions with the masters, one per
 * master publication: the first message to a master sends a {@code Hello} instead (and reports
 * "not sent", so the caller's own retry sends it again later); the master's {@code Challenge}
 * makes the session, and from then on {@link #offer} seals every message and {@link #open}
 * accepts only messages sealed by that master. Unsealed, only the handshake and "not the leader"
 * redirects get through. Without a credential ({@link #insecure}) messages go out as they are and
 * nothing is checked. Owned by the client's duty thread.
 */
public final class Seal implements InboundAdapter.Gate
{
    private static final long HELLO_EVERY_NS = 1_000_000_000L;
    /** After the master refused the credential: ask again this rarely (the secret will not change by itself). */
    private static final long AFTER_FAILURE_NS = 5_000_000_000L;
    /**
     * While a master's sealed messages keep coming (within this), an unsealed "authentication
     * failed" is not believed: anyone can send one, and a master never refuses a session it has
     * answered in.
     */
    static final long TRUSTED_FOR_NS = 3_000_000_000L;

    private static final class Session
    {
        final Publication publication;
        final byte[] clientNonce = new byte[16];
        long helloAtNs;
        /** When a sealed message of this session last opened (System.nanoTime()). */
        long heardAtNs;
        /** A sealed message of the master opened in this session: it works, and no AuthFailed ends it. */
        boolean confirmed;
        SessionCipher cipher;

        Session(final Publication publication)
        {
            this.publication = publication;
        }
    }

    private final String principal;
    private final byte[] secret;
    private final Consumer<String> onRefused;
    private final Consumer<Publication> onEstablished;
    private final SecureRandom random = new SecureRandom();
    private final Map<Publication, Session> byPublication = new IdentityHashMap<>();
    private final Long2ObjectHashMap<Session> bySession = new Long2ObjectHashMap<>();
    private final ExpandableArrayBuffer sealed = new ExpandableArrayBuffer(4096);
    private final ExpandableArrayBuffer hello = new ExpandableArrayBuffer(512);
    private final HelloEncoder helloEncoder = new HelloEncoder();
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final byte[] serverNonce = new byte[16];
    private final byte[] echoed = new byte[16];
    private String endpoint;
    private long refusedUntilNs;
    /** When any master's sealed message last opened (System.nanoTime()); 0: never. */
    private long sealedHeardNs;

    private Seal(final String principal, final byte[] secret, final Consumer<String> onRefused,
        final Consumer<Publication> onEstablished)
    {
        this.onEstablished = onEstablished;
        this.principal = principal;
        this.secret = secret;
        this.onRefused = onRefused;
    }

    /**
     * Sessions for {@code credential}; {@code onRefused} hears each reason a master gives for
     * refusing it, {@code onEstablished} each new session (the caller can send at once instead of
     * waiting for its retry).
     */
    public static Seal of(final Credentials.Credential credential, final Consumer<String> onRefused,
        final Runnable onEstablished)
    {
        return of(credential, onRefused, publication -> onEstablished.run());
    }

    /**
     * As {@link #of(Credentials.Credential, Consumer, Runnable)}, told which master's publication the
     * new session is with: a client looking for the leader sends its registration there next, not
     * to the next master in its list.
     */
    public static Seal of(final Credentials.Credential credential, final Consumer<String> onRefused,
        final Consumer<Publication> onEstablished)
    {
        return new Seal(credential.principal(), credential.secret(), onRefused, onEstablished);
    }

    /** No credential: nothing sealed, nothing checked (a master run with --insecure). */
    public static Seal insecure()
    {
        return new Seal(null, null, r -> { }, p -> { });
    }

    public boolean secure()
    {
        return secret != null;
    }

    public String principal()
    {
        return principal;
    }

    /** Where this client listens: the master binds a session to it. Before the first {@link #offer}. */
    public Seal endpoint(final String endpoint)
    {
        this.endpoint = endpoint;
        return this;
    }

    /**
     * Sends {@code length} bytes of {@code buffer} from 0 to {@code publication}'s master, sealed
     * in its session; with no session yet, sends a Hello instead and returns false.
     */
    public boolean offer(final Publication publication, final MutableDirectBuffer buffer, final int length)
    {
        if (publication == null)
        {
            return false;
        }
        Session s = null;
        if (secret != null)
        {
            s = byPublication.get(publication);
            if (s == null || s.cipher == null)
            {
                hello(s == null ? newSession(publication) : s);
                return false;
            }
        }
        if (bundling)
        {
            Bundle bundle = bundles.get(publication);
            if (bundle == null)
            {
                bundle = new Bundle();
                bundles.put(publication, bundle);
            }
            if (bundle.isEmpty())
            {
                dirty.add(publication);
            }
            else if (!bundle.fits(length) && !send(publication, bundle))
            {
                return false; // back-pressured: the caller tries again later
            }
            bundle.add(buffer, 0, length);
            return true;
        }
        if (s == null)
        {
            return Outbound.offer(publication, buffer, length);
        }
        final int sealedLength = s.cipher.seal(buffer, 0, length, sealed);
        return Outbound.offer(publication, sealed, sealedLength);
    }

    /**
     * From now on {@link #offer} gathers messages per master and {@link #flush} sends each master's
     * as one frame (a {@code Bundle}, sealed once): the caller flushes at the end of each duty cycle.
     */
    public Seal bundling(final boolean on)
    {
        this.bundling = on;
        return this;
    }

    private boolean bundling;
    private final Map<Publication, Bundle> bundles = new IdentityHashMap<>();
    private final java.util.List<Publication> dirty = new java.util.ArrayList<>();

    /**
     * Sends what {@link #offer} gathered since the last flush, one frame per master; what a
     * back-pressured publication did not take stays for the next flush. Returns the frames sent.
     */
    public int flush()
    {
        int sent = 0;
        for (int i = dirty.size() - 1; i >= 0; i--)
        {
            final Publication publication = dirty.get(i);
            final Bundle bundle = bundles.get(publication);
            if (bundle.isEmpty() || send(publication, bundle))
            {
                dirty.remove(i);
                sent++;
            }
        }
        return sent;
    }

    /** Sends one bundle (sealed in the master's session); true, and the bundle emptied, if it went or cannot go. */
    private boolean send(final Publication publication, final Bundle bundle)
    {
        final org.agrona.concurrent.UnsafeBuffer frame = bundle.frame();
        final boolean went;
        if (secret == null)
        {
            went = Outbound.offer(publication, frame, bundle.frameLength());
        }
        else
        {
            final Session s = byPublication.get(publication);
            if (s == null || s.cipher == null)
            {
                bundle.clear(); // the session is gone: its messages are the callers' to send again
                return true;
            }
            went = Outbound.offer(publication, sealed, s.cipher.seal(frame, 0, bundle.frameLength(), sealed));
        }
        if (went)
        {
            bundle.clear();
        }
        return went;
    }

    /**
     * Seals {@code length} bytes of {@code buffer} for {@code publication}'s master into {@code out}
     * (from 0) and returns the sealed length; -1 if there is no session with it yet. (What
     * {@link #offer} sends; tests use it to capture a sealed frame and send it again.)
     */
    public int seal(final Publication publication, final DirectBuffer buffer, final int length,
        final MutableDirectBuffer out)
    {
        final Session s = byPublication.get(publication);
        return s == null || s.cipher == null ? -1 : s.cipher.seal(buffer, 0, length, out);
    }

    private Session newSession(final Publication publication)
    {
        final Session s = new Session(publication);
        byPublication.put(publication, s);
        return s;
    }

    private void hello(final Session s)
    {
        final long nowNs = System.nanoTime();
        if (s.helloAtNs != 0 && nowNs - s.helloAtNs < HELLO_EVERY_NS || nowNs < refusedUntilNs)
        {
            return;
        }
        if (endpoint == null)
        {
            throw new IllegalStateException("Seal.endpoint(...) was not set");
        }
        s.helloAtNs = nowNs;
        random.nextBytes(s.clientNonce);
        helloEncoder.wrapAndApplyHeader(hello, 0, header).putClientNonce(s.clientNonce, 0, 16).principal(principal)
            .endpoint(endpoint);
        Outbound.offer(s.publication, hello, MessageHeaderEncoder.ENCODED_LENGTH + helloEncoder.encodedLength());
    }

    /** Forgets every session (the next message to each master says Hello again): after losing the leader. */
    public void reset()
    {
        byPublication.clear();
        bySession.clear();
    }

    /**
     * True if a sealed message from {@code publication}'s master opened in the last {@code withinNs}:
     * its session is alive, whatever one of the clients sharing it thinks of that master.
     */
    public boolean heardFrom(final Publication publication, final long withinNs)
    {
        final Session s = byPublication.get(publication);
        return s != null && s.cipher != null && System.nanoTime() - s.heardAtNs < withinNs;
    }

    /**
     * Forgets the session with {@code publication}'s master if nothing sealed came from it within
     * {@code windowNs} of now (nor was the session made then): the master restarted or forgot it,
     * and answers nothing sent in it. For a client that is looking for the leader, before each try:
     * without this, a session a restarted master no longer knows is used forever.
     */
    public void resetIfSilent(final Publication publication, final long windowNs)
    {
        final Session s = byPublication.get(publication);
        if (s != null && s.cipher != null && System.nanoTime() - s.heardAtNs > windowNs)
        {
            reset(publication);
        }
    }

    /** Forgets the session with one master. */
    public void reset(final Publication publication)
    {
        final Session s = byPublication.remove(publication);
        if (s != null && s.cipher != null)
        {
            bySession.remove(s.cipher.session());
        }
    }

    /**
     * With a credential only a Challenge, a NotLeader, and an AuthFailed while no master's sealed
     * message is coming, arrive unsealed. A NotLeader may be unsealed because a new leader that has
     * no session with a client yet announces itself that way; it is anyone's word, so the handler
     * asks {@link #sealedInHand()} and takes an unsealed one only as a hint where to look while its
     * own leader does not answer (the master it points to then answers sealed, or not at all).
     */
    @Override
    public boolean admitsUnsealed(final int templateId)
    {
        return secret == null || templateId == ChallengeDecoder.TEMPLATE_ID ||
            templateId == NotLeaderDecoder.TEMPLATE_ID ||
            templateId == AuthFailedDecoder.TEMPLATE_ID && !hearingSealed();
    }

    /** True while the message being handled came sealed in a session (a master's own word). */
    public boolean sealedInHand()
    {
        return sealedInHand;
    }

    private boolean sealedInHand;

    @Override
    public void done()
    {
        sealedInHand = false;
    }

    /** True while a master's sealed messages keep coming: its word is the one that counts then. */
    private boolean hearingSealed()
    {
        return sealedHeardNs != 0 && System.nanoTime() - sealedHeardNs < TRUSTED_FOR_NS;
    }

    @Override
    public boolean open(final SealedDecoder message, final DirectBuffer frame, final UnsafeBuffer inner,
        final int aeronSession)
    {
        final Session s = bySession.get(message.session());
        if (s != null && s.cipher.open(message, frame, 0, inner) == SessionCipher.Opened.OK)
        {
            s.heardAtNs = System.nanoTime();
            s.confirmed = true;
            sealedInHand = true;
            sealedHeardNs = s.heardAtNs == 0 ? 1 : s.heardAtNs;
            return true;
        }
        return false;
    }

    @Override
    public void refusedUnsealed(final int templateId, final int aeronSession)
    {
        // Only a master's sealed messages count: an unsealed one is someone else's, or a master run
        // without credentials (then the Hello goes unanswered and onRefused says why).
    }

    @Override
    public void onChallenge(final ChallengeDecoder m)
    {
        m.getClientNonce(echoed, 0, 16);
        for (final Session s : byPublication.values())
        {
            if (s.cipher == null && s.helloAtNs != 0 && Hmac.same(echoed, 0, s.clientNonce, 0, 16))
            {
                m.getServerNonce(serverNonce, 0, 16);
                final byte[] key = SessionCipher.sessionKey(secret, principal, endpoint, s.clientNonce, serverNonce);
                s.cipher = SessionCipher.client(m.session(), key);
                s.heardAtNs = System.nanoTime();
                bySession.put(m.session(), s);
                onEstablished.accept(s.publication);
                return;
            }
        }
    }

    @Override
    public void onAuthFailed(final AuthFailedDecoder m)
    {
        final Session s = bySession.get(m.session());
        final String reason = m.reason();
        if (m.session() == 0 && System.nanoTime() >= refusedUntilNs)
        {
            // A master that takes no sessions at all (run with --insecure) says so to every Hello.
            refused(reason);
            return;
        }
        if (s == null || s.confirmed)
        {
            // Not a session of ours (someone else's, or forgotten), or one the master has already
            // answered in: a master never refuses such a session, so this is someone else's word.
            return;
        }
        reset(s.publication);
        refused(reason);
    }

    private void refused(final String reason)
    {
        refusedUntilNs = System.nanoTime() + AFTER_FAILURE_NS;
        onRefused.accept(reason);
    }
}
