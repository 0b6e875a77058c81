package io.corral.codec;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Custom scalar resource kinds (ssd, fpga, licences, ...) as the wire carries them beside the
 * fixed {@code Resources} composite: {@code "name:value;name:value"}, whole non-negative units,
 * names sorted. cpus, mem, disk and gpus are not custom: they have their own
 * fields.
 */
public final class CustomResources
{
    public static final SortedMap<String, Long> NONE = Collections.unmodifiableSortedMap(new TreeMap<>());

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");
    private static final java.util.Set<String> STANDARD = java.util.Set.of("cpus", "mem", "disk", "gpus");

    private CustomResources()
    {
    }

    /** Null when {@code name} may be a custom kind, else why not. */
    public static String nameProblem(final String name)
    {
        if (name == null || !NAME.matcher(name).matches())
        {
            return "resource name '" + name + "' is invalid: use 1-64 characters of a-z, 0-9, '_', '.', '-', " +
                "starting with a letter";
        }
        if (STANDARD.contains(name))
        {
            return "'" + name + "' is a standard resource, not a custom one";
        }
        return null;
    }

    /**
     * Parses {@code "ssd:100;fpga:2"} (empty or null: none).
     *
     * @throws IllegalArgumentException naming the part that is wrong.
     */
    public static SortedMap<String, Long> parse(final String text)
    {
        if (text == null || text.isBlank())
        {
            return NONE;
        }
        final TreeMap<String, Long> map = new TreeMap<>();
        for (final Map.Entry<String, String> e : pairs(text).entrySet())
        {
            final String name = e.getKey();
            final String problem = nameProblem(name);
            if (problem != null)
            {
                throw new IllegalArgumentException(problem);
            }
            final long value;
            try
            {
                value = Long.parseLong(e.getValue());
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("resource " + name + " has an invalid value '" + e.getValue() +
                    "' (a whole number)");
            }
            if (value < 0)
            {
                throw new IllegalArgumentException("resource " + name + " is negative: " + value);
            }
            map.put(name, value);
        }
        return Collections.unmodifiableSortedMap(map);
    }

    /**
     * Splits {@code "name:value;name:value"} into names and value texts, in order, trimmed.
     *
     * @throws IllegalArgumentException for a part without a name and a colon, or a name given twice.
     */
    public static Map<String, String> pairs(final String text)
    {
        final Map<String, String> pairs = new java.util.LinkedHashMap<>();
        for (final String part : text == null ? new String[0] : text.split(";"))
        {
            final String item = part.trim();
            if (item.isEmpty())
            {
                continue;
            }
            final int colon = item.indexOf(':');
            if (colon <= 0)
            {
                throw new IllegalArgumentException("resource '" + item + "' is not of the form name:value");
            }
            final String name = item.substring(0, colon).trim();
            if (pairs.put(name, item.substring(colon + 1).trim()) != null)
            {
                throw new IllegalArgumentException("resource " + name + " is given twice");
            }
        }
        return pairs;
    }

    /** The wire form of {@code resources}, sorted by name (callers leave out what they don't mean to send). */
    public static String format(final Map<String, Long> resources)
    {
        if (resources.isEmpty())
        {
            return "";
        }
        final StringBuilder sb = new StringBuilder();
        for (final Map.Entry<String, Long> e : new TreeMap<>(resources).entrySet())
        {
            if (sb.length() > 0)
            {
                sb.append(';');
            }
            sb.append(e.getKey()).append(':').append(e.getValue());
        }
        return sb.toString();
    }
}
