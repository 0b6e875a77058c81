package io.corral.master;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.corral.codec.sbe.TaskState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What agents list when they register with a leader: each task they have and its latest state
 * (the STARTING and RUNNING a new leader's log may lack), in parts before the registration when
 * the list is long. A leader's, for its term (duty thread).
 */
final class AgentReports
{
    private static final Logger LOG = LoggerFactory.getLogger(AgentReports.class);

    private final MasterState state;
    private final StatusRelay statuses;
    private final Launches launches;

    /** An agent's task list that arrived while catching up. */
    private record Report(long agentId, String taskList)
    {
    }

    private final List<Report> whenCaughtUp = new java.util.ArrayList<>();

    AgentReports(final MasterState state, final StatusRelay statuses, final Launches launches)
    {
        this.state = state;
        this.statuses = statuses;
        this.launches = launches;
        statuses.whenCaughtUp(() ->
        {
            final List<Report> reports = new java.util.ArrayList<>(whenCaughtUp);
            whenCaughtUp.clear();
            reports.forEach(r -> agentReported(r.agentId(), r.taskList()));
        });
    }

    /**
     * A known agent registered again and listed its tasks ({@code count\nfid/tid...}; empty: not
     * listed). A task the masters think it started (STARTING or RUNNING) that it does not list is
     * gone with the agent's checkpoint: it becomes LOST. STAGING tasks are left alone: their RunTask
     * may still be on its way.
     */
    void agentReported(final long agentId, final String taskList)
    {
        if (taskList.isEmpty())
        {
            return;
        }
        if (statuses.catchingUp())
        {
            // Its tasks' launches may be in entries not applied yet (the report would find no task
            // and be lost, and reconciliation would later answer STAGING for a task told RUNNING):
            // read once caught up, before anything waiting for that is answered.
            whenCaughtUp.add(new Report(agentId, taskList));
            statuses.callWhenCaughtUp();
            return;
        }
        final String[] lines = taskList.split("\n");
        final Set<String> listed = new HashSet<>();
        for (int i = 1; i < lines.length; i++)
        {
            // "framework/task", and from agents that say it, "<TAB>STATE": the state this leader's
            // log may not hold (STARTING and RUNNING go to frameworks ahead of the log).
            final int tab = lines[i].indexOf('\t');
            final String key = tab < 0 ? lines[i] : lines[i].substring(0, tab);
            listed.add(key);
            final TaskState reported = tab < 0 ? null : stateNamed(lines[i].substring(tab + 1));
            final int slash = key.indexOf('/');
            if (reported != null && slash > 0)
            {
                try
                {
                    final MasterState.Task task = state.task(Long.parseLong(key.substring(0, slash)),
                        key.substring(slash + 1));
                    if (task != null && task.agentId == agentId)
                    {
                        if (reported != TaskState.STAGING)
                        {
                            launches.confirmed(task);
                        }
                        statuses.reported(task, reported);
                    }
                }
                catch (final NumberFormatException ignored)
                {
                    // not a task of ours: nothing to learn from it
                }
            }
        }
        for (final MasterState.Task t : state.taskControl().liveOn(agentId))
        {
            final TaskState latest = statuses.latest(t);
            if ((latest == TaskState.STARTING || latest == TaskState.RUNNING) &&
                !listed.contains(MasterState.taskKey(t.frameworkId, t.taskId)))
            {
                LOG.warn("agent {} came back without task {}/{}: LOST", agentId, t.frameworkId, t.taskId);
                statuses.lost(MasterState.view(t), "agent " + agentId + " re-registered without this task (its " +
                    "checkpoint does not have it)");
            }
        }
    }

    /** Parts of agents' task lists whose registration has not come yet (see {@link #listPart}). */
    private final org.agrona.collections.Long2ObjectHashMap<ListParts> listParts =
        new org.agrona.collections.Long2ObjectHashMap<>();
    private long listPartChars;
    /** All parts kept at once, over all agents: a bound on what agents can make the leader hold. */
    static final long MAX_LIST_PART_CHARS = 64L * 1024 * 1024; // (256 agents' longest lists)

    /** The lines so far of one agent's list, and the part expected next. */
    private static final class ListParts
    {
        final StringBuilder lines = new StringBuilder();
        int next;
    }

    /**
     * Part {@code part} of agent {@code agentId}'s task list (lines without the count), sent
     * before its registration because the whole list does not fit one message; part 0 starts a
     * new list. Null if kept, else why not (the list is then dropped: the agent's next
     * registration sends it again).
     */
    String listPart(final long agentId, final int part, final String lines)
    {
        ListParts parts = listParts.get(agentId);
        if (part == 0)
        {
            dropListParts(agentId); // (a list begun before and never finished)
            parts = new ListParts();
            listParts.put(agentId, parts);
        }
        if (parts == null || parts.next != part)
        {
            dropListParts(agentId);
            return "task list part " + part + " of agent " + agentId + " came out of order (expected " +
                (parts == null ? 0 : parts.next) + "): the list is dropped; register again to send it whole";
        }
        if (listPartChars + lines.length() + 1 > MAX_LIST_PART_CHARS ||
            parts.lines.length() + lines.length() + 1 > io.corral.codec.TaskListParts.MAX_CHARS)
        {
            dropListParts(agentId);
            return "task list of agent " + agentId + " is over " + io.corral.codec.TaskListParts.MAX_CHARS +
                " characters, or too many lists are arriving at once: the list is dropped; register again";
        }
        if (parts.lines.length() > 0)
        {
            parts.lines.append('\n');
            listPartChars++;
        }
        parts.lines.append(lines);
        listPartChars += lines.length();
        parts.next++;
        return null;
    }

    /** Forgets the agent's parts so far; returns them (null if none). */
    private ListParts dropListParts(final long agentId)
    {
        final ListParts parts = listParts.remove(agentId);
        if (parts != null)
        {
            listPartChars -= parts.lines.length();
        }
        return parts;
    }

    /**
     * The registration's task list with the parts sent before it (forgotten now): the count line,
     * then every line; null if it says more or fewer parts went before it than arrived here (a
     * part went to an earlier leader, say): taken as whole, the list would make tasks it lacks
     * LOST. A registration that lists nothing ("not listed") takes no parts.
     */
    String withListParts(final long agentId, final String taskList)
    {
        final ListParts parts = dropListParts(agentId);
        if (taskList.isEmpty())
        {
            return taskList;
        }
        final int expected = io.corral.codec.TaskListParts.partsBefore(taskList);
        if (expected != (parts == null ? 0 : parts.next))
        {
            return null;
        }
        if (parts == null)
        {
            return taskList;
        }
        final int firstLineEnd = taskList.indexOf('\n');
        return firstLineEnd < 0 ? taskList + "\n" + parts.lines :
            taskList.substring(0, firstLineEnd) + "\n" + parts.lines + taskList.substring(firstLineEnd);
    }

    private static TaskState stateNamed(final String name)
    {
        for (final TaskState s : TaskState.values())
        {
            if (s != TaskState.NULL_VAL && s.name().equals(name))
            {
                return s;
            }
        }
        return null;
    }
}
