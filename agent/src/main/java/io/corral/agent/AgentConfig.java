package io.corral.agent;

import java.io.File;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.corral.codec.Protocol;

/**
 * Settings of one agent with named defaults; {@link #conclude()} checks them and names the bad one.
 * Resources are fixed point: cpus in milli-CPUs, mem and disk in MiB.
 */
public final class AgentConfig
{
    private io.corral.codec.Credentials.Credential credential;
    private String taskUserName;
    private java.nio.file.Path tlsCert;
    private java.nio.file.Path tlsKey;
    private javax.net.ssl.SSLContext httpTls;
    private TaskUser taskUser;
    public static final long DEFAULT_KILL_GRACE_MS = 3000;
    /** How often the agent tells the leader it is alive (the master's agent timeout should be several of these). */
    public static final long DEFAULT_HEARTBEAT_MS = 500;

    private String masters = Protocol.DEV_MASTERS;
    /** -1: detect from the host at conclude(). */
    private final long[] resources = { -1, -1, -1, 0 };
    /** Custom scalar kinds (ssd, fpga, ...), whole units; never detected. */
    private java.util.SortedMap<String, Long> custom = io.corral.codec.CustomResources.NONE;
    private File workDir;
    private String hostname = AgentNode.defaultHostname();
    private String bindHost = "127.0.0.1";
    private long killGraceMs = DEFAULT_KILL_GRACE_MS;
    private long heartbeatMs = DEFAULT_HEARTBEAT_MS;
    private String isolation = "auto";
    private String attributes = "";
    private long sandboxGcHours = 168;
    private List<String> masterList;

    public AgentConfig masters(final String masters)
    {
        this.masters = masters;
        return this;
    }

    public AgentConfig cpus(final double cpus)
    {
        resources[0] = Math.round(cpus * 1000);
        return this;
    }

    public AgentConfig memMiB(final long mem)
    {
        resources[1] = mem;
        return this;
    }

    public AgentConfig diskMiB(final long disk)
    {
        resources[2] = disk;
        return this;
    }

    public AgentConfig gpus(final long gpus)
    {
        resources[3] = gpus;
        return this;
    }

    /**
     * {@code --resources 'cpus:4;mem:8192;gpus:1;ssd:100'}: cpus (up to three decimals), mem and
     * disk (MiB) and gpus override detection and the single flags; any other name is a custom
     * kind in whole units, which the masters must know ({@code corral master --resource-kinds}).
     */
    public AgentConfig resources(final String spec)
    {
        final StringBuilder customSpec = new StringBuilder();
        try
        {
            for (final java.util.Map.Entry<String, String> e : io.corral.codec.CustomResources.pairs(spec).entrySet())
            {
                final String name = e.getKey();
                final int kind = java.util.List.of("cpus", "mem", "disk", "gpus").indexOf(name);
                if (kind < 0)
                {
                    customSpec.append(name).append(':').append(e.getValue()).append(';');
                    continue;
                }
                resources[kind] = standardValue(kind, name, e.getValue());
            }
            custom = io.corral.codec.CustomResources.parse(customSpec.toString());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("--resources: " + ex.getMessage());
        }
        return this;
    }

