package io.corral.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.corral.codec.Credentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code corral credentials}: writes and lists a cluster's credentials file (Mesos's text
 * format, {@code principal secret} per line), as masters read it with {@code --credentials}.
 */
@Command(name = "credentials", mixinStandardHelpOptions = true,
    description = "Add principals to a cluster's credentials file, or list them (never their secrets).",
    subcommands = { CredentialsCommand.Add.class, CredentialsCommand.List.class })
final class CredentialsCommand
{
    static final String DEFAULT_FILE = "credentials";

    @Command(name = "add", mixinStandardHelpOptions = true,
        description = "Add a principal with a new random secret; prints the secret once.")
    static final class Add implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "NAME", description = "The principal: letters, digits, '.', '_', '-'.")
        String principal;

        @Option(names = "--file", defaultValue = DEFAULT_FILE,
            description = "The credentials file (created owner-only if missing; default ./${DEFAULT-VALUE}).")
        Path file;

        @Override
        public Integer call() throws Exception
        {
            final String secret = Credentials.add(file, principal);
            System.out.println(principal + " " + secret);
            System.err.println("added principal '" + principal + "' to " + file.toAbsolutePath());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The principals in a credentials file.")
    static final class List implements Callable<Integer>
    {
        @Option(names = "--file", defaultValue = DEFAULT_FILE, description = "The credentials file (default ./${DEFAULT-VALUE}).")
        Path file;

        @Override
        public Integer call() throws Exception
        {
            Credentials.load(file).principals().forEach(System.out::println);
            return 0;
        }
    }
}
