package io.corral.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.corral.agent.AgentNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.Resources;
import io.corral.examples.Service;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The service example keeps N instances running across an agent loss, spread by host, and scales. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServiceExampleTest
{
    @TempDir
    Path dir;

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void keepsItsInstancesRunningSpreadOverHostsThroughAnAgentLossAndScales() throws Exception
    {
        final int basePort = LocalCluster.freeBasePort(3);
        try (LocalCluster cluster = new LocalCluster(dir.toFile(), 3, 3, basePort, 1, 1024, c -> c.agentTimeoutMs(1500));
            Service service = new Service("web", "sleep 600", Resources.of(0.1, 32), 3, "host", System.out))
        {
            cluster.awaitReady(60, TimeUnit.SECONDS);
            final CorralSchedulerDriver driver = service.start(cluster.mastersSpec());
            await("3 instances", () -> service.running() == 3);
            assertEquals(Map.of("agent-1", 1, "agent-2", 1, "agent-3", 1), service.spread(), "one per host");

            final AgentNode lost = cluster.agents().get(0);
            lost.close();
            cluster.agents().remove(lost);
            await("the lost instance replaced", () -> service.running() == 3 && !service.spread().containsKey("agent-1"));
            assertEquals(3, service.spread().values().stream().mapToInt(Integer::intValue).sum());

            final int code = Corral.commandLine().execute("service", "scale", "--control", service.controlAddress(), "1");
            assertEquals(0, code);
            await("scaled to 1", () -> service.running() == 1);
            assertEquals(0, Corral.commandLine().execute("service", "scale", "--control", service.controlAddress(), "2"));
            await("scaled to 2", () -> service.running() == 2);
            assertTrue(service.spread().values().stream().allMatch(n -> n == 1), "still spread: " + service.spread());
            driver.stop();
        }
    }
}
