package io.corral.chaos;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short chaos run of the normal build: three master processes, two agent processes, a
 * workload, and a few faults (two leader kills, a leader pause, an agent restart). The long run
 * (chaos/run.sh --masters 5 --kills 100) is for people; its figures are in chaos/README.md.
 */
class ShortChaosTest
{
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void invariantsHoldThroughLeaderKillsPausesAndAnAgentRestart() throws Exception
    {
        final ChaosRun.Result result = ChaosRun.run("--masters", "3", "--agents", "2", "--kills", "4", "--seed", "11",
            "--mix", "leader-kill=1", "--interval-ms", "2000", "--master-jvm", "test", "--port", String.valueOf(io.corral.cli.LocalCluster.freeBasePort(3)));
        System.out.println(result.summary());
        assertTrue(result.ok(), () -> String.join("\n", result.violations()));
        assertEquals(4, result.faults().get("leader-kill"));
        assertEquals(4, result.election().getTotalCount(), "every kill was followed by a new leader");
        assertTrue(result.tasks() > 20, "the workload kept launching: " + result.tasks());

        final ChaosRun.Result mixed = ChaosRun.run("--masters", "3", "--agents", "2", "--kills", "2", "--seed", "3",
            "--mix", "leader-pause=1,agent-restart=1", "--interval-ms", "2000", "--master-jvm", "test", "--port", String.valueOf(io.corral.cli.LocalCluster.freeBasePort(3)));
        System.out.println(mixed.summary());
        assertTrue(mixed.ok(), () -> String.join("\n", mixed.violations()));
        assertEquals(1, mixed.faults().get("leader-pause"), "seed 3 pauses the leader once");
        assertEquals(1, mixed.faults().get("agent-restart"), "and restarts an agent once");
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void invariantsHoldThroughLeaderKillsWithSimulatedAgentsBesideTheRealOnes() throws Exception
    {
        final ChaosRun run = new ChaosRun();
        new picocli.CommandLine(run).parseArgs("--masters", "3", "--agents", "1", "--sim-agents", "500", "--kills", "2",
            "--seed", "5", "--mix", "leader-kill=1", "--interval-ms", "3000", "--master-jvm", "test", "--port",
            String.valueOf(io.corral.cli.LocalCluster.freeBasePort(3)));
        final ChaosRun.Result result = run.run();
        System.out.println(result.summary());
        assertTrue(result.ok(), () -> String.join("\n", result.violations()));
        assertEquals(2, result.election().getTotalCount(), "every kill was followed by a new leader");
        assertTrue(run.sims.runTasks.get() > 0,
            "the workload's tasks ran on simulated agents too: " + run.sims.runTasks.get());
    }
}
