package io.corral.client;

import java.util.List;

import io.corral.codec.Outbound;
import io.corral.codec.sbe.AcceptEncoder;

/** The framework's calls to the master, each encoded in one place into the driver's {@link Outbound}. */
final class CallEncoder
{
    private final Outbound out;

    CallEncoder(final Outbound out)
    {
        this.out = out;
    }

    /** Bytes an accept of these tasks on these offers takes on the wire (about). */
    static long acceptBytes(final List<Long> offerIds, final List<TaskSpec> tasks)
    {
        long bytes = 64L + 8L * offerIds.size();
        for (final TaskSpec t : tasks)
        {
            bytes += t.wireBytes();
        }
        return bytes;
    }

    int accept(final long frameworkId, final List<Long> offerIds, final List<TaskSpec> tasks)
    {
        final AcceptEncoder.MoreOffersEncoder more = out.accept.wrapAndApplyHeader(out.buffer, 0, out.header)
            .frameworkId(frameworkId).offerId(offerIds.get(0)).moreOffersCount(offerIds.size() - 1);
        for (final long id : offerIds.subList(1, offerIds.size()))
        {
            more.next().offerId(id);
        }
        final AcceptEncoder.TasksEncoder group = out.accept.tasksCount(tasks.size());
        for (final TaskSpec t : tasks)
        {
            final Resources r = t.resources();
            group.next().resources().cpus(r.cpusMilli()).mem(r.memMiB()).disk(r.diskMiB()).gpus(r.gpus());
            final TaskSpec.HealthCheck h = t.healthCheck();
            group.options().killGraceMs(t.killGraceMs()).healthIntervalMs(h == null ? 0 : h.intervalMs())
                .healthTimeoutMs(h == null ? 0 : h.timeoutMs()).healthMaxFailures(h == null ? 0 : h.maxFailures());
            group.taskId(t.taskId()).command(t.command()).env(t.envLines())
                .healthCommand(h == null ? "" : h.command())
                .customResources(io.corral.codec.CustomResources.format(r.custom()));
        }
        return Outbound.length(out.accept.encodedLength());
    }

    int decline(final long frameworkId, final long offerId, final long refuseMillis)
    {
        out.decline.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).offerId(offerId)
            .refuseMillis(refuseMillis);
        return Outbound.length(out.decline.encodedLength());
    }

    int suppress(final long frameworkId, final boolean suppress, final List<String> roles)
    {
        out.suppress.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId)
            .suppress((short)(suppress ? 1 : 0)).roles(String.join(",", roles));
        return Outbound.length(out.suppress.encodedLength());
    }

    int reconcile(final long frameworkId, final List<String> taskIds)
    {
        final io.corral.codec.sbe.ReconcileEncoder.TasksEncoder group = out.reconcile
            .wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).tasksCount(taskIds.size());
        for (final String id : taskIds)
        {
            group.next().taskId(id);
        }
        return Outbound.length(out.reconcile.encodedLength());
    }

    int kill(final long frameworkId, final String taskId)
    {
        out.kill.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).taskId(taskId);
        return Outbound.length(out.kill.encodedLength());
    }

    int teardown(final long frameworkId)
    {
        out.teardown.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId);
        return Outbound.length(out.teardown.encodedLength());
    }
}
