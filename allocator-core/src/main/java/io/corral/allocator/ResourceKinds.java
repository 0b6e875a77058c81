package io.corral.allocator;

import java.util.Arrays;
import java.util.Locale;

/**
 * The scalar resource kinds an allocator knows, fixed at start. Every value is a fixed-point
 * {@code long}: cpus in milli-CPUs, mem and disk in MiB, gpus and custom kinds in whole units.
 */
public final class ResourceKinds
{
    public static final int CPUS = 0;
    public static final int MEM = 1;
    public static final int DISK = 2;
    public static final int GPUS = 3;

    private static final String[] STANDARD = { "cpus", "mem", "disk", "gpus" };

    private final String[] names;

    private ResourceKinds(final String[] names)
    {
        this.names = names;
    }

    /** cpus, mem, disk and gpus. */
    public static ResourceKinds standard()
    {
        return new ResourceKinds(STANDARD.clone());
    }

    /** The standard kinds followed by custom scalar kinds, in the order given. */
    public static ResourceKinds withCustom(final String... custom)
    {
        final String[] all = Arrays.copyOf(STANDARD, STANDARD.length + custom.length);
        for (int i = 0; i < custom.length; i++)
        {
            final String name = custom[i];
            if (name == null || !name.matches("[a-z][a-z0-9_.-]{0,63}"))
            {
                throw new AllocatorException("custom resource name '" + name +
                    "' is invalid: use 1-64 characters of a-z, 0-9, '_', '.', '-', starting with a letter");
            }
            for (int j = 0; j < STANDARD.length + i; j++)
            {
                if (all[j].equals(name))
                {
                    throw new AllocatorException("resource kind '" + name + "' is registered twice");
                }
            }
            all[STANDARD.length + i] = name;
        }
        return new ResourceKinds(all);
    }

    public int count()
    {
        return names.length;
    }

    public String name(final int kind)
    {
        return names[kind];
    }

    /** The column of a kind, or -1 if there is none of that name. */
    public int indexOf(final String name)
    {
        for (int i = 0; i < names.length; i++)
        {
            if (names[i].equals(name))
            {
                return i;
            }
        }
        return -1;
    }

    public long[] newVector()
    {
        return new long[names.length];
    }

    /**
     * Parses {@code "cpus:1.5;mem:1024;gpus:1"}: cpus may have up to three decimals, every other
     * kind is a whole number. Kinds not named are zero.
     */
    public long[] parse(final String spec)
    {
        final long[] v = newVector();
        if (spec == null || spec.isBlank())
        {
            return v;
        }
        for (final String part : spec.split(";"))
        {
            final String item = part.trim();
            if (item.isEmpty())
            {
                continue;
            }
            final int colon = item.indexOf(':');
            if (colon <= 0)
            {
                throw new AllocatorException("resource '" + item + "' is not of the form name:value");
            }
            final String name = item.substring(0, colon).trim();
            final int kind = indexOf(name);
            if (kind < 0)
            {
                throw new AllocatorException("unknown resource kind '" + name + "'; known: " + String.join(", ", names));
            }
            v[kind] = parseValue(kind, item.substring(colon + 1).trim());
        }
        return v;
    }

    private long parseValue(final int kind, final String text)
    {
        try
        {
            final java.math.BigDecimal value = new java.math.BigDecimal(text);
            if (value.signum() < 0)
            {
                throw new AllocatorException("resource " + names[kind] + " is negative: " + text);
            }
            if (kind == CPUS)
            {
                return value.movePointRight(3).setScale(0, java.math.RoundingMode.UNNECESSARY).longValueExact();
            }
            return value.setScale(0, java.math.RoundingMode.UNNECESSARY).longValueExact();
        }
        catch (final ArithmeticException | NumberFormatException ex)
        {
            throw new AllocatorException("resource " + names[kind] + " has an invalid value '" + text + "'" +
                (kind == CPUS ? " (at most three decimals)" : " (a whole number)"));
        }
    }

    /** Human-readable form of the vector that starts at {@code offset}, e.g. {@code cpus:1.5 mem:1024}. */
    public String format(final long[] vector, final int offset)
    {
        final StringBuilder sb = new StringBuilder();
        for (int k = 0; k < names.length; k++)
        {
            final long value = vector[offset + k];
            if (value == 0)
            {
                continue;
            }
            if (sb.length() > 0)
            {
                sb.append(' ');
            }
            sb.append(names[k]).append(':');
            if (k == CPUS)
            {
                sb.append(String.format(Locale.ROOT, "%d.%03d", value / 1000, value % 1000).replaceAll("\\.?0+$", ""));
            }
            else if (value == Long.MAX_VALUE)
            {
                sb.append("unlimited");
            }
            else
            {
                sb.append(value);
            }
        }
        return sb.length() == 0 ? "(none)" : sb.toString();
    }

    /** One value in the units a user writes: {@code 1.5} for 1500 milli-CPUs, {@code 1024} for 1024 MiB. */
    public String formatValue(final int kind, final long value)
    {
        final long[] v = newVector();
        v[kind] = value;
        final String s = format(v, 0);
        return value == 0 ? "0" : s.substring(s.indexOf(':') + 1);
    }

    public String format(final long[] vector)
    {
        return format(vector, 0);
    }

    /** Rejects a vector of the wrong length or with a negative value, naming {@code what} it was for. */
    void validate(final long[] vector, final String what)
    {
        if (vector == null || vector.length != names.length)
        {
            throw new AllocatorException(what + " must have " + names.length + " values (" + String.join(", ", names) +
                "), got " + (vector == null ? "null" : String.valueOf(vector.length)));
        }
        for (int k = 0; k < names.length; k++)
        {
            if (vector[k] < 0)
            {
                throw new AllocatorException(what + " has a negative " + names[k] + ": " + vector[k]);
            }
        }
    }

    @Override
    public String toString()
    {
        return String.join(",", names);
    }
}
