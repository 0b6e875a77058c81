package io.corral.master;

import java.util.ArrayList;
import java.util.List;

import io.corral.codec.MasterInbound;
import io.corral.codec.sbe.AcceptDecoder;
import io.corral.codec.sbe.AcknowledgeDecoder;
import io.corral.codec.sbe.AgentHeartbeatDecoder;
import io.corral.codec.sbe.DeclineDecoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.KillDecoder;
import io.corral.codec.sbe.ReconcileDecoder;
import io.corral.codec.sbe.RegisterAgentDecoder;
import io.corral.codec.sbe.StatusUpdateDecoder;
import io.corral.codec.sbe.SubscribeDecoder;
import io.corral.codec.sbe.SuppressDecoder;
import io.corral.codec.sbe.TeardownDecoder;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's inbound side: each decoded message from an agent or a framework goes to the
 * Control that decides it (registrations, subscriptions, teardowns) or to the leader's duties
 * (offers, launches, status updates). A master that does not lead answers with who does. Decoder
 * flyweights are read inside the callback and never kept. Owned by the duty thread.
 */
final class MasterEndpoint implements MasterInbound.Handler
{
    private static final Logger LOG = LoggerFactory.getLogger(MasterEndpoint.class);

    private final int masterId;
    private final MasterState state;
    private final Outputs outputs;
    private final AgentPublisher toAgents;
    private final RecordWriter records;
    private final MasterMetrics metrics;
    private final EpochClock clock;
    private final Leadership leadership;
    /** The endpoint each Aeron session last spoke for: where a reply to a bad frame goes. */
    private final Int2ObjectHashMap<String> endpointBySession = new Int2ObjectHashMap<>();
    private final String[] problem = new String[1];
    /** Views of a message's text fields, read without making Strings (the heartbeat and ack paths). */
    private final org.agrona.concurrent.UnsafeBuffer taskIdBytes = new org.agrona.concurrent.UnsafeBuffer(0, 0);
    private final org.agrona.concurrent.UnsafeBuffer nameBytes = new org.agrona.concurrent.UnsafeBuffer(0, 0);
    private final org.agrona.concurrent.UnsafeBuffer roleBytes = new org.agrona.concurrent.UnsafeBuffer(0, 0);
    private final org.agrona.concurrent.UnsafeBuffer endpointBytes = new org.agrona.concurrent.UnsafeBuffer(0, 0);
    private final org.agrona.concurrent.UnsafeBuffer principalBytes = new org.agrona.concurrent.UnsafeBuffer(0, 0);
    private LeaderDuties duties;
    private long nowNs;
    /** Bad frames are a stranger's to send: one line a second at most. */
    private final io.corral.codec.LogThrottle badFrameLog = new io.corral.codec.LogThrottle(1_000_000_000L);
    /** Authenticated sessions (null: a master run with --insecure, which checks nobody). */
    private final Sessions sessions;

    MasterEndpoint(final int masterId, final MasterState state, final Outputs outputs, final Leadership leadership)
    {
        this(masterId, state, outputs, leadership, null);
    }

    MasterEndpoint(final int masterId, final MasterState state, final Outputs outputs, final Leadership leadership,
        final Sessions sessions)
    {
        this.sessions = sessions;
        this.masterId = masterId;
        this.state = state;
        this.outputs = outputs;
        this.toAgents = outputs.toAgents();
        this.records = outputs.records();
        this.metrics = outputs.metrics();
        this.clock = outputs.clock();
        this.leadership = leadership;
    }

    /** Called before each poll: the cycle's time and duties. */
    void cycle(final long nowNs)
    {
        this.nowNs = nowNs;
        this.duties = leadership.duties();
    }

    /** Not the leader: tell the sender who is, or that there is none yet. */
    private boolean redirected(final String replyTo)
    {
        if (duties != null)
        {
            return false;
        }
        final int id = leadership.leaderId();
        toAgents.notLeader(replyTo, id, id == 0 ? "" : leadership.leaderEndpoint(), nowNs);
        return true;
    }

