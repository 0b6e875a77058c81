package io.corral.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.corral.codec.Tls;

/**
 * A throwaway certificate authority for tests, made with the JDK's keytool: a CA and one
 * certificate it signed for localhost / 127.0.0.1 (server and client use, so masters can use it
 * for mutual TLS), written as the PEM files an operator gives Corral.
 */
final class TestCa
{
    final Path ca;
    final Path cert;
    final Path key;

    private TestCa(final Path ca, final Path cert, final Path key)
    {
        this.ca = ca;
        this.cert = cert;
        this.key = key;
    }

    static TestCa make(final Path dir) throws Exception
    {
        Files.createDirectories(dir);
        final String pass = "test-only";
        keytool(dir, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
            "CN=corral-test-ca", "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12", "-storetype", "PKCS12",
            "-storepass", pass);
        keytool(dir, "-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", pass, "-rfc", "-file", "ca.pem");
        keytool(dir, "-genkeypair", "-alias", "leaf", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
            "CN=localhost", "-validity", "2", "-keystore", "leaf.p12", "-storetype", "PKCS12", "-storepass", pass);
        keytool(dir, "-certreq", "-alias", "leaf", "-keystore", "leaf.p12", "-storepass", pass, "-file", "leaf.csr");
        keytool(dir, "-gencert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", pass, "-infile", "leaf.csr",
            "-outfile", "leaf.pem", "-rfc", "-validity", "2", "-ext", "san=ip:127.0.0.1,dns:localhost",
            "-ext", "ku:c=digitalSignature,keyEncipherment", "-ext", "eku=serverAuth,clientAuth");
        final KeyStore leaf = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve("leaf.p12")))
        {
            leaf.load(in, pass.toCharArray());
        }
        final Path key = dir.resolve("key.pem");
        Files.writeString(key, Tls.pem("PRIVATE KEY", leaf.getKey("leaf", pass.toCharArray()).getEncoded()));
        final Path cert = dir.resolve("cert.pem");
        Files.writeString(cert, Files.readString(dir.resolve("leaf.pem")) + Files.readString(dir.resolve("ca.pem")));
        for (final String f : List.of("ca.p12", "leaf.p12", "leaf.csr", "leaf.pem"))
        {
            Files.delete(dir.resolve(f));
        }
        return new TestCa(dir.resolve("ca.pem"), cert, key);
    }

    private static void keytool(final Path dir, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.add("-noprompt");
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
        {
            p.destroyForcibly();
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
        }
    }
}
