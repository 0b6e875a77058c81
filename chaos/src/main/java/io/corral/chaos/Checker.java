package io.corral.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.corral.client.TaskState;

/**
 * Reads the workload's history and the masters' final states and lists every broken invariant:
 * every launched task reaches exactly one terminal state known to the framework; no task runs
 * twice; no task's state goes backwards; every state the framework acknowledged survives every
 * failover; all masters end with the same state.
 */
final class Checker
{
    private Checker()
    {
    }

    private static int rank(final TaskState s)
    {
        return s.isTerminal() ? 3 : switch (s)
        {
            case STAGING -> 0;
            case STARTING -> 1;
            default -> 2;
        };
    }

    static List<String> check(final Workload w, final long frameworkId, final Map<Integer, JsonNode> finals)
    {
        final List<String> broken = new ArrayList<>();
        JsonNode reference = null;
        int referenceId = 0;
        for (final Map.Entry<Integer, JsonNode> e : finals.entrySet())
        {
            final JsonNode content = content(e.getValue());
            if (reference == null)
            {
                reference = content;
                referenceId = e.getKey();
            }
            else if (!reference.equals(content))
            {
                broken.add("master " + e.getKey() + " ends with a different state than master " + referenceId + ": " +
                    firstDifference(reference, content, ""));
            }
        }
        final Map<String, JsonNode> finalTasks = new HashMap<>();
        if (reference != null)
        {
            for (final JsonNode t : reference.path("tasks"))
            {
                if (t.path("frameworkId").asLong() == frameworkId)
                {
                    finalTasks.put(t.path("taskId").asText(), t);
                }
            }
        }
        // The masters keep only the newest finished tasks of a framework: once they hold that many,
        // an older finished task may have been dropped from the state.
        final boolean historyFull = finalTasks.values().stream().filter(t -> TaskState.valueOf(
            t.path("state").asText()).isTerminal()).count() >= io.corral.codec.Protocol.MAX_COMPLETED_TASKS_PER_FRAMEWORK;
        final Map<String, List<Workload.Seen>> byTask = new HashMap<>();
        for (final Workload.Seen s : w.seen)
        {
            byTask.computeIfAbsent(s.taskId(), k -> new ArrayList<>()).add(s);
        }
        for (final String task : w.launched.keySet())
        {
            final List<Workload.Seen> seen = byTask.getOrDefault(task, List.of());
            // A task the framework saw end may be gone from a full history, with every update it had
            // (its acknowledged STARTING and RUNNING too: found with 1,479 tasks in one run).
            final boolean ended = seen.stream().anyMatch(x -> x.state().isTerminal());
            final boolean refused = w.refusedOffers.contains(w.offerOfTask.get(task));
            if (refused && finalTasks.containsKey(task))
            {
                broken.add(task + ": its offer was refused, yet the master launched it");
            }
            final Set<TaskState> terminals = new HashSet<>();
            final Set<String> runs = new HashSet<>();
            final Set<Long> agents = new HashSet<>();
            int highest = -1;
            for (final Workload.Seen s : seen)
            {
                if (s.state().isTerminal())
                {
                    terminals.add(s.state());
                }
                if (s.state() == TaskState.RUNNING && (s.uuidMsb() != 0 || s.uuidLsb() != 0))
                {
                    runs.add(s.uuidMsb() + ":" + s.uuidLsb());
                }
                if (s.agentId() != 0)
                {
                    agents.add(s.agentId());
                }
                final int r = rank(s.state());
                if (r < highest)
                {
                    broken.add(task + ": state went backwards to " + s.state() + " after " + seen);
                }
                highest = Math.max(highest, r);
                if (s.uuidMsb() != 0 || s.uuidLsb() != 0)
                {
                    // Acknowledged (implicitly) by the framework: must survive in the final state.
                    final JsonNode f = finalTasks.get(task);
                    if (f == null && s.state() != TaskState.LOST && s.state() != TaskState.ERROR &&
                        !(historyFull && ended))
                    {
                        // (LOST or ERROR of a task the masters never launched is the master saying so:
                        // an accept of a stale offer, say. Had it launched after all, the final state
                        // would know it and the check below would catch the contradiction.)
                        broken.add(task + ": acknowledged " + s.state() + " but the masters do not know the task");
                    }
                    else if (f == null)
                    {
                        continue;
                    }
                    else
                    {
                        final TaskState now = TaskState.valueOf(f.path("state").asText());
                        if (rank(now) < rank(s.state()) || s.state().isTerminal() && now != s.state())
                        {
                            broken.add(task + ": acknowledged " + s.state() + " but the masters say " + now);
                        }
                    }
                }
            }
            if (refused && seen.isEmpty())
            {
                continue;
            }
            if (terminals.isEmpty())
            {
                broken.add(task + ": never reached a terminal state the framework knows of; saw " + seen +
                    "; the masters say " + finalTasks.get(task));
            }
            else if (terminals.size() > 1)
            {
                broken.add(task + ": several terminal states " + terminals);
            }
            if (runs.size() > 1 || agents.size() > 1)
            {
                broken.add(task + ": ran more than once (" + runs.size() + " RUNNING updates, agents " + agents + ")");
            }
        }
        return broken;
    }

    /** What must be identical between masters: agents, frameworks, tasks (not who leads). */
    /** Where two states first differ, as a path and both values (cut short), or "" if they do not. */
    static String firstDifference(final JsonNode a, final JsonNode b, final String path)
    {
        if (a.equals(b))
        {
            return "";
        }
        if (a.isObject() && b.isObject())
        {
            final java.util.Set<String> names = new java.util.TreeSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (final String name : names)
            {
                final String d = firstDifference(a.path(name), b.path(name), path + "/" + name);
                if (!d.isEmpty())
                {
                    return d;
                }
            }
        }
        if (a.isArray() && b.isArray())
        {
            if (a.size() != b.size())
            {
                return path + ": " + a.size() + " entries against " + b.size();
            }
            for (int i = 0; i < a.size(); i++)
            {
                final String d = firstDifference(a.get(i), b.get(i), path + "[" + i + "]");
                if (!d.isEmpty())
                {
                    return d;
                }
            }
        }
        final String left = a.toString();
        final String right = b.toString();
        return path + ": " + left.substring(0, Math.min(300, left.length())) + " against " +
            right.substring(0, Math.min(300, right.length()));
    }

    static JsonNode content(final JsonNode state)
    {
        final com.fasterxml.jackson.databind.node.ObjectNode n = com.fasterxml.jackson.databind.node.JsonNodeFactory
            .instance.objectNode();
        n.set("agents", state.path("agents"));
        n.set("frameworks", state.path("frameworks"));
        n.set("tasks", state.path("tasks"));
        return n;
    }
}