    private void error(final String replyTo, final ErrorCode code, final int inReplyTo, final String message)
    {
        metrics.requestsRefused.inc();
        toAgents.error(replyTo, code, inReplyTo, message, nowNs);
    }

    private void remember(final int sessionId, final String endpoint)
    {
        final String known = endpointBySession.get(sessionId);
        if (known == null || !known.equals(endpoint))
        {
            endpointBySession.put(sessionId, endpoint);
        }
    }

    /**
     * True if the message in hand may act for the agent or framework at {@code owner}'s endpoint:
     * always without credentials; with them, only inside the session of that endpoint. Otherwise
     * the sender (if it has a session) is told, and the refusal is counted.
     */
    private boolean mayActFor(final String owner, final int template, final String kind, final long id)
    {
        if (sessions == null)
        {
            return true;
        }
        final Sessions.Session s = sessions.current();
        if (s != null && s.endpoint().equals(owner))
        {
            return true;
        }
        metrics.authRefused(MasterMetrics.AuthRefusal.NOT_YOURS);
        if (s != null)
        {
            // (the text built only here: the hot path allocates nothing)
            error(s.endpoint(), ErrorCode.NOT_PERMITTED, template, kind + " " + id + " belongs to another client (principal '" +
                s.principal() + "' may act only for the agents and frameworks it registered from " + s.endpoint() + ")");
        }
        return false;
    }

    /**
     * With credentials, the session a registration or subscription came in; null (and the sender
     * told what is missing) if it came unsealed or names an endpoint other than its session's.
     */
    private Sessions.Session sessionFor(final String endpoint, final int template, final String who)
    {
        final Sessions.Session s = sessions.current();
        if (s == null)
        {
            metrics.authRefused(MasterMetrics.AuthRefusal.UNSEALED);
            error(endpoint, ErrorCode.NOT_AUTHENTICATED, template, "this master requires authentication: start the " +
                who + " with a credential (`corral agent --credential FILE`, `corral run --credential FILE`, or " +
                "CorralSchedulerDriver.credential(...)): a line `principal secret` from the masters' credentials file");
            return null;
        }
        if (!s.endpoint().equals(endpoint))
        {
            metrics.authRefused(MasterMetrics.AuthRefusal.NOT_YOURS);
            error(s.endpoint(), ErrorCode.NOT_PERMITTED, template, "the message names endpoint " + endpoint +
                " but its session was opened from " + s.endpoint());
            return null;
        }
        return s;
    }

    /**
     * True (and the frame dropped, counted, logged once an interval, nothing sent) if the endpoint a
     * frame names is not a plain address:port (or its HTTP endpoint not a plain host:port): no
     * channel is ever made from one.
     */
    private boolean badEndpoint(final String endpoint, final String http, final int template)
    {
        String problem = io.corral.codec.Protocol.peerEndpointProblem(endpoint);
        if (problem == null && http != null && !http.isEmpty())
        {
            final String plain = http.startsWith("https://") ? http.substring("https://".length()) : http;
            problem = io.corral.codec.Protocol.endpointProblem(plain);
            problem = problem == null ? null : "HTTP " + problem;
        }
        if (problem == null)
        {
            return false;
        }
        metrics.endpointsRefused.inc();
        if (badEndpointLog.allow(nowNs))
        {
            LOG.warn("master {}: dropped a frame (template {}): {}{}", masterId, template, problem,
                badEndpointLog.leftOut());
        }
        return true;
    }

    private final io.corral.codec.LogThrottle badEndpointLog = new io.corral.codec.LogThrottle(10_000_000_000L);

    @Override
    public void onHello(final io.corral.codec.sbe.HelloDecoder m, final int sessionId)
    {
        m.skipPrincipal();
        final String endpoint = m.endpoint();
        m.sbeRewind();
        if (badEndpoint(endpoint, null, io.corral.codec.sbe.HelloDecoder.TEMPLATE_ID))
        {
            return;
        }
        if (sessions == null)
        {
            toAgents.authFailed(endpoint, 0, "this master runs with --insecure and takes no credentials: start " +
                "the agent or framework without one (or the masters with --credentials)", nowNs);
            return;
        }
        // Every master answers a Hello, followers too: a follower's "not the leader" then goes
        // sealed in the session, so a client believes only a master's redirect (an unsealed one
        // could come from anyone).
        sessions.hello(m, nowNs);
    }

