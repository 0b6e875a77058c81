package io.corral.benchmarks;

import java.util.concurrent.TimeUnit;

import io.corral.codec.Credentials;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.SessionCipher;
import io.corral.codec.sbe.ChallengeDecoder;
import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.OfferDecoder;
import io.corral.codec.sbe.SealedDecoder;
import io.corral.codec.sbe.TaskState;
import io.corral.master.InProcessLeader;
import io.corral.master.MasterConfig;
import io.corral.master.Peers;
import org.agrona.DirectBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A leading master's message handling in one JVM, without network: decoded frames are handed to
 * the same inbound adapter, endpoint and leader duties a master runs on its duty thread;
 * proposals are committed in memory through the same apply code; replies go to a counting sink.
 * Throughput is per message (one thread: per core); run with {@code -prof gc} for B/op. Each
 * teardown checks that the messages did what they should (replies sent, updates forwarded,
 * tasks launched), so a fast wrong path cannot pass.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-XX:+UseParallelGC",
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED" })
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MasterBenchmark
{
    private static final String AGENT = "127.0.0.1:40001";
    private static final String FRAMEWORK = "127.0.0.1:40002";

    /** Counts what the leader sends, by template; remembers the last offer id. */
    static final class Sink implements Peers
    {
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final OfferDecoder offer = new OfferDecoder();
        final long[] byTemplate = new long[64];
        long lastOfferId;

        private final SealedDecoder sealed = new SealedDecoder();
        private final ChallengeDecoder challenge = new ChallengeDecoder();
        private final org.agrona.concurrent.UnsafeBuffer inner = new org.agrona.concurrent.UnsafeBuffer(0, 0);
        long challengeSession;
        final byte[] serverNonce = new byte[16];

        @Override
        public void send(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
        {
            header.wrap(buffer, 0);
            if (header.templateId() == SealedDecoder.TEMPLATE_ID)
            {
                // What the master sealed: counted by what it carries (the client's MAC check is not the master's cost).
                sealed.wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
                sealed.wrapFrame(inner);
                count(inner);
                return;
            }
            count(buffer);
        }

        private void count(final DirectBuffer buffer)
        {
            header.wrap(buffer, 0);
            final int template = header.templateId();
            byTemplate[template]++;
            if (template == OfferDecoder.TEMPLATE_ID)
            {
                lastOfferId = offer.wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
                    header.version()).offerId();
            }
            else if (template == ChallengeDecoder.TEMPLATE_ID)
            {
                challenge.wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
                challengeSession = challenge.session();
                challenge.getServerNonce(serverNonce, 0, 16);
            }
        }
    }

    /** An agent's or a framework's end: its endpoint, Aeron session and, once authenticated, its session cipher. */
    static final class ClientEnd
    {
        final String endpoint;
        final int aeronSession;
        final String principal;
        final org.agrona.ExpandableArrayBuffer sealed = new org.agrona.ExpandableArrayBuffer(512);
        SessionCipher cipher;

        ClientEnd(final String endpoint, final int aeronSession, final String principal)
        {
            this.endpoint = endpoint;
            this.aeronSession = aeronSession;
            this.principal = principal;
        }
    }

    /** A client's part of a sealed heartbeat alone: its sequence number and MAC (what an op above includes). */
    @State(Scope.Thread)
    public static class Sealer
    {
        final SessionCipher cipher = SessionCipher.client(1, new byte[32]);
        final org.agrona.concurrent.UnsafeBuffer heartbeat = new org.agrona.concurrent.UnsafeBuffer(new byte[24]);
        final org.agrona.ExpandableArrayBuffer sealed = new org.agrona.ExpandableArrayBuffer(512);
    }

    @Benchmark
    public int sealOnly(final Sealer s)
    {
        return s.cipher.seal(s.heartbeat, 0, s.heartbeat.capacity(), s.sealed);
    }

    /**
     * A leader with one agent (4 cpus), one framework, and one RUNNING task on it; a fresh one for
     * each iteration (the state keeps every finished task, so launchLifecycle grows it by one per
     * op: a trial-long state of millions of tasks would measure the garbage collector).
     */
    @State(Scope.Thread)
    public static class Leader
    {
        /**
         * true: the master has credentials, and the agent and the framework authenticate first, so
         * every frame reaches it sealed (its MAC checked, its sequence number compared) and every
         * reply leaves sealed. The frames are sealed in the op, so an op also pays the client's
         * MAC (see {@link MasterBenchmark#sealOnly} for that part alone).
         */
        @Param({ "false", "true" })
        boolean authenticated;

        final Sink sink = new Sink();
        final ClientEnd agentEnd = new ClientEnd(AGENT, 1, "agents");
        final ClientEnd frameworkEnd = new ClientEnd(FRAMEWORK, 2, "bench");
        Credentials credentials;
        final Outbound out = new Outbound();
        final org.agrona.concurrent.UnsafeBuffer frame = new org.agrona.concurrent.UnsafeBuffer(0, 0);
        InProcessLeader leader;
        long agentId;
        long frameworkId;
        long nowNs = 1_000_000_000_000L;
        long uuid;
        long launchesBefore;
        long seq;
        int heartbeatLength;
        int subscribeLength;
        byte[] heartbeat;
        byte[] subscribe;

        @Setup(Level.Iteration)
        public void build()
        {
            java.util.Arrays.fill(sink.byTemplate, 0);
            uuid = 0;
            seq = 0;
            cycles = 0;
            heartbeat = null;
            leader = new InProcessLeader(1, new MasterConfig().id(1).peers("1=127.0.0.1:40000")
                .agentTimeoutMs(3_600_000).frameworkTimeoutMs(3_600_000).offerTimeoutMs(0),
                authenticated ? credentials() : null, sink, nowNs);
            agentEnd.cipher = null;
            frameworkEnd.cipher = null;
            if (authenticated)
            {
                hello(agentEnd);
                hello(frameworkEnd);
            }
            Protocol.putResources(out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(0)
                .resources(), new long[] { 4000, 4096, 0, 0 });
            out.registerAgent.hostname("bench").endpoint(AGENT).attributes("").httpEndpoint("").customResources("")
                .tasks("").agentSecret("bench-agent-secret");
            send(agentEnd, out.buffer, Outbound.length(out.registerAgent.encodedLength()));
            cycle();
            out.subscribe.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(0).failoverTimeoutMs(0)
                .name("bench").role("default").endpoint(FRAMEWORK)
                .principal(authenticated ? frameworkEnd.principal : "");
            send(frameworkEnd, out.buffer, Outbound.length(out.subscribe.encodedLength()));
            cycle();
            cycle();
            agentId = leader.agentIds()[0];
            frameworkId = leader.frameworkIds()[0];
            accept("running");
            cycle();
            status("running", TaskState.RUNNING);
            cycle();
            heartbeatLength = encodeHeartbeat();
            heartbeat = copy(heartbeatLength);
            out.subscribe.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).failoverTimeoutMs(0)
                .name("bench").role("default").endpoint(FRAMEWORK)
                .principal(authenticated ? frameworkEnd.principal : "");
            subscribeLength = Outbound.length(out.subscribe.encodedLength());
            subscribe = copy(subscribeLength);
            launchesBefore = sink.byTemplate[io.corral.codec.sbe.RunTaskDecoder.TEMPLATE_ID];
            encodeRunningFrames();
        }

        /** A credentials file with the two principals, in a temporary directory removed at exit. */
        private Credentials credentials()
        {
            if (credentials == null)
            {
                try
                {
                    final java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("corral-bench");
                    final java.nio.file.Path file = dir.resolve("credentials");
                    Credentials.add(file, agentEnd.principal);
                    Credentials.add(file, frameworkEnd.principal);
                    credentials = Credentials.load(file);
                    java.nio.file.Files.delete(file);
                    java.nio.file.Files.delete(dir);
                }
                catch (final java.io.IOException ex)
                {
                    throw new java.io.UncheckedIOException(ex);
                }
            }
            return credentials;
        }

        /** The handshake a client does: Hello, the master's Challenge, both derive the session key. */
        private void hello(final ClientEnd c)
        {
            final byte[] clientNonce = new byte[16];
            clientNonce[0] = (byte) c.aeronSession;
            final io.corral.codec.sbe.HelloEncoder hello = new io.corral.codec.sbe.HelloEncoder();
            hello.wrapAndApplyHeader(out.buffer, 0, out.header).putClientNonce(clientNonce, 0, 16)
                .principal(c.principal).endpoint(c.endpoint);
            sink.challengeSession = 0;
            leader.onFrame(out.buffer, 0, Outbound.length(hello.encodedLength()), c.aeronSession);
            if (sink.challengeSession == 0)
            {
                throw new IllegalStateException("the master did not answer the Hello of " + c.principal);
            }
            c.cipher = SessionCipher.client(sink.challengeSession, SessionCipher.sessionKey(
                credentials.secretOf(c.principal), c.principal, c.endpoint, clientNonce, sink.serverNonce));
        }

        /** Hands a frame to the leader as {@code c} sends it: sealed in its session if it has one. */
        void send(final ClientEnd c, final DirectBuffer buffer, final int length)
        {
            if (c.cipher == null)
            {
                leader.onFrame(buffer, 0, length, c.aeronSession);
                return;
            }
            final int sealedLength = c.cipher.seal(buffer, 0, length, c.sealed);
            leader.onFrame(c.sealed, 0, sealedLength, c.aeronSession);
        }

        private int encodeHeartbeat()
        {
            out.heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId);
            return Outbound.length(out.heartbeat.encodedLength());
        }

        private byte[] copy(final int length)
        {
            final byte[] bytes = new byte[length];
            out.buffer.getBytes(0, bytes);
            return bytes;
        }

        long cycles;

        /**
         * One duty cycle, 1 ms later; the agent and the framework heartbeat every 500 cycles (half
         * a second), as they would, so neither is ever timed out however long the benchmark runs.
         */
        void cycle()
        {
            nowNs += 1_000_000;
            if (heartbeat != null && ++cycles % 500 == 0)
            {
                frame.wrap(heartbeat);
                send(agentEnd, frame, heartbeatLength);
                frame.wrap(subscribe);
                send(frameworkEnd, frame, subscribeLength);
            }
            leader.cycle(nowNs);
            leader.commit();
        }

        void accept(final String taskId)
        {
            out.accept.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).offerId(sink.lastOfferId);
            out.accept.moreOffersCount(0);
            final io.corral.codec.sbe.AcceptEncoder.TasksEncoder tasks = out.accept.tasksCount(1);
            Protocol.putResources(tasks.next().resources(), new long[] { 100, 64, 0, 0 });
            tasks.options().killGraceMs(0).healthIntervalMs(0).healthTimeoutMs(0).healthMaxFailures(0);
            tasks.taskId(taskId).command("true").env("").healthCommand("").customResources("");
            send(frameworkEnd, out.buffer, Outbound.length(out.accept.encodedLength()));
        }

        void status(final String taskId, final TaskState state)
        {
            uuid++;
            out.statusUpdate.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId).frameworkId(frameworkId)
                .uuidMsb(uuid).uuidLsb(uuid).state(state).exitCode(0).timestampMs(1).taskId(taskId).message("");
            send(agentEnd, out.buffer, Outbound.length(out.statusUpdate.encodedLength()));
        }

        @TearDown(Level.Iteration)
        public void check()
        {
            final long launched = sink.byTemplate[io.corral.codec.sbe.RunTaskDecoder.TEMPLATE_ID] - launchesBefore;
            if (seq > 0 && launched < seq)
            {
                throw new IllegalStateException("only " + launched + " of " + seq + " launches reached the agent");
            }
            if (sink.byTemplate[io.corral.codec.sbe.ErrorReplyDecoder.TEMPLATE_ID] > 0)
            {
                throw new IllegalStateException(sink.byTemplate[io.corral.codec.sbe.ErrorReplyDecoder.TEMPLATE_ID] +
                    " requests were refused: the benchmark did not do what it says");
            }
            if (sink.byTemplate[io.corral.codec.sbe.TaskStatusDecoder.TEMPLATE_ID] < uuid)
            {
                throw new IllegalStateException("status updates were not forwarded");
            }
        }

        /** Frames of the running task encoded once, so the benchmark itself allocates nothing per op. */
        final org.agrona.concurrent.UnsafeBuffer runningUpdate = new org.agrona.concurrent.UnsafeBuffer(new byte[256]);
        final org.agrona.concurrent.UnsafeBuffer runningAck = new org.agrona.concurrent.UnsafeBuffer(new byte[256]);
        final io.corral.codec.sbe.StatusUpdateEncoder updateUuid = new io.corral.codec.sbe.StatusUpdateEncoder();
        int runningUpdateLength;
        int runningAckLength;

        void encodeRunningFrames()
        {
            updateUuid.wrapAndApplyHeader(runningUpdate, 0, out.header).agentId(agentId).frameworkId(frameworkId)
                .uuidMsb(uuid).uuidLsb(uuid).state(TaskState.RUNNING).exitCode(0).timestampMs(1).taskId("running")
                .message("");
            runningUpdateLength = Outbound.length(updateUuid.encodedLength());
            out.acknowledge.wrapAndApplyHeader(runningAck, 0, out.header).frameworkId(frameworkId).uuidMsb(uuid)
                .uuidLsb(uuid).taskId("running");
            runningAckLength = Outbound.length(out.acknowledge.encodedLength());
        }

        /** The running task's next RUNNING update (a new uuid written into the encoded frame). */
        void runningUpdate()
        {
            uuid++;
            updateUuid.wrap(runningUpdate, io.corral.codec.sbe.MessageHeaderEncoder.ENCODED_LENGTH).uuidMsb(uuid)
                .uuidLsb(uuid);
            send(agentEnd, runningUpdate, runningUpdateLength);
        }
    }

    /** An agent's heartbeat: the leader marks it alive and answers AgentRegistered. */
    @Benchmark
    public void agentHeartbeat(final Leader s)
    {
        s.frame.wrap(s.heartbeat);
        s.send(s.agentEnd, s.frame, s.heartbeatLength);
    }

    /** A framework's heartbeat (a repeated Subscribe): nothing to replicate, Subscribed answered. */
    @Benchmark
    public void frameworkHeartbeat(final Leader s)
    {
        s.frame.wrap(s.subscribe);
        s.send(s.frameworkEnd, s.frame, s.subscribeLength);
    }

    /**
     * One status update through the leader: decoded and batched, proposed in the cycle's record,
     * committed and applied, forwarded to the framework.
     */
    @Benchmark
    public void statusUpdate(final Leader s)
    {
        s.runningUpdate();
        s.cycle();
    }

    /** A framework's acknowledgement, relayed to the agent. */
    @Benchmark
    public void acknowledge(final Leader s)
    {
        s.send(s.frameworkEnd, s.runningAck, s.runningAckLength);
    }

    /**
     * A task's whole life on the leader: accept of the outstanding offer, the launch record
     * committed and RunTask sent, STARTING and FINISHED committed and forwarded, the resources
     * released and offered again (so one op includes one offer). The state keeps every finished
     * task, so it grows by one per op, as a master's does.
     */
    @Benchmark
    public void launchLifecycle(final Leader s)
    {
        final String taskId = "t" + (++s.seq);
        s.accept(taskId);
        s.cycle();
        s.status(taskId, TaskState.STARTING);
        s.status(taskId, TaskState.FINISHED);
        s.cycle();
        s.cycle();
    }
}
