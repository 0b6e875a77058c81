package io.corral.master.mesos;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.mesos.v1.Protos;
import org.apache.mesos.v1.scheduler.Protos.Event;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a stream ends: a busy leader that the driver lost for a moment is not a leader change. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SchedulerStreamTest
{
    private static final Protos.MasterInfo MASTER = Protos.MasterInfo.newBuilder().setId("m1").setIp(0).setPort(1)
        .build();

    private static SchedulerStream stream(final AtomicBoolean leading, final List<SchedulerStream> ended)
    {
        return new SchedulerStream(true, false, "p", 1, agent -> null, ended::add, leading::get);
    }

    @Test
    void aDriverThatLostTheLeaderForAMomentKeepsItsStreamWhileThisMasterLeads()
    {
        final AtomicBoolean leading = new AtomicBoolean(true);
        final SchedulerStream s = stream(leading, new ArrayList<>());
        s.disconnected(null);
        assertFalse(s.ended(), "still leading: the driver subscribes again by itself");
        leading.set(false);
        s.disconnected(null);
        assertTrue(s.ended(), "no longer leading: the client must subscribe to the new leader");
    }

    @Test
    void theWriterEndsTheStreamWhenThisMasterStopsLeadingAndHeartbeatsUntilThen() throws Exception
    {
        final AtomicBoolean leading = new AtomicBoolean(true);
        final List<SchedulerStream> ended = new java.util.concurrent.CopyOnWriteArrayList<>();
        final SchedulerStream s = stream(leading, ended);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final Thread writer = new Thread(() -> s.write(out, MASTER));
        writer.start();
        // The heartbeat interval is 1 s here: wait for SUBSCRIBED and at least one HEARTBEAT.
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (records(snapshot(out)).size() < 2)
        {
            assertTrue(System.nanoTime() < deadline, "a heartbeat within 20 s");
            Thread.sleep(50);
        }
        assertFalse(s.ended());
        leading.set(false);
        writer.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(writer.isAlive(), "the writer returns once this master no longer leads");
        assertTrue(s.ended());
        assertEquals(List.of(s), ended);
        final List<Event> events = records(out.toByteArray());
        assertEquals(Event.Type.SUBSCRIBED, events.get(0).getType());
        assertEquals(Event.Type.HEARTBEAT, events.get(1).getType());
    }

    @Test
    void aResentUpdateReachesTheClientAgainOnlyAfterTheRedeliveryInterval() throws Exception
    {
        final AtomicBoolean leading = new AtomicBoolean(true);
        final SchedulerStream s = stream(leading, new ArrayList<>());
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final Thread writer = new Thread(() -> s.write(out, MASTER));
        writer.start();
        final io.corral.client.TaskStatus running = new io.corral.client.TaskStatus("t", 3,
            io.corral.client.TaskState.RUNNING, 0, "", 1_000, 11, 12);
        s.statusUpdate(null, running);
        s.statusUpdate(null, running); // the agent's resend, 1 s later: not passed on yet
        s.statusUpdate(null, new io.corral.client.TaskStatus("t", 3, io.corral.client.TaskState.FINISHED, 0, "",
            2_000, 13, 14));
        s.statusUpdate(null, new io.corral.client.TaskStatus("t", 3, io.corral.client.TaskState.FINISHED, 0, "",
            2_000, 0, 0)); // a reconciliation answer: always
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (records(snapshot(out)).stream().filter(e -> e.getType() == Event.Type.UPDATE).count() < 3)
        {
            assertTrue(System.nanoTime() < deadline, "three updates within 20 s");
            Thread.sleep(20);
        }
        leading.set(false);
        writer.join(TimeUnit.SECONDS.toMillis(20));
        final List<Protos.TaskState> states = records(out.toByteArray()).stream()
            .filter(e -> e.getType() == Event.Type.UPDATE).map(e -> e.getUpdate().getStatus().getState()).toList();
        assertEquals(List.of(Protos.TaskState.TASK_RUNNING, Protos.TaskState.TASK_FINISHED,
            Protos.TaskState.TASK_FINISHED), states);
    }

    private static byte[] snapshot(final ByteArrayOutputStream out)
    {
        return out.toByteArray();
    }

    /** RecordIO: {@code <length>\n<bytes>}, as many whole records as the bytes hold. */
    private static List<Event> records(final byte[] bytes) throws IOException
    {
        final List<Event> events = new ArrayList<>();
        final InputStream in = new ByteArrayInputStream(bytes);
        while (true)
        {
            final StringBuilder length = new StringBuilder();
            int c;
            while ((c = in.read()) != '\n')
            {
                if (c < 0)
                {
                    return events;
                }
                length.append((char)c);
            }
            final byte[] record = in.readNBytes(Integer.parseInt(length.toString()));
            if (record.length < Integer.parseInt(length.toString()))
            {
                return events;
            }
            events.add(Event.parseFrom(record));
        }
    }
}