    /** Proposes what a Control decided, acknowledges via {@code unchanged}, or tells the sender why not. */
    private void act(final Result result, final String replyTo, final int template, final Runnable unchanged)
    {
        switch (result.kind())
        {
            case PROPOSE -> outputs.proposeIfAny(result);
            case UNCHANGED -> unchanged.run();
            case REFUSED -> error(replyTo, result.code(), template, result.reason());
        }
    }

    @Override
    public void onRegisterAgent(final RegisterAgentDecoder m, final int sessionId)
    {
        final long agentId = m.agentId();
        final String hostname = m.hostname();
        final String endpoint = m.endpoint();
        final String attributes = m.attributes();
        final String http = m.httpEndpoint();
        final String custom = m.customResources();
        final String taskList = m.tasks();
        final String secret = m.agentSecret();
        if (badEndpoint(endpoint, http, RegisterAgentDecoder.TEMPLATE_ID))
        {
            return;
        }
        remember(sessionId, endpoint);
        if (redirected(endpoint))
        {
            return;
        }
        if (sessions != null)
        {
            final Sessions.Session s = sessionFor(endpoint, RegisterAgentDecoder.TEMPLATE_ID, "agent");
            if (s == null)
            {
                return;
            }
            if (!state.acl().allows(Acl.Action.REGISTER_AGENTS, s.principal()))
            {
                metrics.authRefused(MasterMetrics.AuthRefusal.ACL);
                error(endpoint, ErrorCode.NOT_PERMITTED, RegisterAgentDecoder.TEMPLATE_ID, "principal '" + s.principal() +
                    "' may not register agents (the ACL allows " + state.acl().principalsFor(Acl.Action.REGISTER_AGENTS) +
                    "): add 'register-agents " + s.principal() + "' with corral acl set, or use an agent credential");
                return;
            }
        }
        final AgentControl agents = state.agentControl();
        final long[] resources = agents.resources(m, custom, problem);
        if (resources == null)
        {
            error(endpoint, ErrorCode.MALFORMED, RegisterAgentDecoder.TEMPLATE_ID, "registration refused: " + problem[0]);
            return;
        }
        final MasterState.Agent known = agentId == 0 ? null : agents.get(agentId);
        // (the parts of its list sent before it, if any, are taken now, used or not)
        final String wholeList = duties.reports().withListParts(agentId, taskList);
        if (known != null && wholeList == null)
        {
            error(endpoint, ErrorCode.MALFORMED, RegisterAgentDecoder.TEMPLATE_ID, "registration of agent " + agentId +
                " refused: its task list came in parts and not all of them arrived here (sent to an earlier " +
                "leader?); register again to send it whole");
            return;
        }
        final Result result = agents.register(agentId, hostname, endpoint, attributes, http, resources, secret,
            duties::idFor, clock.time(), records);
        if (result.refused())
        {
            if (result.code() == ErrorCode.NOT_PERMITTED)
            {
                metrics.authRefused(MasterMetrics.AuthRefusal.NOT_YOURS);
            }
            error(endpoint, result.code(), RegisterAgentDecoder.TEMPLATE_ID, result.reason());
            return;
        }
        if (known != null)
        {
            duties.reports().agentReported(agentId, wholeList);
        }
        if (result.proposes())
        {
            // One proposal per registering agent at a time: an agent retries until answered, and
            // each retry became a Raft entry (1,000 agents sent 59,648 at a fixed 500 ms). The commit
            // answers every retry; a refused proposal lets the next retry propose again.
            final LeaderDuties proposedBy = duties;
            final String key = AgentControl.key(hostname, endpoint);
            if (proposedBy.registering(key))
            {
                outputs.proposer().propose(records.buffer(), records.length(), () -> proposedBy.registrationFailed(key));
            }
            return;
        }
        act(result, endpoint, RegisterAgentDecoder.TEMPLATE_ID, () -> duties.agentRegistered(known, nowNs));
    }

