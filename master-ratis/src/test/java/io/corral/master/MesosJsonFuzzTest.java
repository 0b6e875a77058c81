package io.corral.master;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.corral.master.mesos.MesosJson;
import io.corral.master.mesos.MesosMapping;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.apache.mesos.v1.Protos;
import org.apache.mesos.v1.scheduler.Protos.Call;
import org.apache.mesos.v1.scheduler.Protos.Event;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mesos's JSON as the gateway prints and parses it: any message of Mesos's scheduler and
 * operator protos survives print then parse unchanged; edited or random bodies are parsed or
 * refused with an IllegalArgumentException that says why (the gateway answers 400 with it), never
 * anything else; and so are the TaskInfos made from them.
 */
class MesosJsonFuzzTest
{
    private static final List<Message> TYPES = List.of(Call.getDefaultInstance(), Event.getDefaultInstance(),
        Protos.TaskInfo.getDefaultInstance(), org.apache.mesos.v1.master.Protos.Response.getDefaultInstance(),
        org.apache.mesos.v1.master.Protos.Call.getDefaultInstance());
    private static final List<byte[]> BODIES = List.of(
        utf8("{\"type\": \"SUBSCRIBE\", \"subscribe\": {\"framework_info\": {\"user\": \"u\", \"name\": \"n\", " +
            "\"roles\": [\"*\", \"a\"], \"capabilities\": [{\"type\": \"MULTI_ROLE\"}], \"failover_timeout\": 60}}}"),
        utf8("{\"framework_id\": {\"value\": \"7\"}, \"type\": \"ACCEPT\", \"accept\": {\"offer_ids\": [{\"value\": " +
            "\"12\"}], \"operations\": [{\"type\": \"LAUNCH\", \"launch\": {\"task_infos\": [{\"name\": \"t\", " +
            "\"task_id\": {\"value\": \"t\"}, \"agent_id\": {\"value\": \"3\"}, \"resources\": [{\"name\": \"cpus\", " +
            "\"type\": \"SCALAR\", \"scalar\": {\"value\": 0.5}, \"role\": \"*\"}], \"command\": {\"shell\": false, " +
            "\"value\": \"/bin/echo\", \"arguments\": [\"echo\", \"hi\"], \"environment\": {\"variables\": " +
            "[{\"name\": \"A\", \"value\": \"b\"}]}}, \"kill_policy\": {\"grace_period\": {\"nanoseconds\": " +
            "3000000000}}}]}}]}}"),
        utf8("{\"framework_id\": {\"value\": \"7\"}, \"type\": \"ACKNOWLEDGE\", \"acknowledge\": {\"agent_id\": " +
            "{\"value\": \"3\"}, \"task_id\": {\"value\": \"t\"}, \"uuid\": \"AAECAwQFBgcICQoLDA0ODw==\"}}"),
        utf8("{\"framework_id\": {\"value\": \"7\"}, \"type\": \"DECLINE\", \"decline\": {\"offer_ids\": " +
            "[{\"value\": \"12\"}], \"filters\": {\"refuse_seconds\": 3600}}}"));

