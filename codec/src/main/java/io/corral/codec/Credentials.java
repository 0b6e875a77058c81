package io.corral.codec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A cluster's credentials file: one {@code principal secret} per line, as Mesos's
 * {@code --credentials} text file (blank lines and {@code #} comments allowed), so a Mesos user's
 * file works unchanged. {@link #add} writes a new principal with a random secret, the file
 * readable by its owner only.
 *
 * <p>Secrets never leave this object: {@link #toString} and {@link #principals} show names only;
 * a peer proves it knows a secret with {@link #response}, an HMAC-SHA256 over a nonce of the
 * verifier's choosing, checked in constant time by {@link #verify}.
 */
public final class Credentials
{
    /** What a principal may be named: letters, digits and {@code . _ -}, 1 to 128 of them. */
    public static final Pattern PRINCIPAL = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final int SECRET_BYTES = 32;
    private static final int MIN_SECRET_CHARS = 16;
    private static final String HMAC = "HmacSHA256";

    private final Map<String, byte[]> secrets;

    private Credentials(final Map<String, byte[]> secrets)
    {
        this.secrets = secrets;
    }

    /** Reads a credentials file; a malformed line is an error naming the file, the line and the fix. */
    public static Credentials load(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            throw new IllegalArgumentException("credentials file " + file + " does not exist: create it with " +
                "`corral credentials add NAME --file " + file + "`");
        }
        final Map<String, byte[]> secrets = new LinkedHashMap<>();
        int lineNo = 0;
        for (final String raw : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            lineNo++;
            final String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final String[] parts = line.split("\\s+");
            if (parts.length != 2)
            {
                throw new IllegalArgumentException(file + " line " + lineNo + ": expected `principal secret`, got " +
                    parts.length + " fields");
            }
            checkPrincipal(parts[0], file + " line " + lineNo);
            if (parts[1].length() < MIN_SECRET_CHARS)
            {
                throw new IllegalArgumentException(file + " line " + lineNo + ": the secret of '" + parts[0] +
                    "' is " + parts[1].length() + " characters; use at least " + MIN_SECRET_CHARS +
                    " (`corral credentials add` makes 43)");
            }
            if (secrets.put(parts[0], parts[1].getBytes(StandardCharsets.UTF_8)) != null)
            {
                throw new IllegalArgumentException(file + " line " + lineNo + ": principal '" + parts[0] +
                    "' appears twice; keep one line for it");
            }
        }
        return new Credentials(Collections.unmodifiableMap(secrets));
    }

    /**
     * Adds {@code principal} with a new random secret to {@code file} (created, owner-only, if
     * missing) and returns the secret. Refuses a principal already there.
     */
    public static String add(final Path file, final String principal) throws IOException
    {
        checkPrincipal(principal, "principal");
        if (Files.exists(file) && load(file).secrets.containsKey(principal))
        {
            throw new IllegalArgumentException("principal '" + principal + "' is already in " + file +
                "; pick another name, or remove its line to replace its secret");
        }
        final byte[] random = new byte[SECRET_BYTES];
        new SecureRandom().nextBytes(random);
        final String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        if (!Files.exists(file))
        {
            final Path parent = file.toAbsolutePath().getParent();
            if (parent != null)
            {
                Files.createDirectories(parent);
            }
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(file, principal + " " + secret + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return secret;
    }

    private static void checkPrincipal(final String principal, final String where)
    {
        if (!PRINCIPAL.matcher(principal).matches())
        {
            throw new IllegalArgumentException(where + ": '" + principal + "' is not a principal name; use 1 to " +
                "128 letters, digits, '.', '_' or '-'");
        }
    }

    /**
     * Makes sure {@code file} (created, owner-only, if missing) names each of {@code principals},
     * adding the missing ones with new random secrets; returns the file as loaded. (For clusters
     * a harness starts: corral dev, the test and chaos clusters.)
     */
    public static Credentials ensure(final Path file, final String... principals) throws IOException
    {
        for (final String principal : principals)
        {
            if (!Files.exists(file) || !load(file).knows(principal))
            {
                add(file, principal);
            }
        }
        return load(file);
    }

    /** One principal and its secret: what an agent or a framework proves it is with. */
    public record Credential(String principal, byte[] secret)
    {
        @Override
        public String toString()
        {
            return "Credential[" + principal + "]"; // never the secret
        }
    }

    /**
     * The one credential of a file with a single {@code principal secret} line (Mesos's agent
     * {@code --credential}); a file with several names which to use.
     */
    public static Credential credential(final Path file, final String principal) throws IOException
    {
        final Credentials all = load(file);
        if (principal != null)
        {
            final byte[] secret = all.secrets.get(principal);
            if (secret == null)
            {
                throw new IllegalArgumentException("principal '" + principal + "' is not in " + file + "; it has " +
                    all.principals());
            }
            return new Credential(principal, secret);
        }
        if (all.secrets.size() != 1)
        {
            throw new IllegalArgumentException(file + " has " + all.secrets.size() + " principals " + all.principals() +
                "; name the one to use with --principal");
        }
        final Map.Entry<String, byte[]> only = all.secrets.entrySet().iterator().next();
        return new Credential(only.getKey(), only.getValue());
    }

    /** Where {@code corral dev} leaves the credential its command line tools use ({@code ~/.corral/dev.credential}). */
    public static Path devCredentialFile()
    {
        return Path.of(System.getProperty("user.home"), ".corral", "dev.credential");
    }

    /**
     * The credential a client uses when none is given: the file named by the system property
     * {@code corral.credential} or the environment variable {@code CORRAL_CREDENTIAL}; else, for the
     * masters {@code corral dev} runs ({@link Protocol#DEV_MASTERS}), the one it wrote; else none.
     */
    public static Credential defaultFor(final String masters)
    {
        String named = System.getProperty("corral.credential");
        if (named == null || named.isBlank())
        {
            named = System.getenv("CORRAL_CREDENTIAL");
        }
        try
        {
            if (named != null && !named.isBlank())
            {
                return credential(Path.of(named), null);
            }
            final Path dev = devCredentialFile();
            return Protocol.DEV_MASTERS.equals(masters) && Files.exists(dev) ? credential(dev, null) : null;
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read the credential: " + ex.getMessage());
        }
    }

    /** The secret of {@code principal}, or null (only the master's session table asks). */
    public byte[] secretOf(final String principal)
    {
        return secrets.get(principal);
    }

    public Set<String> principals()
    {
        return secrets.keySet();
    }

    public boolean knows(final String principal)
    {
        return secrets.containsKey(principal);
    }

    /** What a peer holding {@code secret} answers to {@code nonce}: HMAC-SHA256(secret, nonce). */
    public static byte[] response(final byte[] secret, final byte[] nonce)
    {
        try
        {
            final Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(secret, HMAC));
            return mac.doFinal(nonce);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HMAC-SHA256 is missing from this JVM", ex);
        }
    }

    /** The response as {@link #response} computes it from a secret written as text. */
    public static byte[] response(final String secret, final byte[] nonce)
    {
        return response(secret.getBytes(StandardCharsets.UTF_8), nonce);
    }

    /** True if {@code response} proves {@code principal} knows its secret (constant-time; unknown: false). */
    public boolean verify(final String principal, final byte[] nonce, final byte[] response)
    {
        final byte[] secret = secrets.get(principal);
        return secret != null && response != null && MessageDigest.isEqual(response(secret, nonce), response);
    }

    /** A fresh random nonce for a challenge. */
    public static byte[] nonce()
    {
        final byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        return nonce;
    }

    @Override
    public String toString()
    {
        return "Credentials" + secrets.keySet(); // names only: never a secret in a log line
    }
}