    /** cpus with up to three decimals (to milli-CPUs), the others whole. */
    private static long standardValue(final int kind, final String name, final String text)
    {
        final long value;
        try
        {
            final java.math.BigDecimal number = new java.math.BigDecimal(text);
            value = (kind == 0 ? number.movePointRight(3) : number)
                .setScale(0, java.math.RoundingMode.UNNECESSARY).longValueExact();
        }
        catch (final ArithmeticException | NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + " has an invalid value '" + text + "'" +
                (kind == 0 ? " (at most three decimals)" : " (a whole number)"));
        }
        if (value < 0)
        {
            throw new IllegalArgumentException(name + " is negative: " + text);
        }
        return value;
    }

    public AgentConfig workDir(final File workDir)
    {
        this.workDir = workDir;
        return this;
    }

    public AgentConfig hostname(final String hostname)
    {
        this.hostname = hostname;
        return this;
    }

    public AgentConfig bindHost(final String bindHost)
    {
        this.bindHost = bindHost;
        return this;
    }

    public AgentConfig killGraceMs(final long killGraceMs)
    {
        this.killGraceMs = killGraceMs;
        return this;
    }

    /** The principal and secret this agent authenticates with (masters run with --credentials need one). */
    public AgentConfig credential(final io.corral.codec.Credentials.Credential credential)
    {
        this.credential = credential;
        return this;
    }

    public io.corral.codec.Credentials.Credential credential()
    {
        return credential;
    }

    /**
     * The user tasks run as (Mesos's {@code --switch_user}): needs an agent run as root, unless it
     * names the agent's own user. Null (the default): tasks run as the agent's user.
     */
    public AgentConfig taskUser(final String name)
    {
        this.taskUserName = name;
        return this;
    }

    /** HTTPS for the sandbox server from PEM files (the key unencrypted PKCS#8); both or neither. */
    public AgentConfig tls(final java.nio.file.Path cert, final java.nio.file.Path key)
    {
        this.tlsCert = cert;
        this.tlsKey = key;
        return this;
    }

    /** The sandbox server's TLS context, or null (set by {@link #conclude}). */
    javax.net.ssl.SSLContext httpTls()
    {
        return httpTls;
    }

    /** The resolved task user, or null (set by {@link #conclude}). */
    TaskUser taskUser()
    {
        return taskUser;
    }

    /** cgroups, rss, none, or auto (cgroups where the agent may create them, else rss). */
    public AgentConfig isolation(final String isolation)
    {
        this.isolation = isolation;
        return this;
    }

    String isolation()
    {
        return isolation;
    }

    /** Attributes sent at registration and shown in offers, e.g. {@code rack:r1;zone:a}. */
    public AgentConfig attributes(final String attributes)
    {
        for (final String part : attributes.split(";"))
        {
            if (!part.isBlank() && !part.trim().matches("[A-Za-z0-9_.-]+:[^;:]*"))
            {
                throw new IllegalArgumentException("--attributes entry '" + part + "' is not name:value");
            }
        }
        this.attributes = attributes.trim();
        return this;
    }

    String attributes()
    {
        return attributes;
    }

    /** Sandboxes of ended tasks are removed once this old (default a week). */
    public AgentConfig sandboxGcHours(final long hours)
    {
        this.sandboxGcHours = hours;
        return this;
    }

    long sandboxGcMs()
    {
        return TimeUnit.HOURS.toMillis(sandboxGcHours);
    }

    public AgentConfig heartbeatMs(final long heartbeatMs)
    {
        this.heartbeatMs = heartbeatMs;
        return this;
    }

    /**
     * What this host has, as Mesos detects it: every core, memory from /proc/meminfo less 1 GiB
     * (at most half of it), the usable disk of the work directory less 5 %.
     */
    static long[] detect(final File workDir)
    {
        final long cpus = Runtime.getRuntime().availableProcessors() * 1000L;
        long memMiB = 1024;
        try
        {
            for (final String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo")))
            {
                if (line.startsWith("MemTotal:"))
                {
                    final long totalMiB = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                    memMiB = Math.max(totalMiB / 2, totalMiB - 1024);
                }
            }
        }
        catch (final java.io.IOException | NumberFormatException ex)
        {
            // not Linux, or unreadable: keep the conservative default
        }
        final long diskMiB = workDir == null ? 0 : (long)(workDir.getUsableSpace() / (1024 * 1024) * 0.95);
        return new long[] { cpus, memMiB, diskMiB, 0 };
    }

    public AgentConfig conclude()
    {
        if (workDir == null)
        {
            throw new IllegalArgumentException("--work-dir is required");
        }
        if (!workDir.isDirectory() && !workDir.mkdirs() || !workDir.canWrite())
        {
            throw new IllegalArgumentException("--work-dir " + workDir + " cannot be created or is not writable");
        }
        if ((tlsCert == null) != (tlsKey == null))
        {
            throw new IllegalArgumentException("give --tls-cert and --tls-key together (PEM: the certificate chain, " +
                "and its unencrypted PKCS#8 private key)");
        }
        httpTls = tlsCert == null ? null : io.corral.codec.Tls.server(tlsCert, tlsKey);
        taskUser = taskUserName == null || taskUserName.isBlank() ? null : TaskUser.resolve(taskUserName.trim());
        final long[] detected = detect(workDir);
        for (int i = 0; i < resources.length; i++)
        {
            if (resources[i] == -1)
            {
                resources[i] = detected[i];
            }
        }
        if (sandboxGcHours < 0)
        {
            throw new IllegalArgumentException("sandbox GC age must not be negative, got " + sandboxGcHours + " hours");
        }
        if (heartbeatMs < 10)
        {
            throw new IllegalArgumentException("heartbeat interval must be at least 10 ms, got " + heartbeatMs);
        }
        masterList = AgentNode.split(masters);
        if (masterList.isEmpty())
        {
            throw new IllegalArgumentException("--masters must list at least one master host:port");
        }
        for (int i = 0; i < resources.length; i++)
        {
            if (resources[i] < 0)
            {
                throw new IllegalArgumentException("resources must not be negative: " + describeResources());
            }
        }
        if (resources[0] == 0 && resources[1] == 0)
        {
            throw new IllegalArgumentException("an agent must offer some cpus or mem (--cpus, --mem)");
        }
        if (killGraceMs < 0)
        {
            throw new IllegalArgumentException("kill grace must not be negative");
        }
        return this;
    }

    List<String> masters()
    {
        return masterList;
    }

    long[] resources()
    {
        return resources.clone();
    }

    /** Custom kinds and amounts, by name. */
    public java.util.SortedMap<String, Long> customResources()
    {
        return custom;
    }

    public File workDir()
    {
        return workDir;
    }

    String hostname()
    {
        return hostname;
    }

    String bindHost()
    {
        return bindHost;
    }

    long heartbeatNs()
    {
        return TimeUnit.MILLISECONDS.toNanos(heartbeatMs);
    }

    long killGraceNs()
    {
        return TimeUnit.MILLISECONDS.toNanos(killGraceMs);
    }

    String describeResources()
    {
        final StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT,
            "cpus:%.3f mem:%d disk:%d gpus:%d", resources[0] / 1000.0, resources[1], resources[2], resources[3]));
        custom.forEach((name, value) -> sb.append(' ').append(name).append(':').append(value));
        return sb.toString();
    }
}
