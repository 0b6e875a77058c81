package io.corral.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

import io.corral.codec.CertificateAuthority;
import io.corral.codec.Protocol;
import io.corral.master.MasterConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code corral certs}: the certificates for Raft's mutual TLS between masters. Makes the
 * cluster's CA in a directory (or reuses the one there) and one certificate per master of
 * {@code --peers}, for the host in its entry; prints the flags each master is started with.
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
    description = "Make the CA and each master's certificate for mutual TLS on Raft (reuses the CA in --dir).")
final class CertsCommand implements Callable<Integer>
{
    @Option(names = "--peers", required = true,
        description = "Every master as id=host:port, as given to `corral master --peers`.")
    String peers;

    @Option(names = "--dir", defaultValue = "raft-tls",
        description = "Where the CA (ca.pem, ca-key.pem) and master-ID.pem / master-ID-key.pem go " +
            "(default ./${DEFAULT-VALUE}).")
    Path dir;

    @Override
    public Integer call() throws Exception
    {
        final Map<Integer, String> masters = new MasterConfig().peers(peers).peers();
        final CertificateAuthority ca = CertificateAuthority.openOrCreate(dir, "corral-raft-ca");
        for (final Map.Entry<Integer, String> m : masters.entrySet())
        {
            final Path[] files = ca.issueMaster(m.getKey(), Protocol.host(m.getValue()));
            System.out.println("master " + m.getKey() + " (" + Protocol.host(m.getValue()) + "): --raft-tls-cert " +
                files[0] + " --raft-tls-key " + files[1] + " --raft-tls-ca " + files[2]);
        }
        System.err.println("corral certs: copy each master's two files and " + ca.certificateFile() + " to its host; " +
            "keep " + dir.resolve(CertificateAuthority.CA_KEY) + " off the masters (it signs new masters' " +
            "certificates: run this again with the new --peers)");
        return 0;
    }
}
