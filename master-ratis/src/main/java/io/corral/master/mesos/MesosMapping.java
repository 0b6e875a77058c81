package io.corral.master.mesos;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.protobuf.ByteString;
import io.corral.client.Resources;
import io.corral.client.TaskSpec;
import io.corral.client.TaskState;
import io.corral.client.TaskStatus;
import org.apache.mesos.v1.Protos;

/**
 * How Corral's things read in Mesos's v1 types, and back. Ids are Corral's numbers as decimal
 * strings (framework 7 is {@code "7"}, the id {@code corral} commands take), the same on every
 * master. Mesos's unreserved role {@code "*"} is Corral's {@code "default"} role. Resources are
 * SCALAR: {@code cpus} (Corral counts milli-CPUs), {@code mem} and {@code disk} in MB, {@code gpus},
 * and the cluster's custom kinds by name.
 */
public final class MesosMapping
{
    /** Corral's role for Mesos's {@code "*"} (a framework that names no role). */
    public static final String DEFAULT_ROLE = "default";

    private MesosMapping()
    {
    }

    public static String corralRole(final String mesosRole)
    {
        return "*".equals(mesosRole) || mesosRole.isEmpty() ? DEFAULT_ROLE : mesosRole;
    }

    public static String mesosRole(final String corralRole)
    {
        return DEFAULT_ROLE.equals(corralRole) ? "*" : corralRole;
    }

    /** A Corral id from a Mesos id's value; {@code what} names it in the error. */
    public static long corralId(final String value, final String what)
    {
        try
        {
            final long id = Long.parseLong(value);
            if (id > 0)
            {
                return id;
            }
        }
        catch (final NumberFormatException ex)
        {
            // below
        }
        throw new IllegalArgumentException(what + " '" + value + "' is not one this cluster gave out (Corral's ids " +
            "are positive numbers, e.g. \"7\")");
    }

    public static Protos.FrameworkID frameworkId(final long id)
    {
        return Protos.FrameworkID.newBuilder().setValue(Long.toString(id)).build();
    }

    public static Protos.AgentID agentId(final long id)
    {
        return Protos.AgentID.newBuilder().setValue(Long.toString(id)).build();
    }

    public static Protos.OfferID offerId(final long id)
    {
        return Protos.OfferID.newBuilder().setValue(Long.toString(id)).build();
    }

    /** Resources as Mesos lists them; {@code allocationRole} (Mesos's name) null for a framework that is not MULTI_ROLE. */
    public static List<Protos.Resource> resources(final Resources r, final String allocationRole)
    {
        final List<Protos.Resource> out = new ArrayList<>();
        add(out, "cpus", r.cpusMilli() / 1000.0, allocationRole);
        add(out, "mem", r.memMiB(), allocationRole);
        add(out, "disk", r.diskMiB(), allocationRole);
        add(out, "gpus", r.gpus(), allocationRole);
        r.custom().forEach((name, amount) -> add(out, name, amount, allocationRole));
        return out;
    }

    private static void add(final List<Protos.Resource> out, final String name, final double amount,
        final String allocationRole)
    {
        if (amount <= 0)
        {
            return;
        }
        final Protos.Resource.Builder b = Protos.Resource.newBuilder().setName(name).setType(Protos.Value.Type.SCALAR)
            .setScalar(Protos.Value.Scalar.newBuilder().setValue(amount)).setRole("*");
        if (allocationRole != null)
        {
            b.setAllocationInfo(Protos.Resource.AllocationInfo.newBuilder().setRole(allocationRole));
        }
        out.add(b.build());
    }

    public static List<Protos.Attribute> attributes(final Map<String, String> attributes)
    {
        final List<Protos.Attribute> out = new ArrayList<>();
        attributes.forEach((name, value) -> out.add(Protos.Attribute.newBuilder().setName(name)
            .setType(Protos.Value.Type.TEXT).setText(Protos.Value.Text.newBuilder().setValue(value)).build()));
        return out;
    }

    public static Protos.TaskState state(final TaskState state)
    {
        return switch (state)
        {
            case STAGING -> Protos.TaskState.TASK_STAGING;
            case STARTING -> Protos.TaskState.TASK_STARTING;
            case RUNNING -> Protos.TaskState.TASK_RUNNING;
            case FINISHED -> Protos.TaskState.TASK_FINISHED;
            case FAILED -> Protos.TaskState.TASK_FAILED;
            case KILLED -> Protos.TaskState.TASK_KILLED;
            case LOST -> Protos.TaskState.TASK_LOST;
            case ERROR -> Protos.TaskState.TASK_ERROR;
        };
    }

    /** A status update as a Mesos framework reads it; an update with a uuid waits for ACKNOWLEDGE. */
    public static Protos.TaskStatus status(final TaskStatus s)
    {
        final boolean reconciled = s.uuidMsb() == 0 && s.uuidLsb() == 0;
        final Protos.TaskStatus.Builder b = Protos.TaskStatus.newBuilder()
            .setTaskId(Protos.TaskID.newBuilder().setValue(s.taskId())).setState(state(s.state()))
            .setTimestamp(s.timestampMs() / 1000.0)
            .setSource(reconciled || s.state() == TaskState.LOST ? Protos.TaskStatus.Source.SOURCE_MASTER :
                s.state() == TaskState.STAGING || s.state() == TaskState.ERROR ? Protos.TaskStatus.Source.SOURCE_AGENT :
                    Protos.TaskStatus.Source.SOURCE_EXECUTOR);
        if (s.agentId() != 0)
        {
            b.setAgentId(agentId(s.agentId()));
        }
        String message = s.message() == null ? "" : s.message();
        if (message.isEmpty() && (s.state() == TaskState.FINISHED || s.state() == TaskState.FAILED))
        {
            message = "Command exited with status " + s.exitCode();
        }
        if (!message.isEmpty())
        {
            b.setMessage(message);
        }
        if (reconciled)
        {
            b.setReason(Protos.TaskStatus.Reason.REASON_RECONCILIATION);
        }
        else
        {
            b.setUuid(uuid(s.uuidMsb(), s.uuidLsb()));
            if (s.state() == TaskState.FAILED)
            {
                b.setReason(Protos.TaskStatus.Reason.REASON_COMMAND_EXECUTOR_FAILED);
            }
            else if (s.state() == TaskState.LOST)
            {
                b.setReason(Protos.TaskStatus.Reason.REASON_AGENT_REMOVED);
            }
        }
        return b.build();
    }

