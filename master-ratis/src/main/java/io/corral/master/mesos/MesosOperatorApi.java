package io.corral.master.mesos;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import io.corral.allocator.ResourceKinds;
import io.corral.codec.HttpServers;
import io.corral.codec.Protocol;
import io.corral.master.MasterNode;
import io.corral.master.MasterState;
import io.corral.master.MasterView;
import org.apache.mesos.v1.Protos;
import org.apache.mesos.v1.master.Protos.Call;
import org.apache.mesos.v1.master.Protos.Response;

/**
 * The operator endpoints Mesos tooling reads, in Mesos's shapes: {@code GET /master/state} (and
 * {@code /state}), {@code GET /metrics/snapshot}, {@code GET /master/health}, {@code GET /version},
 * {@code GET /redirect} (and {@code /master/redirect}), and {@code POST /api/v1} with GET_HEALTH,
 * GET_VERSION, GET_STATE, GET_AGENTS, GET_FRAMEWORKS, GET_TASKS. They read the state this master
 * applied (a follower's may trail the leader's by a few entries); state endpoints on a follower
 * redirect to the leader, as a Mesos master does. Reads follow {@code --authenticate_http_readonly}
 * through MasterHttp's check of the caller.
 */
public final class MesosOperatorApi
{
    /** The Mesos API version Corral serves. */
    static final String MESOS_VERSION = "1.11.0";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MasterNode node;
    private final long startedAtMs = System.currentTimeMillis();

    public MesosOperatorApi(final MasterNode node)
    {
        this.node = node;
    }

    static Protos.MasterInfo masterInfo(final MasterNode node)
    {
        final String host = Protocol.host(node.address());
        final int port = Protocol.port(node.address()) + Protocol.HTTP_PORT_OFFSET;
        final Protos.MasterInfo.Builder b = Protos.MasterInfo.newBuilder().setId("corral-master-" + node.id())
            .setIp(ipv4(host)).setPort(port).setHostname(host).setVersion(MESOS_VERSION)
            .setAddress(Protos.Address.newBuilder().setHostname(host).setIp(host).setPort(port));
        return b.build();
    }

