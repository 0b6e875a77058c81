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

/** {@code corral service}: the example long-running framework. */
@Command(name = "service", mixinStandardHelpOptions = true, description = "Example framework: keep N instances of a command running.",
    subcommands = { ServiceCommand.Scale.class })
final class ServiceCommand implements Callable<Integer>
{
    @Option(names = "--name", defaultValue = "svc", description = "Service name (default ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--instances", defaultValue = "1", description = "Instances to keep running.")
    int instances;

    @Option(names = "--spread-by", description = "Agent attribute to spread instances over (e.g. host).")
    String spreadBy;

    @Option(names = "--cpus", defaultValue = "0.1", description = "CPUs per instance.")
    double cpus;

    @Option(names = "--mem", defaultValue = "32", description = "Memory per instance in MiB.")
    long mem;

    @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
    String masters;

    @Option(names = "--keep-tasks",
        description = "On Ctrl-C or SIGTERM, leave the instances running (the framework fails over for 60 s) " +
            "instead of killing them.")
    boolean keepTasks;

    @Parameters(arity = "0..*", paramLabel = "COMMAND", description = "The command each instance runs.")
    List<String> command;

    /** Where a running service on this host leaves its control address, for {@code service scale NAME}. */
    static java.nio.file.Path controlFile(final String name)
    {
        return java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "corral-services", name + ".control");
    }

    @Override
    public Integer call() throws Exception
    {
        if (command == null || command.isEmpty())
        {
            throw new IllegalArgumentException("give the command to run: corral service --instances 3 -- CMD");
        }
        final io.corral.examples.Service service = new io.corral.examples.Service(name, String.join(" ", command),
            Resources.of(cpus, mem), instances, spreadBy, System.out);
        final CorralSchedulerDriver driver = service.start(masters);
        final java.nio.file.Path file = controlFile(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, service.controlAddress() + " " + ProcessHandle.current().pid() + "\n");
        System.out.println("scale with: bin/corral service scale " + name + " N");
        System.out.println("on Ctrl-C or SIGTERM: " + (keepTasks ? "the instances keep running (--keep-tasks); " +
            "start the service again within 60 s to take them over" : "the instances are killed (--keep-tasks " +
            "leaves them running)"));
        Corral.awaitShutdown(() ->
        {
            Files.deleteIfExists(file);
            final String[] others = file.getParent().toFile().list();
            if (others != null && others.length == 0)
            {
                Files.deleteIfExists(file.getParent());
            }
        }, () -> driver.stop(keepTasks), service);
        return 0;
    }

    @Command(name = "scale", mixinStandardHelpOptions = true,
        description = "Change the number of instances of a service running on this host.")
    static final class Scale implements Callable<Integer>
    {
        @Option(names = "--control", description = "The control address the service printed (instead of NAME).")
        String control;

        @Parameters(arity = "1..2", paramLabel = "[NAME] N",
            description = "The service's --name (default svc) and the instances wanted.")
        List<String> args;

        @Override
        public Integer call() throws Exception
        {
            final String name = args.size() == 2 ? args.get(0) : "svc";
            final int instances;
            try
            {
                instances = Integer.parseInt(args.get(args.size() - 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("the number of instances must be a whole number, got '" +
                    args.get(args.size() - 1) + "': corral service scale NAME N");
            }
            String address = control;
            if (address == null)
            {
                final java.nio.file.Path file = controlFile(name);
                final String[] line = Files.exists(file) ? Files.readString(file).trim().split(" ") : new String[0];
                if (line.length != 2 || ProcessHandle.of(Long.parseLong(line[1])).isEmpty())
                {
                    System.err.println("corral service scale: no service named '" + name + "' is running on this " +
                        "host (start one with: bin/corral service --name " + name + " -- CMD)");
                    return 3;
                }
                address = line[0];
            }
            final java.net.http.HttpResponse<String> r;
            try
            {
                r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + address +
                        "/scale?instances=" + instances)).POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            }
            catch (final java.io.IOException ex)
            {
                System.err.println("corral service scale: the service's control address " + address +
                    " does not answer: is its corral service still running?");
                return 3;
            }
            (r.statusCode() == 200 ? System.out : System.err).println(r.body());
            return r.statusCode() == 200 ? 0 : 2;
        }
    }
}
