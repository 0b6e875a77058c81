package io.corral.master;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who may do what, in the spirit of Mesos's local authorizer: one rule per line,
 * {@code ACTION PRINCIPAL [OBJECT,...]}, {@code *} for any principal or object, {@code #} comments.
 * <pre>
 * register-agents agents            # which principals may register agents
 * subscribe ops default,etl         # which roles a principal's frameworks may subscribe in
 * kill oncall *                     # whose frameworks' tasks a principal may kill (its own: always)
 * read-sandboxes oncall *           # whose frameworks' sandboxes a principal may read (its own: always)
 * read-state oncall                 # who may read state, metrics and the UI (when reads are authenticated)
 * set-quotas ops                    # who may set roles' weights and quotas
 * set-acls ops                      # who may replace these rules
 * </pre>
 * {@code *} in a rule other than register-agents does not stand for a principal that
 * register-agents names: agents act for nothing else unless a rule names them. The masters'
 * {@code --operators} may do everything, whatever the rules say.
 * The rules are replicated (one {@code AclSet} record replaces them all) and the same on every
 * master. Immutable: the duty thread replaces it, readers on other threads hold whichever they
 * read. Only consulted on a master with credentials.
 */
final class Acl
{
    enum Action
    {
        REGISTER_AGENTS("register-agents", false),
        SUBSCRIBE("subscribe", true),
        KILL("kill", true),
        READ_SANDBOXES("read-sandboxes", true),
        READ_STATE("read-state", false),
        SET_QUOTAS("set-quotas", false),
        SET_ACLS("set-acls", false);

        final String word;
        final boolean hasObjects;

        Action(final String word, final boolean hasObjects)
        {
            this.word = word;
            this.hasObjects = hasObjects;
        }

        static Action of(final String word)
        {
            for (final Action a : values())
            {
                if (a.word.equals(word))
                {
                    return a;
                }
            }
            return null;
        }
    }

    /**
     * Until an operator sets rules, least privilege: agents register as the principal
     * {@code agents} and may do nothing else; any other principal may subscribe frameworks in any
     * role and read state, and kills, and reads the sandboxes of, only its own frameworks' tasks;
     * only the operators ({@code --operators}) set quotas and rules, kill any task and read any
     * sandbox.
     */
    static final String DEFAULT_TEXT = """
        register-agents agents
        subscribe * *
        read-state *
        """;

    static final Acl DEFAULT = parse(DEFAULT_TEXT);

    /** Rules longer than this are refused (they travel in one log record). */
    static final int MAX_TEXT = 64 * 1024;

    private final String text;
    /** Per action: principal (or "*") to objects (empty for actions without objects; "*" any). */
    private final Map<Action, Map<String, Set<String>>> rules;
    /** May do everything, whatever the rules say: the masters' {@code --operators} (not replicated). */
    private final Set<String> operators;

    private Acl(final String text, final Map<Action, Map<String, Set<String>>> rules, final Set<String> operators)
    {
        this.text = text;
        this.rules = rules;
        this.operators = operators;
    }

    /** These rules, with {@code operators} allowed everything (a master's {@code --operators}). */
    Acl withOperators(final Set<String> operators)
    {
        return operators.equals(this.operators) ? this : new Acl(text, rules, Set.copyOf(operators));
    }

    Set<String> operators()
    {
        return operators;
    }

    /**
     * True if {@code principal} is one the rules name for register-agents: an agents' credential
     * sits on every worker host, so {@code *} in any other rule does not cover it (only a rule
     * that names it does).
     */
    private boolean agentPrincipal(final String principal)
    {
        final Map<String, Set<String>> agents = rules.get(Action.REGISTER_AGENTS);
        return agents != null && agents.containsKey(principal);
    }

    /** The principals a rule's {@code *} stands for: any, but agents' outside register-agents. */
    private boolean wildcardCovers(final Action action, final String principal)
    {
        return action == Action.REGISTER_AGENTS || !agentPrincipal(principal);
    }

    /** Parses rules; a bad line is an IllegalArgumentException naming the line and the fix. */
    static Acl parse(final String text)
    {
        if (text.length() > MAX_TEXT)
        {
            throw new IllegalArgumentException("the rules take " + text.length() + " characters; at most " + MAX_TEXT);
        }
        final Map<Action, Map<String, Set<String>>> rules = new LinkedHashMap<>();
        final String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            final int hash = lines[i].indexOf('#');
            final String line = (hash < 0 ? lines[i] : lines[i].substring(0, hash)).trim();
            if (line.isEmpty())
            {
                continue;
            }
            final String[] words = line.split("\\s+");
            final Action action = Action.of(words[0]);
            if (action == null)
            {
                throw new IllegalArgumentException("line " + (i + 1) + ": unknown action '" + words[0] + "'; use one of " +
                    "register-agents, subscribe, kill, read-sandboxes, read-state, set-quotas, set-acls");
            }
            if (words.length != (action.hasObjects ? 3 : 2))
            {
                throw new IllegalArgumentException("line " + (i + 1) + ": write '" + action.word + " PRINCIPAL" +
                    (action.hasObjects ? (action == Action.SUBSCRIBE ? " ROLE[,ROLE...]" : " OWNER[,OWNER...]") : "") +
                    "' (" + "'*' for any)");
            }
            final String principal = words[1];
            if (!principal.equals("*") && !io.corral.codec.Credentials.PRINCIPAL.matcher(principal).matches())
            {
                throw new IllegalArgumentException("line " + (i + 1) + ": '" + principal + "' is not a principal name " +
                    "(letters, digits, '.', '_', '-') or '*'");
            }
            final Set<String> objects = rules.computeIfAbsent(action, a -> new LinkedHashMap<>())
                .computeIfAbsent(principal, p -> new LinkedHashSet<>());
            if (action.hasObjects)
            {
                for (final String o : words[2].split(","))
                {
                    if (!o.isEmpty())
                    {
                        objects.add(o);
                    }
                }
            }
        }
        final Map<Action, Map<String, Set<String>>> frozen = new LinkedHashMap<>();
        rules.forEach((a, byPrincipal) ->
        {
            final Map<String, Set<String>> m = new LinkedHashMap<>();
            byPrincipal.forEach((p, o) -> m.put(p, Collections.unmodifiableSet(o)));
            frozen.put(a, Collections.unmodifiableMap(m));
        });
        return new Acl(text, Collections.unmodifiableMap(frozen), Set.of());
    }

    String text()
    {
        return text;
    }

    /** True if {@code principal} may do {@code action} (for actions without objects). */
    boolean allows(final Action action, final String principal)
    {
        if (operators.contains(principal))
        {
            return true;
        }
        final Map<String, Set<String>> byPrincipal = rules.get(action);
        return byPrincipal != null && (byPrincipal.containsKey(principal) ||
            byPrincipal.containsKey("*") && wildcardCovers(action, principal));
    }

    /** True if {@code principal} may do {@code action} on {@code object} (a role, or an owner's principal). */
    boolean allows(final Action action, final String principal, final String object)
    {
        if (operators.contains(principal))
        {
            return true;
        }
        final Map<String, Set<String>> byPrincipal = rules.get(action);
        if (byPrincipal == null)
        {
            return false;
        }
        for (final String p : wildcardCovers(action, principal) ? new String[] { principal, "*" } :
            new String[] { principal })
        {
            final Set<String> objects = byPrincipal.get(p);
            if (objects != null && (objects.contains(object) || objects.contains("*")))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Why {@code principal} may not subscribe in each of {@code roles} (comma-separated), naming the
     * roles it may use and what to ask an operator for; null if it may.
     */
    String subscribeRefusal(final String principal, final String roles)
    {
        for (final String r : roles.split(","))
        {
            if (!allows(Action.SUBSCRIBE, principal, r))
            {
                final List<String> may = objectsOf(Action.SUBSCRIBE, principal);
                return "principal '" + principal + "' may not subscribe in role '" + r + "': " +
                    (may.isEmpty() ? "the ACL lets it use no role" : "the ACL lets it use " + may) +
                    "; ask an operator for 'subscribe " + principal + " " + r + "' (corral acl set)";
            }
        }
        return null;
    }

    /** What {@code principal} may use for {@code action}, to say in a refusal (e.g. its roles). */
    List<String> objectsOf(final Action action, final String principal)
    {
        final List<String> out = new ArrayList<>();
        final Map<String, Set<String>> byPrincipal = rules.getOrDefault(action, Map.of());
        out.addAll(byPrincipal.getOrDefault(principal, Set.of()));
        if (wildcardCovers(action, principal))
        {
            out.addAll(byPrincipal.getOrDefault("*", Set.of()));
        }
        return out;
    }

    /** Principals allowed {@code action}: the operators, then the rules' ("*" included as written). */
    List<String> principalsFor(final Action action)
    {
        final List<String> out = new ArrayList<>(new java.util.TreeSet<>(operators));
        for (final String p : rules.getOrDefault(action, Map.of()).keySet())
        {
            if (!out.contains(p))
            {
                out.add(p);
            }
        }
        return out;
    }

    /** The rules as data for {@code /api/v1/state}: action to principal to objects. */
    Map<String, Object> describe()
    {
        final Map<String, Object> out = new LinkedHashMap<>();
        rules.forEach((a, byPrincipal) ->
        {
            final Map<String, Object> m = new LinkedHashMap<>();
            byPrincipal.forEach((p, o) -> m.put(p, new ArrayList<>(o)));
            out.put(a.word, m);
        });
        return out;
    }
}
