package io.corral.master.mesos;

import java.util.ArrayList;
import java.util.List;

import io.corral.client.TaskSpec;
import io.corral.client.TaskStatus;
import org.apache.mesos.v1.Protos;
import org.apache.mesos.v1.scheduler.Protos.Call;

/**
 * The Mesos v1 scheduler calls other than SUBSCRIBE, carried out on a stream's Corral driver
 * (ACCEPT with LAUNCH, DECLINE, REVIVE, SUPPRESS, KILL, ACKNOWLEDGE, RECONCILE, TEARDOWN), and
 * the reason, in the caller's terms, for each call Corral does not do.
 */
final class MesosCalls
{
    private MesosCalls()
    {
    }

    /** Carries out a call on the stream's driver; a reason when Corral does not do what it asks. */
    static String dispatch(final SchedulerStream stream, final Call call)
    {
        final io.corral.client.SchedulerDriver driver = stream.driver();
        switch (call.getType())
        {
            case TEARDOWN ->
            {
                stream.teardown();
                return null;
            }
            case ACCEPT ->
            {
                final Call.Accept accept = call.getAccept();
                final List<Long> offers = offerIds(accept.getOfferIdsList());
                final List<Protos.TaskInfo> infos = new ArrayList<>();
                for (final Protos.Offer.Operation op : accept.getOperationsList())
                {
                    if (op.getType() != Protos.Offer.Operation.Type.LAUNCH)
                    {
                        return "ACCEPT operation " + op.getType() + " is not supported: Corral does LAUNCH only " +
                            "(no reservations, volumes or task groups yet); nothing was done, decline the offers " +
                            "or accept them with LAUNCH";
                    }
                    infos.addAll(op.getLaunch().getTaskInfosList());
                }
                final List<TaskSpec> tasks = new ArrayList<>();
                final java.util.Set<String> seen = new java.util.HashSet<>();
                for (final Protos.TaskInfo t : infos)
                {
                    try
                    {
                        if (!seen.add(t.getTaskId().getValue()))
                        {
                            throw new IllegalArgumentException("task id '" + t.getTaskId().getValue() +
                                "' appears twice in one ACCEPT");
                        }
                        tasks.add(MesosMapping.task(t));
                    }
                    catch (final IllegalArgumentException ex)
                    {
                        stream.refuseTask(t, ex.getMessage());
                    }
                }
                if (offers.isEmpty())
                {
                    throw new IllegalArgumentException("ACCEPT names no offer_ids");
                }
                driver.acceptOffers(offers, tasks);
                return null;
            }
            case DECLINE ->
            {
                final double refuse = call.getDecline().hasFilters() ?
                    call.getDecline().getFilters().getRefuseSeconds() : 5.0;
                if (!(refuse >= 0))
                {
                    throw new IllegalArgumentException("filters.refuse_seconds must not be negative");
                }
                for (final long offer : offerIds(call.getDecline().getOfferIdsList()))
                {
                    driver.declineOffer(offer, refuse);
                }
                return null;
            }
            case REVIVE ->
            {
                driver.reviveOffers(roles(call.getRevive().getRolesList()));
                return null;
            }
            case SUPPRESS ->
            {
                driver.suppressOffers(roles(call.getSuppress().getRolesList()));
                return null;
            }
            case KILL ->
            {
                driver.killTask(call.getKill().getTaskId().getValue());
                return null;
            }
            case ACKNOWLEDGE ->
            {
                final Call.Acknowledge ack = call.getAcknowledge();
                final long[] uuid = MesosMapping.uuid(ack.getUuid());
                driver.acknowledgeStatusUpdate(new TaskStatus(ack.getTaskId().getValue(),
                    MesosMapping.corralId(ack.getAgentId().getValue(), "agent id"), null, 0, "", 0, uuid[0], uuid[1]));
                return null;
            }
            case RECONCILE ->
            {
                final List<String> ids = new ArrayList<>();
                for (final Call.Reconcile.Task t : call.getReconcile().getTasksList())
                {
                    ids.add(t.getTaskId().getValue());
                }
                driver.reconcileTasks(ids);
                return null;
            }
            case SHUTDOWN, MESSAGE -> {
                return call.getType() + " is not supported: Corral runs tasks as commands, without executors";
            }
            case ACCEPT_INVERSE_OFFERS, DECLINE_INVERSE_OFFERS -> {
                return call.getType() + " is not supported: Corral sends no inverse offers (no maintenance schedules)";
            }
            case ACKNOWLEDGE_OPERATION_STATUS, RECONCILE_OPERATIONS -> {
                return call.getType() + " is not supported: Corral has no offer operations besides LAUNCH";
            }
            case REQUEST -> {
                return "REQUEST is not supported (Mesos ignores it too): Corral offers what is free by DRF";
            }
            case UPDATE_FRAMEWORK -> {
                return "UPDATE_FRAMEWORK is not supported yet: SUBSCRIBE again with the framework id and the new " +
                    "FrameworkInfo";
            }
            default -> {
                return "unknown call type " + call.getType();
            }
        }
    }

    private static List<Long> offerIds(final List<Protos.OfferID> ids)
    {
        final List<Long> out = new ArrayList<>();
        for (final Protos.OfferID id : ids)
        {
            out.add(MesosMapping.corralId(id.getValue(), "offer id"));
        }
        return out;
    }

    private static List<String> roles(final List<String> mesosRoles)
    {
        final List<String> out = new ArrayList<>();
        for (final String r : mesosRoles)
        {
            out.add(MesosMapping.corralRole(r));
        }
        return out;
    }
}
