package io.corral.codec;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

/**
 * HTTP authentication against a cluster's credentials: {@code Authorization: Bearer <token>} with
 * a token derived from a principal's secret, or HTTP Basic with {@code principal:secret} (as Mesos's
 * HTTP API takes it). A token is {@code corral1.<principal>.<expiry, epoch seconds>.<hex HMAC-SHA256
 * under the secret of "corral-http-v1", the principal and the expiry>}: any master with the
 * credentials file checks it without state, it names who holds it, and it stops working at its
 * expiry. Nothing here is on a hot path.
 */
public final class HttpAuth
{
    /** What a token is good for when the CLI makes one for a command: an hour. */
    public static final long DEFAULT_TTL_SECONDS = 3_600;
    /** A bearer token good for longer than this (its maker chose its expiry) is refused. */
    public static final long MAX_TTL_SECONDS = 24 * 3_600;
    private static final String PREFIX = "corral1.";

    private HttpAuth()
    {
    }

    /** A bearer token for {@code credential}, valid until {@code expiresAtSeconds} (epoch seconds). */
    public static String token(final Credentials.Credential credential, final long expiresAtSeconds)
    {
        return PREFIX + credential.principal() + "." + expiresAtSeconds + "." +
            HexFormat.of().formatHex(mac(credential.secret(), credential.principal(), expiresAtSeconds));
    }

    /** The header value a client sends: {@code Bearer <token>} for the next hour. */
    public static String bearer(final Credentials.Credential credential)
    {
        return "Bearer " + token(credential, System.currentTimeMillis() / 1000 + DEFAULT_TTL_SECONDS);
    }

    private static byte[] mac(final byte[] secret, final String principal, final long expiresAtSeconds)
    {
        return new Hmac(secret).start().update("corral-http-v1\0").update(principal).update("\0")
            .update(Long.toString(expiresAtSeconds)).finish();
    }

    /** Who sent a request, or why nobody could be told apart: exactly one of the two is set. */
    public record Caller(String principal, String problem)
    {
        public boolean known()
        {
            return principal != null;
        }
    }

    /**
     * Checks an {@code Authorization} header value (null when there was none) against
     * {@code credentials} at {@code nowSeconds}. A problem says what to send instead, never which
     * part of a wrong secret or token was wrong.
     */
    public static Caller check(final Credentials credentials, final String authorization, final long nowSeconds)
    {
        if (authorization == null || authorization.isBlank())
        {
            return new Caller(null, "this endpoint needs authentication: send 'Authorization: Bearer TOKEN' " +
                "(the corral CLI does, from the credential in CORRAL_CREDENTIAL or --credential) or HTTP Basic " +
                "principal:secret");
        }
        final String value = authorization.trim();
        if (value.regionMatches(true, 0, "Bearer ", 0, 7))
        {
            return bearer(credentials, value.substring(7).trim(), nowSeconds);
        }
        if (value.regionMatches(true, 0, "Basic ", 0, 6))
        {
            return basic(credentials, value.substring(6).trim());
        }
        return new Caller(null, "unsupported Authorization scheme: use Bearer TOKEN or Basic principal:secret");
    }

    private static Caller bearer(final Credentials credentials, final String token, final long nowSeconds)
    {
        final int last = token.lastIndexOf('.');
        final int middle = last < 0 ? -1 : token.lastIndexOf('.', last - 1);
        if (!token.startsWith(PREFIX) || middle <= PREFIX.length())
        {
            return new Caller(null, "the bearer token is not a Corral token (corral1.PRINCIPAL.EXPIRY.MAC)");
        }
        final String principal = token.substring(PREFIX.length(), middle);
        final long expiry;
        final byte[] given;
        try
        {
            expiry = Long.parseLong(token.substring(middle + 1, last));
            given = HexFormat.of().parseHex(token.substring(last + 1));
        }
        catch (final IllegalArgumentException ex)
        {
            return new Caller(null, "the bearer token is not a Corral token (corral1.PRINCIPAL.EXPIRY.MAC)");
        }
        final byte[] secret = credentials.secretOf(principal);
        final byte[] expected = mac(secret != null ? secret : new byte[32], principal, expiry);
        if (secret == null || given.length != expected.length || !Hmac.same(given, 0, expected, 0, expected.length))
        {
            return new Caller(null, "the bearer token is not valid for principal '" + principal +
                "' (a wrong or rotated secret): make a new one with the principal's current credential");
        }
        if (expiry < nowSeconds)
        {
            return new Caller(null, "the bearer token of principal '" + principal + "' expired " +
                (nowSeconds - expiry) + " s ago: make a new one");
        }
        if (expiry - nowSeconds > MAX_TTL_SECONDS)
        {
            // Its maker chose the expiry: the master caps how long a token may be good for.
            return new Caller(null, "the bearer token of principal '" + principal + "' is good for " +
                (expiry - nowSeconds) + " s, more than the " + MAX_TTL_SECONDS + " s a master takes: make one " +
                "that expires sooner");
        }
        return new Caller(principal, null);
    }

