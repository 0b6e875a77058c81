package io.corral.codec;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's own certificate authority for Raft's mutual TLS between masters: an EC P-256 CA
 * kept as two PEM files in a directory ({@value #CA_CERT}, {@value #CA_KEY}, owner-only), and
 * master certificates it signs for the host in a master's {@code --peers} entry (server and client
 * use, so one file serves both ends of a Raft connection). What {@code corral certs} and
 * {@code corral dev} use; the files are the ones {@code openssl} would make, so an operator may
 * bring their own instead. Keep this CA for Raft only: anything holding a certificate it signed
 * can take part in Raft.
 */
public final class CertificateAuthority
{
    public static final String CA_CERT = "ca.pem";
    public static final String CA_KEY = "ca-key.pem";
    /** Certificates are good for this long (corral dev makes new ones at each start). */
    public static final Duration VALIDITY = Duration.ofDays(825);

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final Path dir;

    private CertificateAuthority(final Path dir, final X509Certificate certificate, final PrivateKey key)
    {
        this.dir = dir;
        this.certificate = certificate;
        this.key = key;
    }

    /** The CA in {@code dir}: read if its two files are there, made (and written) if not. */
    public static CertificateAuthority openOrCreate(final Path dir, final String name) throws IOException
    {
        final Path cert = dir.resolve(CA_CERT);
        final Path key = dir.resolve(CA_KEY);
        if (Files.exists(cert) || Files.exists(key))
        {
            if (!Files.exists(cert) || !Files.exists(key))
            {
                throw new IllegalArgumentException(dir + " holds only one of " + CA_CERT + " and " + CA_KEY +
                    ": restore the other, or remove both to make a new CA (then every master needs a new certificate)");
            }
            return new CertificateAuthority(dir, Tls.certificates(cert).get(0), Tls.privateKey(key));
        }
        Files.createDirectories(dir);
        final KeyPair pair = keyPair();
        final X500Name subject = new X500Name("CN=" + name);
        final X509Certificate ca = sign(new JcaX509v3CertificateBuilder(subject, serial(), notBefore(), notAfter(),
            subject, pair.getPublic()), pair.getPrivate(), builder ->
        {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                new JcaX509ExtensionUtils().createSubjectKeyIdentifier(pair.getPublic()));
        });
        writeSecret(key, Tls.pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(cert, pem(ca));
        return new CertificateAuthority(dir, ca, pair.getPrivate());
    }

    /** The CA's certificate file: what every master trusts for Raft. */
    public Path certificateFile()
    {
        return dir.resolve(CA_CERT);
    }

    /**
     * A certificate for a master reached at {@code host} (an IP address or a DNS name; both
     * {@code localhost} and {@code 127.0.0.1} for a loopback one), written to {@code out} as
     * {@code NAME.pem} (its chain: itself, then the CA) and {@code NAME-key.pem} (owner-only).
     * Returns the two paths: certificate, key.
     */
    public Path[] issue(final Path out, final String name, final String host) throws IOException
    {
        if (host == null || host.isBlank())
        {
            throw new IllegalArgumentException("a master certificate needs the master's host (from its --peers entry)");
        }
        final KeyPair pair = keyPair();
        final List<GeneralName> names = new ArrayList<>();
        addName(names, host);
        if (host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1"))
        {
            addName(names, host.equals("localhost") ? "127.0.0.1" : "localhost");
        }
        final X509Certificate leaf = sign(new JcaX509v3CertificateBuilder(certificate, serial(), notBefore(),
            notAfter(), new X500Name("CN=" + host), pair.getPublic()), key, builder ->
        {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] { KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth }));
            builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(names.toArray(new GeneralName[0])));
            final JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                utils.createAuthorityKeyIdentifier(certificate));
        });
        Files.createDirectories(out);
        final Path certFile = out.resolve(name + ".pem");
        final Path keyFile = out.resolve(name + "-key.pem");
        writeSecret(keyFile, Tls.pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(certFile, pem(leaf) + pem(certificate));
        return new Path[] { certFile, keyFile };
    }

    /**
     * Master {@code id}'s certificate for {@code host}, as {@code master-ID.pem} and
     * {@code master-ID-key.pem} in this CA's directory (the names `corral certs` prints). Returns
     * certificate, key and this CA's certificate: the three {@code --raft-tls-*} files.
     */
    public Path[] issueMaster(final int id, final String host) throws IOException
    {
        final Path[] files = issue(dir, "master-" + id, host);
        return new Path[] { files[0], files[1], certificateFile() };
    }

    private static void addName(final List<GeneralName> names, final String host)
    {
        names.add(looksLikeAddress(host) ? new GeneralName(GeneralName.iPAddress, ipLiteral(host)) :
            new GeneralName(GeneralName.dNSName, host));
    }

    private static boolean looksLikeAddress(final String host)
    {
        return host.indexOf(':') >= 0 || host.matches("[0-9.]+");
    }

    private static String ipLiteral(final String host)
    {
        try
        {
            // a literal only (no look-up happens for one): normalises an IPv6 form
            return InetAddress.getByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host)
                .getHostAddress();
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalArgumentException("'" + host + "' is not an IP address", ex);
        }
    }

    private interface Extensions
    {
        void add(X509v3CertificateBuilder builder) throws CertIOException, GeneralSecurityException;
    }

    private static X509Certificate sign(final X509v3CertificateBuilder builder, final PrivateKey signer,
        final Extensions extensions) throws IOException
    {
        try
        {
            extensions.add(builder);
            return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        }
        catch (final GeneralSecurityException | OperatorCreationException ex)
        {
            throw new IOException("cannot make a certificate: " + ex.getMessage(), ex);
        }
    }

    private static KeyPair keyPair() throws IOException
    {
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            return generator.generateKeyPair();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IOException("cannot make an EC P-256 key: " + ex.getMessage(), ex);
        }
    }

    private static BigInteger serial()
    {
        return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
    }

    private static Date notBefore()
    {
        return Date.from(Instant.now().minus(Duration.ofHours(1))); // clocks of masters differ a little
    }

    private static Date notAfter()
    {
        return Date.from(Instant.now().plus(VALIDITY));
    }

    private static String pem(final X509Certificate certificate) throws IOException
    {
        try
        {
            return Tls.pem("CERTIFICATE", certificate.getEncoded());
        }
        catch (final java.security.cert.CertificateEncodingException ex)
        {
            throw new IOException(ex);
        }
    }

    /** Writes a private key readable by its owner only (made so before the key is in it). */
    private static void writeSecret(final Path file, final String text) throws IOException
    {
        Files.deleteIfExists(file);
        try
        {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        catch (final UnsupportedOperationException ex)
        {
            Files.createFile(file);
        }
        Files.writeString(file, text);
    }
}
