package io.corral.codec;

import java.util.ArrayList;
import java.util.List;

/**
 * An agent's task list cut to fit messages: the lines that do not fit its RegisterAgent go
 * before it in AgentTasks parts, in order on the same stream (the schema says how). A new leader
 * learns from the whole list the states its log lacks, so an agent with thousands of tasks
 * lists them all instead of none.
 */
public final class TaskListParts
{
    /**
     * Characters of task lines per message: at most three bytes each in UTF-8, a part and its
     * frame stay well inside one message ({@link MediaDrivers#MAX_MESSAGE_BYTES}).
     */
    public static final int PART_CHARS = 32 * 1024;
    /**
     * The longest list an agent sends (about 8,000 tasks); a longer one is not listed. All of it
     * goes in one duty cycle, so that it is a snapshot consistent with the agent's updates on the
     * same stream (one sent after a snapshot taken earlier would make the task it reports look
     * missing from the list); it must fit what a publication takes at once (its term is 1 MiB).
     */
    public static final int MAX_CHARS = 256 * 1024;
    /**
     * Registration attempts in a row whose parts did not all go before an agent registers with its
     * list "not listed" rather than not register at all.
     */
    public static final int ATTEMPTS_BEFORE_UNLISTED = 5;

    private final List<String> before;
    private final String registration;

    private TaskListParts(final List<String> before, final String registration)
    {
        this.before = before;
        this.registration = registration;
    }

    /**
     * Cuts {@code lines} ("framework/task", or with a TAB and its state, one per line, no count)
     * of {@code count} tasks at line ends; null if longer than {@link #MAX_CHARS}.
     */
    public static TaskListParts of(final int count, final CharSequence lines)
    {
        if (lines.length() > MAX_CHARS)
        {
            return null;
        }
        final List<String> parts = new ArrayList<>();
        int from = 0;
        while (lines.length() - from > PART_CHARS)
        {
            int cut = from + PART_CHARS;
            while (cut > from && lines.charAt(cut) != '\n')
            {
                cut--;
            }
            if (cut == from)
            {
                return null; // one line longer than a part: no task id is that long
            }
            parts.add(lines.subSequence(from, cut).toString());
            from = cut + 1;
        }
        final String last = lines.subSequence(from, lines.length()).toString();
        final String countLine = parts.isEmpty() ? Integer.toString(count) : count + "\t" + parts.size();
        return new TaskListParts(parts, last.isEmpty() ? countLine : countLine + "\n" + last);
    }

    /**
     * The parts to send, in order, as AgentTasks 0, 1, ... before the registration; if one cannot
     * be sent, neither can the registration (a master would take the list as whole).
     */
    public List<String> before()
    {
        return before;
    }

    /**
     * Offers the parts, in order, as AgentTasks of agent {@code agentId} through {@code seal} to
     * {@code publication}'s master; false as soon as one does not go (then neither may the
     * registration: a master would take the list as whole).
     */
    public boolean sendBefore(final Seal seal, final io.aeron.Publication publication, final Outbound out,
        final long agentId)
    {
        for (int part = 0; part < before.size(); part++)
        {
            out.agentTasks.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId).part(part)
                .tasks(before.get(part));
            if (!seal.offer(publication, out.buffer, Outbound.length(out.agentTasks.encodedLength())))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * What the RegisterAgent carries: the count (and, after a TAB, how many parts went before it,
     * so that a master that missed one knows), then the lines that did not go before it.
     */
    public String registration()
    {
        return registration;
    }

    /**
     * How many parts went before a registration whose task list is {@code taskList} (its count
     * line says), or -1 if the line is malformed.
     */
    public static int partsBefore(final String taskList)
    {
        final int lineEnd = taskList.indexOf('\n');
        final String countLine = lineEnd < 0 ? taskList : taskList.substring(0, lineEnd);
        final int tab = countLine.indexOf('\t');
        if (tab < 0)
        {
            return 0;
        }
        try
        {
            final int parts = Integer.parseInt(countLine.substring(tab + 1));
            return parts < 0 ? -1 : parts;
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }
}