    /** What a sandbox token the master mints is good for: five minutes. */
    public static final long SANDBOX_TTL_SECONDS = 300;
    private static final String SANDBOX_PREFIX = "corral-sandbox1.";

    /**
     * A token that lets {@code reader} read the sandbox of task {@code taskId} of framework
     * {@code frameworkId} on an agent until {@code expiresAtSeconds}: {@code corral-sandbox1.<base64url
     * of framework, task, reader and expiry>.<hex HMAC-SHA256 under the agent principal's secret>}. The
     * master mints it (it has every secret, and checks the ACL first); the agent checks it with its own
     * secret alone, so agents need neither the credentials file nor the ACL.
     */
    public static String sandboxToken(final byte[] agentSecret, final long frameworkId, final String taskId,
        final String reader, final long expiresAtSeconds)
    {
        final String claims = frameworkId + "\0" + taskId + "\0" + reader + "\0" + expiresAtSeconds;
        return SANDBOX_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(
            claims.getBytes(StandardCharsets.UTF_8)) + "." + HexFormat.of().formatHex(sandboxMac(agentSecret, claims));
    }

    private static byte[] sandboxMac(final byte[] agentSecret, final String claims)
    {
        return new Hmac(agentSecret).start().update("corral-sandbox-v1\0").update(claims).finish();
    }

    /**
     * Checks an {@code Authorization} header (null when there was none) on an agent's sandbox
     * request for task {@code taskId} of {@code frameworkId}: who may read it, or why not (a token
     * for another task, a forged or expired one, none at all).
     */
    public static Caller checkSandbox(final byte[] agentSecret, final String authorization, final long frameworkId,
        final String taskId, final long nowSeconds)
    {
        if (authorization == null || !authorization.trim().regionMatches(true, 0, "Bearer ", 0, 7))
        {
            return new Caller(null, "this agent's sandboxes need a sandbox token: 'corral logs' gets one; or GET " +
                "/api/v1/tasks/" + frameworkId + "/TASK/sandbox from the leader and send 'Authorization: Bearer TOKEN'");
        }
        final String token = authorization.trim().substring(7).trim();
        final int dot = token.lastIndexOf('.');
        final String claims;
        final byte[] given;
        try
        {
            if (!token.startsWith(SANDBOX_PREFIX) || dot <= SANDBOX_PREFIX.length())
            {
                throw new IllegalArgumentException();
            }
            claims = new String(Base64.getUrlDecoder().decode(token.substring(SANDBOX_PREFIX.length(), dot)),
                StandardCharsets.UTF_8);
            given = HexFormat.of().parseHex(token.substring(dot + 1));
        }
        catch (final IllegalArgumentException ex)
        {
            return new Caller(null, "the bearer token is not a sandbox token: get one from the leader " +
                "(GET /api/v1/tasks/FRAMEWORK/TASK/sandbox)");
        }
        final byte[] expected = sandboxMac(agentSecret, claims);
        final String[] parts = claims.split("\0", -1);
        if (given.length != expected.length || !Hmac.same(given, 0, expected, 0, expected.length) || parts.length != 4)
        {
            return new Caller(null, "the sandbox token was not made for this agent (or was altered): get a new one " +
                "from the leader");
        }
        if (!parts[0].equals(Long.toString(frameworkId)) || !parts[1].equals(taskId))
        {
            return new Caller(null, "the sandbox token is for task '" + parts[1] + "' of framework " + parts[0] +
                ", not for task '" + taskId + "' of framework " + frameworkId);
        }
        final long expiry;
        try
        {
            expiry = Long.parseLong(parts[3]);
        }
        catch (final NumberFormatException ex)
        {
            return new Caller(null, "the sandbox token has no expiry");
        }
        if (expiry < nowSeconds)
        {
            return new Caller(null, "the sandbox token expired " + (nowSeconds - expiry) + " s ago: get a new one");
        }
        if (expiry - nowSeconds > 2 * SANDBOX_TTL_SECONDS)
        {
            return new Caller(null, "the sandbox token is good for " + (expiry - nowSeconds) + " s, longer than a " +
                "leader makes one for: get a new one");
        }
        return new Caller(parts[2], null);
    }

    private static Caller basic(final Credentials credentials, final String encoded)
    {
        final String decoded;
        try
        {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        }
        catch (final IllegalArgumentException ex)
        {
            return new Caller(null, "HTTP Basic credentials are not base64 of principal:secret");
        }
        final int colon = decoded.indexOf(':');
        if (colon <= 0)
        {
            return new Caller(null, "HTTP Basic credentials are not base64 of principal:secret");
        }
        final String principal = decoded.substring(0, colon);
        final byte[] given = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        final byte[] secret = credentials.secretOf(principal);
        if (secret == null || !java.security.MessageDigest.isEqual(secret, given))
        {
            return new Caller(null, "HTTP Basic authentication failed for principal '" + principal + "'");
        }
        return new Caller(principal, null);
    }
}