    private static byte[] utf8(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Provide
    Arbitrary<FrameMutation> mutations()
    {
        return FrameMutation.arbitrary();
    }

    @Test
    void printsAsMesosDoes()
    {
        final Protos.TaskStatus status = Protos.TaskStatus.newBuilder()
            .setTaskId(Protos.TaskID.newBuilder().setValue("t")).setState(Protos.TaskState.TASK_RUNNING)
            .setUuid(ByteString.copyFrom(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 }))
            .setTimestamp(1.5).setSource(Protos.TaskStatus.Source.SOURCE_EXECUTOR)
            .setContainerStatus(Protos.ContainerStatus.newBuilder().setExecutorPid((int)4_000_000_000L)).build();
        assertEquals("{\"task_id\":{\"value\":\"t\"},\"state\":\"TASK_RUNNING\",\"timestamp\":1.5," +
            "\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"AAECAwQFBgcICQoLDA0ODw==\",\"container_status\":" +
            "{\"executor_pid\":4000000000}}", MesosJson.print(status));
        // 64-bit integers are numbers, not strings (protobuf's own JsonFormat quotes them).
        final String grace = MesosJson.print(Protos.KillPolicy.newBuilder().setGracePeriod(Protos.DurationInfo
            .newBuilder().setNanoseconds(9_000_000_000_000L)).build());
        assertEquals("{\"grace_period\":{\"nanoseconds\":9000000000000}}", grace);
        assertEquals(Protos.KillPolicy.newBuilder().setGracePeriod(Protos.DurationInfo.newBuilder()
            .setNanoseconds(9_000_000_000_000L)).build(), MesosJson.parse("{\"grace_period\": {\"nanoseconds\": " +
            "\"9000000000000\"}}", Protos.KillPolicy.newBuilder()).build(), "a quoted int64 is read too");
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void anyMessagePrintsAndParsesBackTheSame(@ForAll final long seed)
    {
        final Random random = new Random(seed);
        final Message type = TYPES.get(random.nextInt(TYPES.size()));
        final Message m = fill(type.newBuilderForType(), random, 0).buildPartial();
        final String json = MesosJson.print(m);
        final Message back = MesosJson.parse(json, type.newBuilderForType()).buildPartial();
        assertEquals(m, back, json);
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void editedCallsParseOrSayWhyAndTheirTasksMapOrSayWhy(@ForAll("mutations") final FrameMutation mutation)
    {
        final byte[] input = mutation.apply(BODIES);
        try
        {
            final Call call = MesosJson.parse(new String(input, StandardCharsets.UTF_8), Call.newBuilder())
                .buildPartial();
            for (final Protos.Offer.Operation op : call.getAccept().getOperationsList())
            {
                for (final Protos.TaskInfo t : op.getLaunch().getTaskInfosList())
                {
                    try
                    {
                        final io.corral.client.TaskSpec spec = MesosMapping.task(t);
                        assertTrue(spec.resources().cpusMilli() >= 0 && spec.resources().memMiB() >= 0, spec.toString());
                    }
                    catch (final IllegalArgumentException ex)
                    {
                        assertNotNull(ex.getMessage(), "a refused task without a reason");
                    }
                }
            }
            if (call.hasAcknowledge() && call.getAcknowledge().hasUuid())
            {
                try
                {
                    MesosMapping.uuid(call.getAcknowledge().getUuid());
                }
                catch (final IllegalArgumentException ex)
                {
                    assertNotNull(ex.getMessage());
                }
            }
        }
        catch (final IllegalArgumentException ex)
        {
            assertNotNull(ex.getMessage(), "a refusal without a reason");
        }
        catch (final Throwable t)
        {
            fail("parsing threw " + t + " on " + new String(input, StandardCharsets.UTF_8), t);
        }
    }

    /** Sets random fields of {@code b} (nested messages to depth 3), as any sender could. */
    private static Message.Builder fill(final Message.Builder b, final Random random, final int depth)
    {
        for (final FieldDescriptor f : b.getDescriptorForType().getFields())
        {
            if (random.nextInt(3) != 0 || (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth >= 3))
            {
                continue;
            }
            if (f.getContainingOneof() != null && b.hasOneof(f.getContainingOneof()))
            {
                continue;
            }
            final int count = f.isRepeated() ? random.nextInt(3) : 1;
            for (int i = 0; i < count; i++)
            {
                final Object v = value(f, b, random, depth);
                if (f.isRepeated())
                {
                    b.addRepeatedField(f, v);
                }
                else
                {
                    b.setField(f, v);
                }
            }
        }
        return b;
    }

    private static Object value(final FieldDescriptor f, final Message.Builder parent, final Random random,
        final int depth)
    {
        return switch (f.getJavaType())
        {
            case MESSAGE -> fill(parent.newBuilderForField(f), random, depth + 1).buildPartial();
            case ENUM -> f.getEnumType().getValues().get(random.nextInt(f.getEnumType().getValues().size()));
            case BYTE_STRING ->
            {
                final byte[] bytes = new byte[random.nextInt(20)];
                random.nextBytes(bytes);
                yield ByteString.copyFrom(bytes);
            }
            case STRING -> random.nextBoolean() ? "v" + random.nextInt(1000) : "ünï\"\\\n\u0001" + random.nextInt();
            case BOOLEAN -> random.nextBoolean();
            case INT -> random.nextInt();
            case LONG -> f.getType() == FieldDescriptor.Type.UINT64 || f.getType() == FieldDescriptor.Type.FIXED64 ?
                random.nextLong() >>> 1 : random.nextLong();
            case FLOAT -> random.nextFloat() * 1000;
            case DOUBLE -> random.nextDouble() * 1e6;
        };
    }
}