    /**
     * Part of a registered agent's task list too long for its registration, which follows on the
     * same stream. Kept by the leader until then; a follower drops it (the registration that
     * follows is answered with who leads).
     */
    @Override
    public void onAgentTasks(final io.corral.codec.sbe.AgentTasksDecoder m, final int sessionId)
    {
        final long agentId = m.agentId();
        final int part = m.part();
        final MasterState.Agent agent = state.agent(agentId);
        if (agent == null || duties == null)
        {
            m.skipTasks(); // an agent not known here registers as new, and a new agent lists nothing
            return;
        }
        if (!mayActFor(agent.endpoint(), io.corral.codec.sbe.AgentTasksDecoder.TEMPLATE_ID, "agent", agentId))
        {
            m.skipTasks();
            return;
        }
        remember(sessionId, agent.endpoint());
        final String problem = duties.reports().listPart(agentId, part, m.tasks());
        if (problem != null)
        {
            error(agent.endpoint(), ErrorCode.MALFORMED, io.corral.codec.sbe.AgentTasksDecoder.TEMPLATE_ID, problem);
        }
    }

    @Override
    public void onAgentHeartbeat(final AgentHeartbeatDecoder m, final int sessionId)
    {
        final MasterState.Agent agent = state.agent(m.agentId());
        if (agent == null)
        {
            error(endpointBySession.get(sessionId), ErrorCode.NOT_REGISTERED, AgentHeartbeatDecoder.TEMPLATE_ID,
                "agent " + m.agentId() + " is not registered: register again");
            return;
        }
        if (!mayActFor(agent.endpoint(), AgentHeartbeatDecoder.TEMPLATE_ID, "agent", agent.id()))
        {
            return;
        }
        remember(sessionId, agent.endpoint());
        if (!redirected(agent.endpoint()))
        {
            if (!duties.registeredThisTerm(agent.id()))
            {
                // A new leader learns what its log lacks (STARTING, RUNNING that went ahead of it)
                // from the task list an agent registers with; a heartbeat carries none. Answered by
                // the agent with a registration.
                error(agent.endpoint(), ErrorCode.NOT_REGISTERED, AgentHeartbeatDecoder.TEMPLATE_ID, "agent " +
                    agent.id() + " has not registered with this leader yet: register again");
                return;
            }
            duties.acknowledgeAgent(agent, nowNs);
        }
    }

    /** A view of a status update's task id in its frame (duty thread). */
    private final org.agrona.concurrent.UnsafeBuffer taskIdView = new org.agrona.concurrent.UnsafeBuffer(0, 0);

    @Override
    public void onStatusUpdate(final StatusUpdateDecoder m, final int sessionId)
    {
        final long agentId = m.agentId();
        final MasterState.Agent agent = state.agent(agentId);
        if (agent == null)
        {
            m.skipTaskId();
            m.skipMessage();
            error(endpointBySession.get(sessionId), ErrorCode.NOT_REGISTERED, StatusUpdateDecoder.TEMPLATE_ID,
                "agent " + agentId + " is not registered: register again");
            return;
        }
        if (!mayActFor(agent.endpoint(), StatusUpdateDecoder.TEMPLATE_ID, "agent", agentId))
        {
            m.skipTaskId();
            m.skipMessage();
            return;
        }
        if (redirected(agent.endpoint()))
        {
            return;
        }
        final long frameworkId = m.frameworkId();
        m.wrapTaskId(taskIdView);
        // Found by the id's bytes: a String only for a task the state does not hold (to say so).
        final MasterState.Task task = state.taskControl().get(frameworkId, taskIdView, 0, taskIdView.capacity());
        final String taskId = task != null ? task.taskId : taskIdView.getStringWithoutLengthUtf8(0, taskIdView.capacity());
        duties.statuses().onStatusUpdate(agentId, frameworkId, m.uuidMsb(), m.uuidLsb(), m.state(), m.exitCode(),
            m.timestampMs(), task, taskId, m.message(), nowNs);
    }

