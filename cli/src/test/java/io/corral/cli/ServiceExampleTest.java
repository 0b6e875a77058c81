package io.corral.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.corral.agent.AgentNode;
import io.corral.client.CorralSchedulerDriver;
import io.corral.client.Resources;
import io.corral.examples.Service;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.corral.testkit.Await;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The service example keeps N instances running across an agent loss, spread by host, and scales. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServiceExampleTest
{
    @TempDir
    Path dir;

    @Test
    void keepsItsInstancesRunningSpreadOverHostsThroughAnAgentLossAndScales() throws Exception
    {
        final int basePort = LocalCluster.freeBasePort(3);
        try (LocalCluster cluster = new LocalCluster(dir.toFile(), 3, 3, basePort, 1, 1024, c -> c.agentTimeoutMs(1500));
            Service service = new Service("web", "sleep 600", Resources.of(0.1, 32), 3, "host", System.out))
        {
            cluster.awaitReady(60, TimeUnit.SECONDS);
            final CorralSchedulerDriver driver = service.start(cluster.mastersSpec());
            Await.until("3 instances", Duration.ofSeconds(40), () -> service.running() == 3);
            assertEquals(Map.of("agent-1", 1, "agent-2", 1, "agent-3", 1), service.spread(), "one per host");

            final AgentNode lost = cluster.agents().get(0);
            lost.close();
            cluster.agents().remove(lost);
            Await.until("the lost instance replaced", Duration.ofSeconds(40),
                () -> service.running() == 3 && !service.spread().containsKey("agent-1"));
            assertEquals(3, service.spread().values().stream().mapToInt(Integer::intValue).sum());

            final int code = Corral.commandLine().execute("service", "scale", "--control", service.controlAddress(), "1");
            assertEquals(0, code);
            Await.until("scaled to 1", Duration.ofSeconds(40), () -> service.running() == 1);
            assertEquals(0, Corral.commandLine().execute("service", "scale", "--control", service.controlAddress(), "2"));
            Await.until("scaled to 2", Duration.ofSeconds(40), () -> service.running() == 2);
            assertTrue(service.spread().values().stream().allMatch(n -> n == 1), "still spread: " + service.spread());
            driver.stop();
        }
    }
}
