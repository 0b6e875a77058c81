package io.corral.codec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS from PEM files, as operators have them (a certificate chain, an unencrypted PKCS#8 private
 * key, a CA certificate): the JDK's own classes only, for the masters' and agents' HTTP servers and
 * for the CLI. Raft's gRPC reads the same files itself (Ratis's file-based TLS config). Every
 * problem is an IllegalArgumentException naming the file and what to do.
 */
public final class Tls
{
    private Tls()
    {
    }

    /** A server's context: its certificate chain ({@code certPem}) and private key ({@code keyPem}). */
    public static SSLContext server(final Path certPem, final Path keyPem)
    {
        final List<X509Certificate> chain = certificates(certPem);
        final PrivateKey key = privateKey(keyPem);
        try
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("corral", key, new char[0], chain.toArray(new Certificate[0]));
            final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, new char[0]);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        }
        catch (final GeneralSecurityException | IOException ex)
        {
            throw new IllegalArgumentException("--tls-key " + keyPem + " does not go with --tls-cert " + certPem + ": " +
                ex.getMessage());
        }
    }

    /** A client's context that trusts the certificates in {@code caPem} (and nothing else). */
    public static SSLContext client(final Path caPem)
    {
        try
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (final X509Certificate ca : certificates(caPem))
            {
                store.setCertificateEntry("ca-" + i++, ca);
            }
            final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        }
        catch (final GeneralSecurityException | IOException ex)
        {
            throw new IllegalArgumentException("cannot trust the CA in " + caPem + ": " + ex.getMessage());
        }
    }

    /** The certificates of a PEM file, in order (a chain: the server's first). */
    public static List<X509Certificate> certificates(final Path pem)
    {
        try (InputStream in = Files.newInputStream(pem))
        {
            final List<X509Certificate> out = new ArrayList<>();
            for (final Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in))
            {
                out.add((X509Certificate)c);
            }
            if (out.isEmpty())
            {
                throw new IllegalArgumentException(pem + " holds no certificate (a PEM file with " +
                    "-----BEGIN CERTIFICATE----- blocks)");
            }
            return out;
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read " + pem + ": " + ex.getMessage());
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException(pem + " is not a PEM certificate file: " + ex.getMessage());
        }
    }

    /** An unencrypted PKCS#8 private key ({@code -----BEGIN PRIVATE KEY-----}), RSA or EC. */
    public static PrivateKey privateKey(final Path pem)
    {
        final String text;
        try
        {
            text = Files.readString(pem, StandardCharsets.US_ASCII);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read " + pem + ": " + ex.getMessage());
        }
        final String begin = "-----BEGIN PRIVATE KEY-----";
        final int from = text.indexOf(begin);
        final int to = text.indexOf("-----END PRIVATE KEY-----");
        if (from < 0 || to < from)
        {
            throw new IllegalArgumentException(pem + " is not an unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----)" +
                (text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY") ||
                text.contains("ENCRYPTED") ? "; convert it: openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW" : ""));
        }
        final byte[] der;
        try
        {
            der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(pem + ": the key is not valid base64");
        }
        for (final String algorithm : new String[] { "RSA", "EC", "Ed25519" })
        {
            try
            {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            }
            catch (final GeneralSecurityException ex)
            {
                // try the next kind
            }
        }
        throw new IllegalArgumentException(pem + " holds a private key that is neither RSA, EC nor Ed25519");
    }

    /**
     * The CA a client trusts for HTTPS to masters and agents: the PEM file named by the system
     * property {@code corral.tls.ca} or the environment variable {@code CORRAL_TLS_CA}; null when
     * neither is set (plain HTTP).
     */
    public static SSLContext clientFromEnvironment()
    {
        String named = System.getProperty("corral.tls.ca");
        if (named == null || named.isBlank())
        {
            named = System.getenv("CORRAL_TLS_CA");
        }
        return named == null || named.isBlank() ? null : client(Path.of(named));
    }

    /** PEM text of a DER block ({@code type} such as CERTIFICATE or PRIVATE KEY). */
    public static String pem(final String type, final byte[] der)
    {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] { '\n' }).encodeToString(der) +
            "\n-----END " + type + "-----\n";
    }
}