    @Override
    public void onSubscribe(final SubscribeDecoder m, final int sessionId)
    {
        final long frameworkId = m.frameworkId();
        final long sentFailoverTimeoutMs = m.failoverTimeoutMs();
        // Clamped first: the heartbeat compares it with the state's, which holds the clamped value.
        final long failoverTimeoutMs = sentFailoverTimeoutMs < 0 ? sentFailoverTimeoutMs :
            FrameworkControl.clampMs(sentFailoverTimeoutMs);
        m.wrapName(nameBytes);
        m.wrapRole(roleBytes);
        m.wrapEndpoint(endpointBytes);
        m.wrapPrincipal(principalBytes);
        final MasterState.Framework known = frameworkId == 0 ? null : state.framework(frameworkId);
        if (known != null && known.failoverTimeoutMs() == failoverTimeoutMs && Utf8.same(endpointBytes, known.endpoint()) &&
            Utf8.same(nameBytes, known.name()) && Utf8.same(roleBytes, known.role()) &&
            Utf8.same(principalBytes, known.principal()) && (sessions == null || sessions.current() != null &&
            sessions.current().endpoint().equals(known.endpoint()) &&
            sessions.current().principal().equals(known.principal())))
        {
            // The framework's heartbeat: it repeats what the state holds, read without making Strings.
            remember(sessionId, known.endpoint());
            if (!redirected(known.endpoint()))
            {
                duties.acknowledgeFramework(known, nowNs);
            }
            return;
        }
        final String name = Utf8.string(nameBytes);
        final String role = Utf8.string(roleBytes);
        final String endpoint = Utf8.string(endpointBytes);
        String principal = Utf8.string(principalBytes);
        if (badEndpoint(endpoint, null, SubscribeDecoder.TEMPLATE_ID))
        {
            return;
        }
        remember(sessionId, endpoint);
        if (redirected(endpoint))
        {
            return;
        }
        if (sessions != null)
        {
            final Sessions.Session s = sessionFor(endpoint, SubscribeDecoder.TEMPLATE_ID, "framework");
            if (s == null)
            {
                return;
            }
            if (principal.isEmpty())
            {
                principal = s.principal();
            }
            String refusal = !principal.equals(s.principal()) ? "the subscription names principal '" + principal +
                "' but the session authenticated '" + s.principal() + "'" :
                known != null && !known.principal().equals(s.principal()) ? "framework " + frameworkId +
                " belongs to principal '" + known.principal() + "', not '" + s.principal() + "'" : null;
            final String aclRefusal = refusal == null ? state.acl().subscribeRefusal(s.principal(), role) : null;
            if (refusal != null || aclRefusal != null)
            {
                metrics.authRefused(refusal != null ? MasterMetrics.AuthRefusal.NOT_YOURS : MasterMetrics.AuthRefusal.ACL);
                error(s.endpoint(), ErrorCode.NOT_PERMITTED, SubscribeDecoder.TEMPLATE_ID,
                    refusal != null ? refusal : aclRefusal);
                return;
            }
        }
        final FrameworkControl frameworks = state.frameworkControl();
        act(frameworks.subscribe(frameworkId, name, role, endpoint, principal, failoverTimeoutMs, duties::idFor,
            clock.time(), records), endpoint, SubscribeDecoder.TEMPLATE_ID,
            () -> duties.acknowledgeFramework(frameworks.get(frameworkId), nowNs));
    }

    /** The framework's endpoint if it is subscribed and this master leads; else the sender is told why not. */
    private String frameworkEndpointOrRefuse(final long frameworkId, final int sessionId, final int template)
    {
        final MasterState.Framework framework = state.framework(frameworkId);
        if (framework == null)
        {
            error(endpointBySession.get(sessionId), ErrorCode.NOT_REGISTERED, template,
                "framework " + frameworkId + " is not subscribed: subscribe first");
            return null;
        }
        if (!mayActFor(framework.endpoint(), template, "framework", frameworkId))
        {
            return null;
        }
        if (redirected(framework.endpoint()))
        {
            return null;
        }
        // A framework that accepts, declines or acknowledges is there, as much as one that sends
        // its Subscribe heartbeat: under load that heartbeat can come late, and every framework of
        // a 200-endpoint scale run was removed (failover timeout 0) while it was launching.
        duties.frameworkHeard(framework, nowNs);
        return framework.endpoint();
    }

