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
     * Until an operator sets rules: agents register as the principal {@code agents}; any principal
     * may subscribe in any role, read state, set quotas and set the rules (as Mesos is permissive
     * with no ACLs); each principal kills, and reads the sandboxes of, only its own frameworks' tasks.
     */
    static final String DEFAULT_TEXT = """
        register-agents agents
        subscribe * *
        read-state *
        set-quotas *
        set-acls *
        """;

    static final Acl DEFAULT = parse(DEFAULT_TEXT);

    /** Rules longer than this are refused (they travel in one log record). */
    static final int MAX_TEXT = 64 * 1024;

    private final String text;
    /** Per action: principal (or "*") to objects (empty for actions without objects; "*" any). */
    private final Map<Action, Map<String, Set<String>>> rules;

    private Acl(final String text, final Map<Action, Map<String, Set<String>>> rules)
    {
        this.text = text;
        this.rules = rules;
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
        return new Acl(text, Collections.unmodifiableMap(frozen));
    }

    String text()
    {
        return text;
    }

    /** True if {@code principal} may do {@code action} (for actions without objects). */
    boolean allows(final Action action, final String principal)
    {
        final Map<String, Set<String>> byPrincipal = rules.get(action);
        return byPrincipal != null && (byPrincipal.containsKey(principal) || byPrincipal.containsKey("*"));
    }

    /** True if {@code principal} may do {@code action} on {@code object} (a role, or an owner's principal). */
    boolean allows(final Action action, final String principal, final String object)
    {
        final Map<String, Set<String>> byPrincipal = rules.get(action);
        if (byPrincipal == null)
        {
            return false;
        }
        for (final String p : new String[] { principal, "*" })
        {
            final Set<String> objects = byPrincipal.get(p);
            if (objects != null && (objects.contains(object) || objects.contains("*")))
            {
                return true;
            }
        }
        return false;
    }

    /** What {@code principal} may use for {@code action}, to say in a refusal (e.g. its roles). */
    List<String> objectsOf(final Action action, final String principal)
    {
        final List<String> out = new ArrayList<>();
        final Map<String, Set<String>> byPrincipal = rules.getOrDefault(action, Map.of());
        out.addAll(byPrincipal.getOrDefault(principal, Set.of()));
        out.addAll(byPrincipal.getOrDefault("*", Set.of()));
        return out;
    }

    /** Principals allowed {@code action} ("*" included as written). */
    List<String> principalsFor(final Action action)
    {
        return new ArrayList<>(rules.getOrDefault(action, Map.of()).keySet());
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
