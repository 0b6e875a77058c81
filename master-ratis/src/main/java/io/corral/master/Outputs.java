package io.corral.master;

import org.agrona.concurrent.EpochClock;

/**
 * What the duty thread's parts send and propose through, and the clock they stamp records with:
 * built once per master (fakes in tests), shared by the endpoint and the leader's duties, all on
 * the duty thread.
 */
record Outputs(AgentPublisher toAgents, FrameworkPublisher toFrameworks, RecordWriter records,
    RecordProposer proposer, MasterMetrics metrics, EpochClock clock)
{
    /** Proposes the record a Control wrote, if it decided to propose one. */
    void proposeIfAny(final Result result)
    {
        if (result.proposes())
        {
            proposer.propose(records.buffer(), records.length(), null);
        }
    }
}
