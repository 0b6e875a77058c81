package io.corral.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.corral.codec.Protocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code corral state|agents|frameworks|tasks|kill}: readable tables, or {@code --json} for scripts. */
final class OperatorCommands
{
    private OperatorCommands()
    {
    }

    /** The tasks named {@code taskId} (of {@code framework} when given) in a state document. */
    private static List<JsonNode> tasksNamed(final JsonNode state, final String taskId, final Long framework)
    {
        final List<JsonNode> out = new ArrayList<>();
        for (final JsonNode t : state.path("tasks"))
        {
            if (t.path("taskId").asText().equals(taskId) &&
                (framework == null || t.path("frameworkId").asLong() == framework))
            {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * The one task of this id (in {@code framework} if given), or null after telling stderr why
     * there is none: no such task, or several frameworks have one of that id.
     */
    static JsonNode oneTaskNamed(final JsonNode state, final String taskId, final Long framework, final String command)
    {
        final List<JsonNode> named = tasksNamed(state, taskId, framework);
        if (named.isEmpty())
        {
            System.err.println(command + ": unknown task '" + taskId + "' (see: corral tasks)");
            return null;
        }
        if (named.size() > 1)
        {
            final List<Long> owners = new ArrayList<>();
            named.forEach(t -> owners.add(t.path("frameworkId").asLong()));
            System.err.println(command + ": frameworks " + owners + " all have a task '" + taskId +
                "': add --framework ID");
            return null;
        }
        return named.get(0);
    }

    abstract static class Base implements Callable<Integer>
    {
        @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
        String masters;

        @Option(names = "--json", description = "Print JSON instead of a table.")
        boolean json;

        static void table(final List<String> header, final List<List<String>> rows)
        {
            final int[] width = new int[header.size()];
            for (int i = 0; i < width.length; i++)
            {
                width[i] = header.get(i).length();
                for (final List<String> row : rows)
                {
                    width[i] = Math.min(60, Math.max(width[i], row.get(i).length()));
                }
            }
            final StringBuilder sb = new StringBuilder();
            for (final List<String> row : prepend(header, rows))
            {
                for (int i = 0; i < row.size(); i++)
                {
                    String cell = row.get(i);
                    if (cell.length() > width[i])
                    {
                        cell = cell.substring(0, width[i] - 1) + "…";
                    }
                    sb.append(String.format(Locale.ROOT, "%-" + width[i] + "s", cell)).append(i + 1 < row.size() ? "  " : "");
                }
                sb.append('\n');
            }
            System.out.print(sb);
        }

        private static List<List<String>> prepend(final List<String> header, final List<List<String>> rows)
        {
            final List<List<String>> all = new ArrayList<>();
            all.add(header);
            all.addAll(rows);
            return all;
        }

        static String cpus(final JsonNode r)
        {
            return r.path("cpus").asText();
        }
    }

    @Command(name = "agents", mixinStandardHelpOptions = true, description = "The agents the masters know.")
    static final class Agents extends Base
    {
        @Override
        public Integer call() throws Exception
        {
            final JsonNode state = new MasterApi(masters).state();
            if (json)
            {
                System.out.println(MasterApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state.path("agents")));
                return 0;
            }
            final List<List<String>> rows = new ArrayList<>();
            for (final JsonNode a : state.path("agents"))
            {
                final JsonNode r = a.path("resources");
                final JsonNode free = a.path("free");
                final StringJoiner attributes = new StringJoiner(";");
                a.path("attributes").fields().forEachRemaining(e -> attributes.add(e.getKey() + ":" + e.getValue().asText()));
                rows.add(List.of(a.path("id").asText(), a.path("hostname").asText(), cpus(r) + " (" + cpus(free) + " free)",
                    r.path("mem").asText() + " (" + free.path("mem").asText() + " free)", r.path("disk").asText(),
                    r.path("gpus").asText(), others(r), attributes.toString(), a.path("endpoint").asText()));
            }
            System.out.println("Agents (" + rows.size() + ")");
            table(List.of("ID", "HOSTNAME", "CPUS", "MEM_MIB", "DISK_MIB", "GPUS", "OTHER", "ATTRIBUTES", "ENDPOINT"),
                rows);
            return 0;
        }
    }

    /** Custom resource kinds with a non-zero amount, as {@code ssd:100 fpga:1} ("-": none). */
    static String others(final JsonNode resources)
    {
        final StringJoiner joined = new StringJoiner(" ");
        resources.fields().forEachRemaining(e ->
        {
            if (!List.of("cpus", "mem", "disk", "gpus").contains(e.getKey()) && e.getValue().asLong() != 0)
            {
                joined.add(e.getKey() + ":" + e.getValue().asText());
            }
        });
        return joined.length() == 0 ? "-" : joined.toString();
    }

    @Command(name = "frameworks", mixinStandardHelpOptions = true, description = "The frameworks subscribed.")
    static final class Frameworks extends Base
    {
        @Override
        public Integer call() throws Exception
        {
            final JsonNode state = new MasterApi(masters).state();
            if (json)
            {
                System.out.println(MasterApi.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(state.path("frameworks")));
                return 0;
            }
            final List<List<String>> rows = new ArrayList<>();
            for (final JsonNode f : state.path("frameworks"))
            {
                rows.add(List.of(f.path("id").asText(), f.path("name").asText(), f.path("role").asText(),
                    f.path("failoverTimeoutMs").asText()));
            }
            System.out.println("Frameworks (" + rows.size() + ")");
            table(List.of("ID", "NAME", "ROLE", "FAILOVER_MS"), rows);
            return 0;
        }
    }

    @Command(name = "tasks", mixinStandardHelpOptions = true, description = "Tasks and their latest states.")
    static final class Tasks extends Base
    {
        @Option(names = "--framework", description = "Only this framework's tasks.")
        Long framework;

        @Override
        public Integer call() throws Exception
        {
            final JsonNode state = new MasterApi(masters).state();
            final List<JsonNode> tasks = new ArrayList<>();
            for (final JsonNode t : state.path("tasks"))
            {
                if (framework == null || t.path("frameworkId").asLong() == framework)
                {
                    tasks.add(t);
                }
            }
            if (json)
            {
                System.out.println(MasterApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tasks));
                return 0;
            }
            // Active tasks first, then ended ones, most recent change first.
            final List<String> active = List.of("STAGING", "STARTING", "RUNNING");
            tasks.sort(java.util.Comparator.<JsonNode>comparingInt(t -> active.contains(t.path("state").asText()) ? 0 : 1)
                .thenComparing(t -> -t.path("updatedAtMs").asLong()));
            final long now = System.currentTimeMillis();
            final List<List<String>> rows = new ArrayList<>();
            for (final JsonNode t : tasks)
            {
                final JsonNode exit = t.path("exitCode");
                rows.add(List.of(t.path("frameworkId").asText(), t.path("taskId").asText(), t.path("state").asText(),
                    exit.isNull() || exit.isMissingNode() ? "-" : exit.asText(), age(now - t.path("updatedAtMs").asLong()),
                    t.path("agentId").asText(), t.path("command").asText(), t.path("message").asText()));
            }
            System.out.println("Tasks (" + rows.size() + ", " + tasks.stream()
                .filter(t -> active.contains(t.path("state").asText())).count() + " active)");
            table(List.of("FRAMEWORK", "TASK", "STATE", "EXIT", "SINCE", "AGENT", "COMMAND", "MESSAGE"), rows);
            return 0;
        }
    }

    /** A duration as {@code 42s}, {@code 5m}, {@code 3h}, {@code 2d}. */
    static String age(final long ms)
    {
        final long s = Math.max(0, ms) / 1000;
        return s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s < 172_800 ? s / 3600 + "h" : s / 86_400 + "d";
    }

    @Command(name = "state", mixinStandardHelpOptions = true, description = "Who leads, and everything the masters know.")
    static final class State extends Base
    {
        @Override
        public Integer call() throws Exception
        {
            final JsonNode state = new MasterApi(masters).state();
            if (json)
            {
                System.out.println(MasterApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
                return 0;
            }
            final JsonNode m = state.path("master");
            System.out.printf("leader: master %d (%s), term %d; %d agents, %d frameworks, %d tasks, %d roles%n%n",
                m.path("leaderId").asInt(), m.path("leader").asBoolean() ? m.path("address").asText() : "see its id",
                m.path("term").asLong(), state.path("agents").size(), state.path("frameworks").size(),
                state.path("tasks").size(), state.path("roles").size());
            final Agents agents = new Agents();
            agents.masters = masters;
            agents.call();
            System.out.println();
            final Frameworks frameworks = new Frameworks();
            frameworks.masters = masters;
            frameworks.call();
            System.out.println();
            final Tasks tasks = new Tasks();
            tasks.masters = masters;
            return tasks.call();
        }
    }

    @Command(name = "kill", mixinStandardHelpOptions = true, description = "Kill a task (SIGTERM, grace, SIGKILL on its agent).")
    static final class Kill implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "TASK", description = "The task id.")
        String taskId;

        @Option(names = "--framework", description = "The task's framework (needed if several have this task id).")
        Long framework;

        @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
        String masters;

        @Override
        public Integer call() throws Exception
        {
            final MasterApi api = new MasterApi(masters);
            Long fw = framework;
            if (fw == null)
            {
                final JsonNode task = oneTaskNamed(api.state(), taskId, null, "corral kill");
                if (task == null)
                {
                    return 2;
                }
                fw = task.path("frameworkId").asLong();
            }
            final var r = api.post("/api/v1/tasks/" + fw + "/" + taskId + "/kill", "");
            if (r.statusCode() == 200)
            {
                System.out.println("killing " + taskId + " (framework " + fw + ")");
                return 0;
            }
            System.err.println("corral kill: " + MasterApi.JSON.readTree(r.body()).path("error").asText(r.body()));
            return 2;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Print a task's stdout (or stderr), from its agent's sandbox.")
    static final class Logs implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "TASK", description = "The task id.")
        String taskId;

        @Option(names = "--framework", description = "The task's framework (needed if several have this task id).")
        Long framework;

        @Option(names = "--stderr", description = "stderr instead of stdout.")
        boolean stderr;

        @Option(names = "--follow", description = "Keep printing until the task ends.")
        boolean follow;

        @Option(names = "--masters", defaultValue = Protocol.DEV_MASTERS, description = "Master addresses.")
        String masters;

        @Override
        public Integer call() throws Exception
        {
            final MasterApi api = new MasterApi(masters);
            final java.net.http.HttpClient http = api.http();
            long offset = 0;
            while (true)
            {
                final JsonNode state = api.state();
                final JsonNode task = oneTaskNamed(state, taskId, framework, "corral logs");
                if (task == null)
                {
                    return 2;
                }
                // The leader says where the sandbox is and hands a token its agent accepts (after
                // checking that this principal may read it).
                final java.net.http.HttpResponse<String> grant = api.getFromLeader("/api/v1/tasks/" +
                    task.path("frameworkId").asText() + "/" + java.net.URLEncoder.encode(taskId,
                    java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/sandbox");
                final JsonNode granted = MasterApi.JSON.readTree(grant.body());
                if (grant.statusCode() != 200)
                {
                    System.err.println("corral logs: " + granted.path("error").asText(grant.body()));
                    return 2;
                }
                final String agentHttp = granted.path("agent").asText();
                final String token = granted.path("token").isTextual() ? granted.path("token").asText() : null;
                final boolean ended = !java.util.Set.of("STAGING", "STARTING", "RUNNING").contains(task.path("state").asText());
                while (true)
                {
                    final java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create((agentHttp.startsWith("https://") ? "" : "http://") + agentHttp + "/files/" +
                            task.path("frameworkId").asText() + "/" +
                            java.net.URLEncoder.encode(taskId, java.nio.charset.StandardCharsets.UTF_8) + "?path=" +
                            (stderr ? "stderr" : "stdout") + "&offset=" + offset));
                    if (token != null)
                    {
                        request.header("Authorization", "Bearer " + token);
                    }
                    final java.net.http.HttpResponse<byte[]> r = http.send(request.build(),
                        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                    if (r.statusCode() == 404 && offset == 0 && !ended)
                    {
                        break;
                    }
                    if (r.statusCode() != 200)
                    {
                        System.err.println("corral logs: " + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
                        return 2;
                    }
                    System.out.write(r.body());
                    System.out.flush();
                    offset += r.body().length;
                    if (r.body().length == 0)
                    {
                        break;
                    }
                }
                if (!follow || ended)
                {
                    return 0;
                }
                Thread.sleep(500);
            }
        }
    }
}
