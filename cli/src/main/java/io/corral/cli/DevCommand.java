package io.corral.cli;

import java.io.File;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.corral.agent.AgentConfig;
import io.corral.agent.AgentNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.Resources;
import io.corral.codec.Protocol;
import io.corral.master.MasterConfig;
import io.corral.master.MasterNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code corral dev}: a whole local cluster in one process. */
@Command(name = "dev", mixinStandardHelpOptions = true, description = "A whole local cluster in one process: 3 masters and 2 agents.")
final class DevCommand implements Callable<Integer>
{
    @Option(names = "--data",
        description = "Directory for Raft logs and sandboxes, kept on exit (default: a temp dir, removed on exit).")
    File data;

    @Option(names = "--agents", defaultValue = "2", description = "Number of agents (default ${DEFAULT-VALUE}).")
    int agents;

    @Option(names = "--agent-resources", defaultValue = "",
        description = "More resources for every agent, e.g. 'gpus:1;ssd:100' (custom kinds such as ssd are made " +
            "known to the masters).")
    String agentResources;

    @Option(names = "--election-timeout-ms", defaultValue = MasterConfig.DEFAULT_ELECTION_MIN_MS + "-" +
        MasterConfig.DEFAULT_ELECTION_MAX_MS,
        description = "Raft election timeout range MIN-MAX in ms (default ${DEFAULT-VALUE}).")
    String electionTimeout;

    @Override
    public Integer call() throws Exception
    {
        final long[] election = Corral.electionRange(electionTimeout);
        for (int i = 0; i < 3; i++)
        {
            for (final int port : new int[] { 7001 + i, 7001 + i + Protocol.RAFT_PORT_OFFSET,
                7001 + i + Protocol.HTTP_PORT_OFFSET })
            {
                if (!LocalCluster.portFree(port))
                {
                    throw new IllegalStateException("port " + port + " is in use: corral dev needs 7001-7003, " +
                        "8001-8003 and 9001-9003 (is another corral dev running?)");
                }
            }
        }
        final File dir = data != null ? data : Files.createTempDirectory("corral-dev-").toFile();
        final LocalCluster cluster = LocalCluster.secured(dir, 3, agents, 7001, 2, 2048,
            c -> c.electionTimeoutMs(election[0], election[1]), agentResources);
        // As kind writes a kubeconfig: the command line tools on this machine find the
        // operator's credential here by themselves (Credentials.defaultFor), until dev stops.
        final java.nio.file.Path devCredential = io.corral.codec.Credentials.devCredentialFile();
        final io.corral.codec.Credentials.Credential operator = cluster.credential(LocalCluster.OPERATOR_PRINCIPAL);
        final String line = operator.principal() + " " + new String(operator.secret(),
            java.nio.charset.StandardCharsets.UTF_8);
        java.nio.file.Files.createDirectories(devCredential.getParent());
        java.nio.file.Files.deleteIfExists(devCredential);
        java.nio.file.Files.createFile(devCredential, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        java.nio.file.Files.writeString(devCredential, line + "\n");
        final Runnable forgetCredential = () ->
        {
            try
            {
                // Only ours: a newer corral dev may have written its own since.
                if (java.nio.file.Files.exists(devCredential) &&
                    java.nio.file.Files.readString(devCredential).equals(line + "\n"))
                {
                    java.nio.file.Files.delete(devCredential);
                }
            }
            catch (final java.io.IOException ex)
            {
                System.err.println("corral dev: could not remove " + devCredential + ": " + ex.getMessage());
            }
        };
        final MasterNode leader;
        try
        {
            leader = cluster.awaitReady(60, TimeUnit.SECONDS);
        }
        catch (final TimeoutException ex)
        {
            cluster.close();
            forgetCredential.run();
            throw ex;
        }
        System.out.println("corral dev: masters " + cluster.mastersSpec() + " (leader " + leader.address() + ", term " +
            leader.term() + ")");
        for (final AgentNode agent : cluster.agents())
        {
            System.out.println("corral dev: agent " + agent.agentId() + " on " + agent.endpoint() + ", sandboxes in " +
                agent.workDir());
        }
        System.out.println("corral dev: data in " + dir);
        System.out.println("corral dev: authentication on: credentials in " + cluster.credentialsFile() +
            " (agents as '" + LocalCluster.AGENT_PRINCIPAL + "'); the command line tools on this machine use '" +
            LocalCluster.OPERATOR_PRINCIPAL + "' from " + devCredential + " (removed on exit)");
        System.out.println("corral dev: Raft between masters on mutual TLS, bound to 127.0.0.1: the cluster's CA " +
            "and each master's certificate in " + new File(dir, LocalCluster.RAFT_TLS_DIR));
        System.out.println("corral dev: web UI http://" + Protocol.host(leader.address()) + ":" +
            (Protocol.port(leader.address()) + Protocol.HTTP_PORT_OFFSET) + "/ (metrics at /metrics)");
        System.out.println("corral dev: Mesos v1 frameworks: http://" + Protocol.host(leader.address()) + ":" +
            (Protocol.port(leader.address()) + Protocol.HTTP_PORT_OFFSET) + "/api/v1/scheduler (any master; " +
            "no credentials needed on loopback, they act as '" + LocalCluster.OPERATOR_PRINCIPAL + "')");
        System.out.println("corral dev: ready. Try: bin/corral run -- echo hello   (Ctrl-C stops everything)");
        System.out.flush();
        final AutoCloseable stop = () ->
        {
            cluster.shutdown(System.out);
            forgetCredential.run();
        };
        if (data == null)
        {
            // A temp dir we made is ours to remove; a --data dir is the user's to keep.
            Corral.awaitShutdown(stop, () -> Corral.deleteTree(dir));
        }
        else
        {
            Corral.awaitShutdown(stop);
        }
        return 0;
    }
}
