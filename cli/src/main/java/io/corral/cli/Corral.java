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

/** The {@code corral} command. */
@Command(name = "corral", mixinStandardHelpOptions = true, version = "corral 0.1.0",
    description = "A cluster resource manager: Raft-replicated masters, DRF offers, tasks as processes.",
    subcommands = { Corral.Master.class, CertsCommand.class, Corral.Agent.class, DevCommand.class, RunCommand.Run.class, Corral.Role.class,
        OperatorCommands.State.class, OperatorCommands.Agents.class, OperatorCommands.Frameworks.class,
        OperatorCommands.Tasks.class, OperatorCommands.Kill.class, OperatorCommands.Logs.class,
        WordCountCommand.class, ServiceCommand.class, CredentialsCommand.class, AclCommand.class,
        CommandLine.HelpCommand.class })
public final class Corral
{
    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    /** The command line with Corral's error handling: a clear message on stderr and exit code 2. */
    public static CommandLine commandLine()
    {
        final CommandLine cli = new CommandLine(new Corral());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) ->
        {
            final boolean explained = ex instanceof IllegalArgumentException || ex instanceof IllegalStateException ||
                ex instanceof TimeoutException;
            cmd.getErr().println("corral: " + (explained ? ex.getMessage() : ex.toString()));
            return 2;
        });
        return cli;
    }

    static void awaitShutdown(final AutoCloseable... closeables) throws InterruptedException
    {
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            for (final AutoCloseable c : closeables)
            {
                try
                {
                    c.close();
                }
                catch (final Exception ex)
                {
                    System.err.println("corral: error while stopping: " + ex);
                }
            }
            done.countDown();
        }, "corral-shutdown"));
        done.await();
    }

    /** Parses {@code MIN-MAX} (ms) for --election-timeout-ms. */
    static long[] electionRange(final String spec)
    {
        final String[] range = spec.split("-");
        try
        {
            if (range.length == 2)
            {
                return new long[] { Long.parseLong(range[0].trim()), Long.parseLong(range[1].trim()) };
            }
        }
        catch (final NumberFormatException ex)
        {
            // the message below says what is expected
        }
        throw new IllegalArgumentException("--election-timeout-ms must be MIN-MAX in ms, e.g. 300-600; got '" + spec + "'");
    }

    static void deleteTree(final File root)
    {
        final File[] children = root.listFiles();
        if (children != null)
        {
            for (final File child : children)
            {
                deleteTree(child);
            }
        }
        if (!root.delete() && root.exists())
        {
            System.err.println("corral: could not delete " + root);
        }
    }

    @Command(name = "master", mixinStandardHelpOptions = true, description = "Run one master of a Raft quorum.")
    static final class Master implements Callable<Integer>
    {
        @Option(names = "--id", required = true, description = "This master's id among --peers.")
        int id;

        @Option(names = "--peers", required = true,
            description = "Every master as id=host:port (its Aeron address; Raft uses port+1000).")
        String peers;

        @Option(names = "--data", required = true, description = "Directory for this master's Raft log.")
        File data;

        @Option(names = "--agent-timeout-ms", defaultValue = "5000",
            description = "An agent silent this long is removed, its tasks LOST (default ${DEFAULT-VALUE}).")
        long agentTimeoutMs;

        @Option(names = "--reregistration-grace-ms", defaultValue = "10000",
            description = "After a failover, how long agents and frameworks get to come back (default ${DEFAULT-VALUE}).")
        long graceMs;

        @Option(names = "--election-timeout-ms", defaultValue = "150-300",
            description = "Raft election timeout range MIN-MAX in ms (default ${DEFAULT-VALUE}).")
        String electionTimeout;

        @Option(names = "--snapshot-every", defaultValue = "10000",
            description = "Snapshot after this many log entries, then purge the log (default ${DEFAULT-VALUE}).")
        long snapshotEvery;

        @Option(names = "--resource-kinds", defaultValue = "",
            description = "Custom scalar resource kinds agents may offer besides cpus, mem, disk and gpus, e.g. " +
                "'ssd,fpga' (the same on every master).")
        String resourceKinds;

        @Option(names = "--offer-timeout", defaultValue = "30",
            description = "Seconds before an unanswered offer is rescinded and its resources go back; 0: never " +
                "(default ${DEFAULT-VALUE}).")
        double offerTimeoutSeconds;

        @Option(names = "--max-launches-in-flight", defaultValue = "" + MasterConfig.DEFAULT_MAX_LAUNCHES_IN_FLIGHT,
            description = "Launches the leader holds at most: proposed, or not yet confirmed by their agents, plus " +
                "those it expects from the offers it made in the last second; more wait, no offers go out while " +
                "any wait, and an allocation pass makes only the offers that fit (default ${DEFAULT-VALUE}).")
        int maxLaunchesInFlight;

        @Option(names = "--credentials", paramLabel = "FILE",
            description = "The cluster's credentials file (`principal secret` per line, as Mesos's; make one with " +
                "`corral credentials add NAME --file FILE`): agents and frameworks must authenticate as one of them.")
        File credentials;

        @Option(names = "--insecure",
            description = "Run without credentials: anyone who can reach this master may register agents and " +
                "frameworks. Only on a trusted network.")
        boolean insecure;

        @Option(names = "--authenticate-http-readonly", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --credentials, reads over HTTP (/api/v1/state, /metrics, the UI) need a token or " +
                "HTTP Basic too, as Mesos's --authenticate_http_readonly (default: on; changes always need it; " +
                "/health is always open). --no-authenticate-http-readonly leaves reads open.")
        boolean authenticateHttpReadonly;

        @Option(names = "--authenticate-http-frameworks", negatable = true, defaultValue = "true",
            fallbackValue = "true",
            description = "With --credentials, Mesos v1 HTTP frameworks (POST /api/v1/scheduler) authenticate with " +
                "HTTP Basic principal:secret, as Mesos's --authenticate_http_frameworks (default: on). " +
                "--no-authenticate-http-frameworks lets them in unauthenticated, as --http-framework-principal.")
        boolean authenticateHttpFrameworks;

        @Option(names = "--http-framework-principal", paramLabel = "NAME",
            description = "With --no-authenticate-http-frameworks: the principal (of --credentials) that " +
                "unauthenticated Mesos frameworks act as; its ACL applies.")
        String httpFrameworkPrincipal;

        /** On a master: HTTPS on its HTTP port, and mutual TLS on Raft's gRPC between masters. */
        @CommandLine.Mixin
        TlsFiles tls;

        @Option(names = "--tls-ca", paramLabel = "PEM",
            description = "The CA that signed every master's certificate (default: --tls-cert itself, for one " +
                "self-signed certificate all masters share). Clients trust it with CORRAL_TLS_CA=FILE.")
        java.nio.file.Path tlsCa;

        @Option(names = "--raft-tls-cert", paramLabel = "PEM",
            description = "This master's certificate chain for mutual TLS on Raft between masters (made by " +
                "`corral certs`); with --raft-tls-key and --raft-tls-ca. Default: --tls-cert's files.")
        java.nio.file.Path raftCert;

        @Option(names = "--raft-tls-key", paramLabel = "PEM", description = "Its private key (unencrypted PKCS#8).")
        java.nio.file.Path raftKey;

        @Option(names = "--raft-tls-ca", paramLabel = "PEM",
            description = "The CA that signed every master's Raft certificate; a peer without one is refused.")
        java.nio.file.Path raftCa;

        @Option(names = "--operators", paramLabel = "NAME,...", defaultValue = "",
            description = "Principals (of --credentials) that may do everything: set ACLs and quotas, kill any " +
                "task, read any sandbox. Others get least privilege until ACLs say more (see `corral acl`).")
        String operators;

        @Option(names = "--insecure-raft",
            description = "With --credentials, run Raft without TLS: anyone who reaches the Raft port could write " +
                "to the log. Only where nothing but the masters can reach it.")
        boolean insecureRaft;

        @Option(names = "--propose-via", paramLabel = "local|client", defaultValue = "local",
            description = "How the leader proposes log entries: to its own Raft server in process (local, the " +
                "default) or through a Raft client over gRPC on loopback (client), to compare the two.")
        String proposeVia;

        private static boolean proposeVia(final String how)
        {
            if (!how.equals("local") && !how.equals("client"))
            {
                throw new IllegalArgumentException("--propose-via " + how + ": give local or client");
            }
            return how.equals("client");
        }

        @Override
        public Integer call() throws Exception
        {
            final long[] range = electionRange(electionTimeout);
            if (credentials != null && insecure)
            {
                throw new IllegalArgumentException("--credentials and --insecure together: give one of them");
            }
            final MasterConfig config = new MasterConfig();
            if (credentials != null)
            {
                config.credentials(io.corral.codec.Credentials.load(credentials.toPath()))
                    .authenticateHttpReadonly(authenticateHttpReadonly)
                    .authenticateHttpFrameworks(authenticateHttpFrameworks, httpFrameworkPrincipal);
            }
            else if (insecure)
            {
                config.insecure();
            }
            final MasterNode master = new MasterNode(config.id(id).peers(peers).dataDir(data)
                .electionTimeoutMs(range[0], range[1])
                .agentTimeoutMs(agentTimeoutMs).reregistrationGraceMs(graceMs)
                .snapshotEvery(snapshotEvery, MasterConfig.DEFAULT_LOG_SEGMENT_BYTES).resourceKinds(resourceKinds)
                .offerTimeoutMs(Math.round(offerTimeoutSeconds * 1000)).maxLaunchesInFlight(maxLaunchesInFlight)
                .tls(tls.cert, tls.key, tlsCa).raftTls(raftCert, raftKey, raftCa).insecureRaft(insecureRaft).operators(operators)
                .proposeViaClient(proposeVia(proposeVia)));
            System.out.println("master " + id + " on " + master.address() + " (Ctrl-C to stop)");
            awaitShutdown(master);
            return 0;
        }
    }

    /**
     * {@code --tls-cert PEM --tls-key PEM}, as masters and agents take them: the node's certificate
     * chain and its unencrypted PKCS#8 private key; HTTPS for its HTTP port (on a master, also
     * mutual TLS for Raft).
     */
    static final class TlsFiles
    {
        @Option(names = "--tls-cert", paramLabel = "PEM", description = "The certificate chain for TLS (with " +
            "--tls-key): HTTPS on this node's HTTP port; on a master also mutual TLS on Raft's gRPC (give every " +
            "master one).")
        java.nio.file.Path cert;

        @Option(names = "--tls-key", paramLabel = "PEM", description = "Its private key (unencrypted PKCS#8).")
        java.nio.file.Path key;
    }

    @Command(name = "agent", mixinStandardHelpOptions = true, description = "Run an agent that lends this host's resources and runs tasks.")
    static final class Agent implements Callable<Integer>
    {
        @Option(names = "--credential", paramLabel = "FILE",
            description = "A file with this agent's `principal secret` line (from the masters' credentials file); " +
                "default: $CORRAL_CREDENTIAL, or corral dev's own when --masters is the dev default.")
        File credential;

        @Option(names = "--principal", description = "Which principal of --credential to use, if it has several.")
        String principal;

        @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
        String masters;

        @Option(names = "--cpus", description = "CPUs to offer (default: every core of this host).")
        Double cpus;

        @Option(names = "--mem", description = "Memory in MiB (default: /proc/meminfo total less 1 GiB, at most half).")
        Long mem;

        @Option(names = "--disk", description = "Disk in MiB (default: usable space of --work-dir less 5%%).")
        Long disk;

        @Option(names = "--gpus", defaultValue = "0", description = "GPUs to offer (default ${DEFAULT-VALUE}).")
        long gpus;

        @Option(names = "--work-dir", required = true, description = "Where task sandboxes go.")
        File workDir;

        @Option(names = "--resources", description = "Resources as 'cpus:4;mem:8192;disk:100000;gpus:1;ssd:100' " +
            "(overrides --cpus/--mem/--disk/--gpus; other names are custom kinds in whole units, which every " +
            "master must be started with: --resource-kinds).")
        String resources;

        @Option(names = "--sandbox-gc-hours", defaultValue = "168",
            description = "Remove sandboxes of ended tasks this old (default ${DEFAULT-VALUE}).")
        long sandboxGcHours;

        @Option(names = "--attributes", defaultValue = "",
            description = "Attributes shown in offers, e.g. 'rack:r1;zone:a'.")
        String attributes;

        @Option(names = "--isolation", defaultValue = "auto",
            description = "cgroups, rss, none, or auto: cgroups where possible, else rss (default ${DEFAULT-VALUE}).")
        String isolation;

        @Option(names = "--heartbeat-ms", defaultValue = "500",
            description = "Heartbeat interval; 5 unanswered heartbeats and the agent looks for a new leader (default ${DEFAULT-VALUE}).")
        long heartbeatMs;

        @Option(names = "--bind", defaultValue = "127.0.0.1",
            description = "Address masters reach this agent on (default ${DEFAULT-VALUE}).")
        String bind;

        /** On an agent: HTTPS for the sandbox server. */
        @CommandLine.Mixin
        TlsFiles tls;

        @Option(names = "--task-user", paramLabel = "USER",
            description = "Run tasks as this unprivileged user (Mesos's --switch_user); needs the agent to run as " +
                "root. Default: tasks run as the agent's own user.")
        String taskUser;

        @Override
        public Integer call() throws Exception
        {
            final AgentConfig config = new AgentConfig().masters(masters).workDir(workDir).bindHost(bind)
                .heartbeatMs(heartbeatMs).gpus(gpus).isolation(isolation).attributes(attributes)
                .sandboxGcHours(sandboxGcHours).taskUser(taskUser).tls(tls.cert, tls.key)
                .credential(credential != null ? io.corral.codec.Credentials.credential(credential.toPath(), principal) :
                    io.corral.codec.Credentials.defaultFor(masters));
            if (cpus != null)
            {
                config.cpus(cpus);
            }
            if (mem != null)
            {
                config.memMiB(mem);
            }
            if (disk != null)
            {
                config.diskMiB(disk);
            }
            if (resources != null)
            {
                config.resources(resources);
            }
            final AgentNode agent = new AgentNode(config);
            System.out.println("agent on " + agent.endpoint() + ", masters " + masters + " (Ctrl-C to stop)");
            awaitShutdown(agent);
            return 0;
        }
    }

    @Command(name = "role", mixinStandardHelpOptions = true, description = "Set a role's weight and quota; replicated by the master quorum.")
    static final class Role implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "NAME", description = "The role.")
        String name;

        @Option(names = "--weight", defaultValue = "1", description = "Weight in fair sharing (default ${DEFAULT-VALUE}).")
        double weight;

        @Option(names = "--guarantee", defaultValue = "", description = "Quota guarantee, e.g. 'cpus:4;mem:8192'.")
        String guarantee;

        @Option(names = "--limit", defaultValue = "", description = "Quota limit, e.g. 'cpus:8' (kinds not named: none).")
        String limit;

        @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
        String masters;

        @Override
        public Integer call() throws Exception
        {
            if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"))
            {
                System.err.println("corral role: role name '" + name + "' is invalid: use letters, digits, '_', '.' " +
                    "and '-' (at most 128, not starting with '.' or '-')");
                return 2;
            }
            final String body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                java.util.Map.of("weight", weight, "guarantee", guarantee, "limit", limit));
            final java.net.http.HttpResponse<String> response;
            try
            {
                response = new MasterApi(masters).post("/api/v1/roles/" + name, body);
            }
            catch (final IllegalArgumentException ex)
            {
                System.err.println("corral role: " + ex.getMessage());
                return 3;
            }
            if (response.statusCode() == 200)
            {
                System.out.println("role " + name + ": weight " + weight +
                    (guarantee.isEmpty() ? "" : ", guarantee " + guarantee) + (limit.isEmpty() ? "" : ", limit " + limit));
                return 0;
            }
            System.err.println("corral role: refused: " +
                MasterApi.JSON.readTree(response.body()).path("error").asText(response.body()));
            return 2;
        }
    }
}