    @Override
    public void onAccept(final AcceptDecoder m, final int sessionId)
    {
        final String endpoint = frameworkEndpointOrRefuse(m.frameworkId(), sessionId, AcceptDecoder.TEMPLATE_ID);
        if (endpoint != null)
        {
            duties.onAccept(m, endpoint, nowNs);
        }
    }

    @Override
    public void onDecline(final DeclineDecoder m, final int sessionId)
    {
        final String endpoint = frameworkEndpointOrRefuse(m.frameworkId(), sessionId, DeclineDecoder.TEMPLATE_ID);
        if (endpoint != null)
        {
            duties.onDecline(m.frameworkId(), m.offerId(), m.refuseMillis(), endpoint, nowNs);
        }
    }

    @Override
    public void onKill(final KillDecoder m, final int sessionId)
    {
        final long frameworkId = m.frameworkId();
        final String taskId = m.taskId();
        final String endpoint = frameworkEndpointOrRefuse(frameworkId, sessionId, KillDecoder.TEMPLATE_ID);
        if (endpoint != null)
        {
            duties.onKill(frameworkId, taskId, endpoint, nowNs);
        }
    }

    @Override
    public void onAcknowledge(final AcknowledgeDecoder m, final int sessionId)
    {
        final long frameworkId = m.frameworkId();
        final long msb = m.uuidMsb();
        final long lsb = m.uuidLsb();
        m.wrapTaskId(taskIdBytes);
        if (frameworkEndpointOrRefuse(frameworkId, sessionId, AcknowledgeDecoder.TEMPLATE_ID) != null)
        {
            duties.statuses().onAcknowledge(frameworkId, taskIdBytes, msb, lsb, nowNs);
        }
    }

    @Override
    public void onTeardown(final TeardownDecoder m, final int sessionId)
    {
        final String endpoint = frameworkEndpointOrRefuse(m.frameworkId(), sessionId, TeardownDecoder.TEMPLATE_ID);
        if (endpoint != null)
        {
            act(state.frameworkControl().remove(m.frameworkId(), clock.time(), records), endpoint,
                TeardownDecoder.TEMPLATE_ID, () -> { });
        }
    }

    @Override
    public void onSuppress(final SuppressDecoder m, final int sessionId)
    {
        final long frameworkId = m.frameworkId();
        final boolean suppress = m.suppress() != 0;
        final String roles = m.roles();
        final String endpoint = frameworkEndpointOrRefuse(frameworkId, sessionId, SuppressDecoder.TEMPLATE_ID);
        if (endpoint != null)
        {
            duties.onSuppress(frameworkId, suppress, roles, endpoint, nowNs);
        }
    }

    @Override
    public void onReconcile(final ReconcileDecoder m, final int sessionId)
    {
        final long frameworkId = m.frameworkId();
        final List<String> taskIds = new ArrayList<>();
        for (final ReconcileDecoder.TasksDecoder t : m.tasks())
        {
            taskIds.add(t.taskId());
        }
        if (frameworkEndpointOrRefuse(frameworkId, sessionId, ReconcileDecoder.TEMPLATE_ID) != null)
        {
            duties.onReconcile(frameworkId, taskIds, nowNs);
        }
    }

    @Override
    public void onBadFrame(final int sessionId, final int templateId, final String problem)
    {
        final String replyTo = endpointBySession.get(sessionId);
        metrics.badFrames.inc();
        if (badFrameLog.allow(nowNs))
        {
            LOG.warn("master {}: bad frame from session {} ({}): {}{}", masterId, sessionId,
                replyTo == null ? "sender unknown, no reply possible" : replyTo, problem, badFrameLog.leftOut());
        }
        error(replyTo, MasterInbound.isKnownTemplate(templateId) ? ErrorCode.MALFORMED : ErrorCode.UNKNOWN_MESSAGE,
            Math.max(0, templateId), "bad frame: " + problem);
    }
}