    public static ByteString uuid(final long msb, final long lsb)
    {
        return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(msb).putLong(lsb).array());
    }

    /** {msb, lsb} of a 16-byte uuid. */
    public static long[] uuid(final ByteString bytes)
    {
        if (bytes.size() != 16)
        {
            throw new IllegalArgumentException("uuid must be 16 bytes (as in the update), got " + bytes.size());
        }
        final ByteBuffer b = bytes.asReadOnlyByteBuffer();
        return new long[] { b.getLong(), b.getLong() };
    }

    /**
     * The Corral task a Mesos TaskInfo asks for, or an exception whose message says what Corral
     * cannot run (the framework gets TASK_ERROR with it).
     */
    public static TaskSpec task(final Protos.TaskInfo t)
    {
        final String id = t.getTaskId().getValue();
        if (t.hasExecutor())
        {
            throw new IllegalArgumentException("task '" + id + "' names an executor: Corral runs commands only " +
                "(give TaskInfo.command, without executor)");
        }
        if (t.hasContainer())
        {
            throw new IllegalArgumentException("task '" + id + "' asks for a container: Corral runs commands as " +
                "processes on the agent, without containers (leave TaskInfo.container out)");
        }
        if (!t.hasCommand())
        {
            throw new IllegalArgumentException("task '" + id + "' has no command: give TaskInfo.command");
        }
        final Protos.CommandInfo c = t.getCommand();
        if (c.getUrisCount() > 0)
        {
            throw new IllegalArgumentException("task '" + id + "' asks to fetch URIs: Corral has no fetcher yet " +
                "(download them in the command instead)");
        }
        final Map<String, String> env = new TreeMap<>();
        for (final Protos.Environment.Variable v : c.getEnvironment().getVariablesList())
        {
            if (v.getType() == Protos.Environment.Variable.Type.SECRET)
            {
                throw new IllegalArgumentException("task '" + id + "': environment variable " + v.getName() +
                    " is a SECRET; Corral has no secret store: pass a VALUE");
            }
            env.put(v.getName(), v.getValue());
        }
        long cpusMilli = 0;
        long mem = 0;
        long disk = 0;
        long gpus = 0;
        final TreeMap<String, Long> custom = new TreeMap<>();
        for (final Protos.Resource r : t.getResourcesList())
        {
            if (r.getType() != Protos.Value.Type.SCALAR)
            {
                throw new IllegalArgumentException("task '" + id + "' asks for " + r.getName() + " as " + r.getType() +
                    ": Corral offers scalar resources only (no port ranges or sets yet)");
            }
            final double v = r.getScalar().getValue();
            if (!(v >= 0) || Double.isInfinite(v))
            {
                throw new IllegalArgumentException("task '" + id + "': " + r.getName() + " must be a non-negative " +
                    "number, got " + v);
            }
            switch (r.getName())
            {
                case "cpus" -> cpusMilli += Math.round(v * 1000);
                case "mem" -> mem += (long)Math.ceil(v);
                case "disk" -> disk += (long)Math.ceil(v);
                case "gpus" -> gpus += (long)Math.ceil(v);
                default -> custom.merge(r.getName(), (long)Math.ceil(v), Long::sum);
            }
        }
        final Resources resources = new Resources(cpusMilli, mem, disk, gpus, custom);
        TaskSpec spec;
        if (!c.hasShell() || c.getShell())
        {
            if (c.getValue().isBlank())
            {
                throw new IllegalArgumentException("task '" + id + "' has an empty CommandInfo.value");
            }
            spec = new TaskSpec(id, c.getValue(), resources);
        }
        else
        {
            // shell=false: run value with exactly these arguments (arguments[0] is argv[0]).
            final List<String> argv = new ArrayList<>();
            argv.add(c.getValue());
            final List<String> args = c.getArgumentsList();
            argv.addAll(args.isEmpty() ? List.of() : args.subList(1, args.size()));
            spec = TaskSpec.ofArgv(id, resources, argv.toArray(String[]::new));
        }
        spec = spec.withEnv(env);
        if (t.hasKillPolicy() && t.getKillPolicy().hasGracePeriod())
        {
            spec = spec.withKillGraceMs(Math.max(0, t.getKillPolicy().getGracePeriod().getNanoseconds() / 1_000_000));
        }
        if (t.hasHealthCheck())
        {
            final Protos.HealthCheck h = t.getHealthCheck();
            if (h.getType() != Protos.HealthCheck.Type.COMMAND && !(h.hasCommand() && !h.hasType()))
            {
                throw new IllegalArgumentException("task '" + id + "' has a " + h.getType() + " health check: Corral " +
                    "runs COMMAND health checks only");
            }
            spec = spec.withHealthCheck(new TaskSpec.HealthCheck(h.getCommand().getValue(),
                Math.round(h.getIntervalSeconds() * 1000), Math.round(h.getTimeoutSeconds() * 1000),
                h.getConsecutiveFailures()));
        }
        return spec;
    }
}
