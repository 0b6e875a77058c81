package io.corral.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.corral.codec.Protocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code corral acl}: shows and replaces the cluster's authorization rules (replicated through
 * Raft; see the master's {@code Acl} for the rule format). Sent with the CLI's credential.
 */
@Command(name = "acl", mixinStandardHelpOptions = true,
    description = "Show or replace who may register agents, subscribe in which roles, kill whose tasks, set " +
        "quotas and set these rules.",
    subcommands = { AclCommand.Show.class, AclCommand.Set.class })
final class AclCommand
{
    @Command(name = "show", mixinStandardHelpOptions = true, description = "The rules in force, one per line.")
    static final class Show implements Callable<Integer>
    {
        @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
        String masters;

        @Override
        public Integer call() throws Exception
        {
            final JsonNode acls = new MasterApi(masters).state().path("acls");
            for (final Iterator<Map.Entry<String, JsonNode>> actions = acls.fields(); actions.hasNext(); )
            {
                final Map.Entry<String, JsonNode> action = actions.next();
                for (final Iterator<Map.Entry<String, JsonNode>> p = action.getValue().fields(); p.hasNext(); )
                {
                    final Map.Entry<String, JsonNode> principal = p.next();
                    final StringBuilder objects = new StringBuilder();
                    principal.getValue().forEach(o -> objects.append(objects.length() == 0 ? "" : ",").append(o.asText()));
                    System.out.println(action.getKey() + " " + principal.getKey() +
                        (objects.length() == 0 ? "" : " " + objects));
                }
            }
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
        description = "Replace the rules with FILE's: lines 'ACTION PRINCIPAL [OBJECT,...]' ('*' for any; # comments)," +
            " actions register-agents, subscribe (roles), kill and read-sandboxes (owners' principals), read-state, set-quotas, set-acls. The " +
            "rules must keep set-acls for your principal.")
    static final class Set implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "FILE", description = "The rules ('-' for standard input).")
        String file;

        @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
        String masters;

        @Override
        public Integer call() throws Exception
        {
            final String rules = file.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) :
                Files.readString(Path.of(file));
            final java.net.http.HttpResponse<String> r;
            try
            {
                r = new MasterApi(masters).post("/api/v1/acls", MasterApi.JSON.writeValueAsString(
                    java.util.Map.of("rules", rules)));
            }
            catch (final IllegalArgumentException ex)
            {
                System.err.println("corral acl set: " + ex.getMessage());
                return 3;
            }
            if (r.statusCode() == 200)
            {
                System.out.println("rules replaced");
                return 0;
            }
            System.err.println("corral acl set: refused: " +
                MasterApi.JSON.readTree(r.body()).path("error").asText(r.body()));
            return 2;
        }
    }
}