    /** An IPv4 address as Mesos's MasterInfo.ip carries it (network byte order in a uint32), 0 if not IPv4. */
    static int ipv4(final String host)
    {
        try
        {
            final byte[] a = InetAddress.getByName(host).getAddress();
            return a.length != 4 ? 0 : (a[0] & 0xFF) | (a[1] & 0xFF) << 8 | (a[2] & 0xFF) << 16 | (a[3] & 0xFF) << 24;
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }

    public void version(final HttpExchange exchange) throws IOException
    {
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", MESOS_VERSION);
        body.put("git_tag", "corral");
        body.put("build_user", "corral");
        json(exchange, 200, JSON.writeValueAsString(body));
    }

    public void health(final HttpExchange exchange) throws IOException
    {
        final boolean healthy = healthy();
        exchange.sendResponseHeaders(healthy ? 200 : 503, -1);
        exchange.close();
    }

    private boolean healthy()
    {
        return node.dutyIdleMs() < 5_000 && (node.isLeader() || node.leaderId() != 0);
    }

    public void redirect(final HttpExchange exchange) throws IOException
    {
        MesosSchedulerApi.redirect(exchange, node, "");
    }

    /** {@code /master/state}: Mesos's v0 JSON, frameworks with their tasks, agents as "slaves". */
    public void state(final HttpExchange exchange) throws IOException
    {
        if (!node.isLeader())
        {
            MesosSchedulerApi.redirect(exchange, node, exchange.getRequestURI().getPath());
            return;
        }
        final MasterView view = node.state();
        final ResourceKinds kinds = view.vectors().kinds();
        final Map<String, Object> doc = new LinkedHashMap<>();
        final Protos.MasterInfo me = masterInfo(node);
        final String pid = "master@" + me.getHostname() + ":" + me.getPort();
        doc.put("version", MESOS_VERSION);
        doc.put("id", me.getId());
        doc.put("pid", pid);
        doc.put("hostname", me.getHostname());
        doc.put("leader", pid);
        doc.put("leader_info", MesosJson.toJson(me));
        doc.put("start_time", startedAtMs / 1000.0);
        doc.put("activated_slaves", view.agents().size());
        doc.put("deactivated_slaves", 0);
        doc.put("unreachable_slaves", 0);
        final Map<Long, long[]> usedByFramework = new java.util.HashMap<>();
        final Map<Long, List<Object>> tasksByFramework = new java.util.HashMap<>();
        final Map<Long, List<Object>> completedByFramework = new java.util.HashMap<>();
        for (final MasterState.TaskView t : view.tasks())
        {
            final boolean live = !MasterState.isTerminal(t.state());
            if (live)
            {
                add(usedByFramework.computeIfAbsent(t.frameworkId(), k -> new long[t.resources().length]), t.resources());
            }
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", t.taskId());
            m.put("name", t.taskId());
            m.put("framework_id", Long.toString(t.frameworkId()));
            m.put("executor_id", "");
            m.put("slave_id", Long.toString(t.agentId()));
            m.put("state", MesosMapping.state(io.corral.client.TaskState.valueOf(t.state().name())).name());
            m.put("resources", scalars(kinds, t.resources()));
            m.put("role", MesosMapping.mesosRole(t.role()));
            final Map<String, Object> status = new LinkedHashMap<>();
            status.put("state", m.get("state"));
            status.put("timestamp", t.updatedAtMs() / 1000.0);
            m.put("statuses", List.of(status));
            (live ? tasksByFramework : completedByFramework).computeIfAbsent(t.frameworkId(), k -> new ArrayList<>())
                .add(m);
        }
        final List<Object> slaves = new ArrayList<>();
        for (final MasterState.Agent a : view.agents())
        {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", Long.toString(a.id()));
            m.put("hostname", a.hostname());
            m.put("pid", "slave(1)@" + a.endpoint());
            m.put("registered_time", a.admittedAtMs() / 1000.0);
            m.put("resources", scalars(kinds, a.resources()));
            m.put("used_resources", scalars(kinds, view.usedOn(a)));
            m.put("unreserved_resources", scalars(kinds, a.resources()));
            m.put("attributes", a.attributeMap());
            m.put("active", true);
            m.put("version", MESOS_VERSION);
            slaves.add(m);
        }
        doc.put("slaves", slaves);
        final List<Object> frameworks = new ArrayList<>();
        for (final MasterState.Framework f : view.frameworks())
        {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", Long.toString(f.id()));
            m.put("name", f.name());
            m.put("principal", f.principal());
            final List<String> roles = new ArrayList<>();
            for (final String r : f.role().split(","))
            {
                roles.add(MesosMapping.mesosRole(r));
            }
            m.put("role", roles.get(0));
            m.put("roles", roles);
            m.put("active", true);
            m.put("connected", !f.endpoint().isEmpty());
            m.put("failover_timeout", f.failoverTimeoutMs() / 1000.0);
            m.put("registered_time", f.addedAtMs() / 1000.0);
            final long[] used = usedByFramework.getOrDefault(f.id(), new long[kinds.count()]);
            m.put("resources", scalars(kinds, used));
            m.put("used_resources", scalars(kinds, used));
            m.put("tasks", tasksByFramework.getOrDefault(f.id(), List.of()));
            m.put("completed_tasks", completedByFramework.getOrDefault(f.id(), List.of()));
            m.put("offers", List.of());
            m.put("executors", List.of());
            frameworks.add(m);
        }
        doc.put("frameworks", frameworks);
        doc.put("completed_frameworks", List.of());
        doc.put("orphan_tasks", List.of());
        doc.put("unregistered_frameworks", List.of());
        json(exchange, 200, JSON.writeValueAsString(doc));
    }

    /** {@code /metrics/snapshot}: the Mesos metric names Corral can report truthfully, from this master's state. */
    public void metrics(final HttpExchange exchange) throws IOException
    {
        json(exchange, 200, JSON.writeValueAsString(metricsSnapshot()));
    }

    Map<String, Object> metricsSnapshot()
    {
        final MasterView view = node.state();
        final ResourceKinds kinds = view.vectors().kinds();
        final Map<String, Object> m = new java.util.TreeMap<>();
        m.put("master/elected", node.isLeader() ? 1.0 : 0.0);
        m.put("master/uptime_secs", (System.currentTimeMillis() - startedAtMs) / 1000.0);
        m.put("master/slaves_active", (double)view.agents().size());
        m.put("master/slaves_connected", (double)view.agents().size());
        m.put("master/slaves_inactive", 0.0);
        m.put("master/slaves_disconnected", 0.0);
        int connected = 0;
        for (final MasterState.Framework f : view.frameworks())
        {
            connected += f.endpoint().isEmpty() ? 0 : 1;
        }
        m.put("master/frameworks_active", (double)view.frameworks().size());
        m.put("master/frameworks_connected", (double)connected);
        m.put("master/frameworks_disconnected", (double)(view.frameworks().size() - connected));
        m.put("master/frameworks_inactive", 0.0);
        final java.util.EnumMap<io.corral.codec.sbe.TaskState, Integer> counts = view.taskCounts();
        for (final io.corral.codec.sbe.TaskState s : io.corral.codec.sbe.TaskState.values())
        {
            if (s != io.corral.codec.sbe.TaskState.NULL_VAL)
            {
                m.put("master/tasks_" + s.name().toLowerCase(java.util.Locale.ROOT),
                    (double)counts.getOrDefault(s, 0));
            }
        }
        final long[] total = new long[kinds.count()];
        final long[] used = new long[kinds.count()];
        for (final MasterState.Agent a : view.agents())
        {
            add(total, a.resources());
            add(used, view.usedOn(a));
        }
        for (final String name : new String[] { "cpus", "mem", "disk", "gpus" })
        {
            final int k = kinds.indexOf(name);
            final double tot = k < 0 ? 0 : amount(k, total[k]);
            final double use = k < 0 ? 0 : amount(k, used[k]);
            m.put("master/" + name + "_total", tot);
            m.put("master/" + name + "_used", use);
            m.put("master/" + name + "_percent", tot == 0 ? 0.0 : use / tot);
        }
        return m;
    }

    /** {@code POST /api/v1}: the read-only operator calls. */
    public void call(final HttpExchange exchange) throws IOException
    {
        if (!"POST".equals(exchange.getRequestMethod()))
        {
            MesosSchedulerApi.text(exchange, 405, "Expecting a 'POST' request, received '" +
                exchange.getRequestMethod() + "'");
            return;
        }
        final String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (!MesosSchedulerApi.PROTOBUF.equals(contentType) && !MesosSchedulerApi.JSON.equals(contentType))
        {
            MesosSchedulerApi.text(exchange, 415, "Expecting 'Content-Type' of application/json or " +
                "application/x-protobuf (exactly)");
            return;
        }
        final byte[] body;
        try (java.io.InputStream in = exchange.getRequestBody())
        {
            body = in.readNBytes(1 << 20);
        }
        final Call call;
        try
        {
            final Call.Builder b = Call.newBuilder();
            if (MesosSchedulerApi.PROTOBUF.equals(contentType))
            {
                b.mergeFrom(body);
            }
            else
            {
                MesosJson.parse(new String(body, StandardCharsets.UTF_8), b);
            }
            call = b.buildPartial();
        }
        catch (final InvalidProtocolBufferException | IllegalArgumentException ex)
        {
            MesosSchedulerApi.text(exchange, 400, "Failed to parse body into Call: " + ex.getMessage());
            return;
        }
        final Response.Builder r = Response.newBuilder();
        switch (call.getType())
        {
            case GET_HEALTH -> r.setType(Response.Type.GET_HEALTH)
                .setGetHealth(Response.GetHealth.newBuilder().setHealthy(healthy()));
            case GET_VERSION -> r.setType(Response.Type.GET_VERSION).setGetVersion(Response.GetVersion.newBuilder()
                .setVersionInfo(Protos.VersionInfo.newBuilder().setVersion(MESOS_VERSION).setGitTag("corral")));
            case GET_STATE, GET_AGENTS, GET_FRAMEWORKS, GET_TASKS ->
            {
                if (!node.isLeader())
                {
                    MesosSchedulerApi.redirect(exchange, node, "/api/v1");
                    return;
                }
                final MasterView view = node.state();
                switch (call.getType())
                {
                    case GET_AGENTS -> r.setType(Response.Type.GET_AGENTS).setGetAgents(agents(view));
                    case GET_FRAMEWORKS -> r.setType(Response.Type.GET_FRAMEWORKS).setGetFrameworks(frameworks(view));
                    case GET_TASKS -> r.setType(Response.Type.GET_TASKS).setGetTasks(tasks(view));
                    default -> r.setType(Response.Type.GET_STATE).setGetState(Response.GetState.newBuilder()
                        .setGetAgents(agents(view)).setGetFrameworks(frameworks(view)).setGetTasks(tasks(view))
                        .setGetExecutors(Response.GetExecutors.newBuilder()));
                }
            }
            default ->
            {
                MesosSchedulerApi.text(exchange, 400, "operator call " + call.getType() + " is not supported by " +
                    "Corral: it answers GET_HEALTH, GET_VERSION, GET_STATE, GET_AGENTS, GET_FRAMEWORKS, GET_TASKS " +
                    "(roles and quotas: corral role / POST /api/v1/roles/NAME)");
                return;
            }
        }
        final String accept = exchange.getRequestHeaders().getFirst("Accept");
        if (accept != null && accept.contains(MesosSchedulerApi.PROTOBUF) && !accept.contains(MesosSchedulerApi.JSON))
        {
            send(exchange, MesosSchedulerApi.PROTOBUF, r.build().toByteArray());
        }
        else
        {
            json(exchange, 200, MesosJson.print(r.build()));
        }
    }

    private static Response.GetAgents.Builder agents(final MasterView view)
    {
        final ResourceKinds kinds = view.vectors().kinds();
        final Response.GetAgents.Builder b = Response.GetAgents.newBuilder();
        for (final MasterState.Agent a : view.agents())
        {
            final List<Protos.Resource> total = resources(kinds, a.resources());
            b.addAgents(Response.GetAgents.Agent.newBuilder().setAgentInfo(Protos.AgentInfo.newBuilder()
                    .setHostname(a.hostname()).setId(MesosMapping.agentId(a.id())).addAllResources(total)
                    .addAllAttributes(MesosMapping.attributes(a.attributeMap())))
                .setActive(true).setDeactivated(false).setVersion(MESOS_VERSION).setPid("slave(1)@" + a.endpoint())
                .setRegisteredTime(Protos.TimeInfo.newBuilder().setNanoseconds(a.admittedAtMs() * 1_000_000))
                .addAllTotalResources(total)
                .addAllAllocatedResources(resources(kinds, view.usedOn(a))));
        }
        return b;
    }

    private static Response.GetFrameworks.Builder frameworks(final MasterView view)
    {
        final Response.GetFrameworks.Builder b = Response.GetFrameworks.newBuilder();
        for (final MasterState.Framework f : view.frameworks())
        {
            final Protos.FrameworkInfo.Builder info = Protos.FrameworkInfo.newBuilder().setName(f.name())
                .setUser("").setId(MesosMapping.frameworkId(f.id())).setFailoverTimeout(f.failoverTimeoutMs() / 1000.0)
                .setPrincipal(f.principal());
            final String[] roles = f.role().split(",");
            if (roles.length == 1)
            {
                info.setRole(MesosMapping.mesosRole(roles[0]));
            }
            else
            {
                for (final String r : roles)
                {
                    info.addRoles(MesosMapping.mesosRole(r));
                }
                info.addCapabilities(Protos.FrameworkInfo.Capability.newBuilder()
                    .setType(Protos.FrameworkInfo.Capability.Type.MULTI_ROLE));
            }
            b.addFrameworks(Response.GetFrameworks.Framework.newBuilder().setFrameworkInfo(info).setActive(true)
                .setConnected(!f.endpoint().isEmpty()).setRecovered(false)
                .setRegisteredTime(Protos.TimeInfo.newBuilder().setNanoseconds(f.addedAtMs() * 1_000_000)));
        }
        return b;
    }

    private static Response.GetTasks.Builder tasks(final MasterView view)
    {
        final ResourceKinds kinds = view.vectors().kinds();
        final Response.GetTasks.Builder b = Response.GetTasks.newBuilder();
        for (final MasterState.TaskView t : view.tasks())
        {
            final Protos.Task.Builder task = Protos.Task.newBuilder().setName(t.taskId())
                .setTaskId(Protos.TaskID.newBuilder().setValue(t.taskId()))
                .setFrameworkId(MesosMapping.frameworkId(t.frameworkId())).setAgentId(MesosMapping.agentId(t.agentId()))
                .setState(MesosMapping.state(io.corral.client.TaskState.valueOf(t.state().name())))
                .addAllResources(resources(kinds, t.resources()));
            if (MasterState.isTerminal(t.state()))
            {
                b.addCompletedTasks(task);
            }
            else
            {
                b.addTasks(task);
            }
        }
        return b;
    }

    private static double amount(final int kind, final long value)
    {
        return kind == 0 ? value / 1000.0 : value;
    }

    private static void add(final long[] into, final long[] r)
    {
        for (int k = 0; k < into.length && k < r.length; k++)
        {
            into[k] += r[k];
        }
    }

    private static Map<String, Object> scalars(final ResourceKinds kinds, final long[] r)
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k < r.length; k++)
        {
            m.put(kinds.name(k), amount(k, r[k]));
        }
        return m;
    }

    private static List<Protos.Resource> resources(final ResourceKinds kinds, final long[] r)
    {
        final List<Protos.Resource> out = new ArrayList<>();
        for (int k = 0; k < r.length; k++)
        {
            if (r[k] > 0)
            {
                out.add(Protos.Resource.newBuilder().setName(kinds.name(k)).setType(Protos.Value.Type.SCALAR)
                    .setScalar(Protos.Value.Scalar.newBuilder().setValue(amount(k, r[k]))).setRole("*").build());
            }
        }
        return out;
    }

    static void json(final HttpExchange exchange, final int code, final String body) throws IOException
    {
        HttpServers.send(exchange, code, MesosSchedulerApi.JSON, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(final HttpExchange exchange, final String type, final byte[] bytes) throws IOException
    {
        HttpServers.send(exchange, 200, type, bytes);
    }
}
