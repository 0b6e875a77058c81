package io.corral.master;

import org.agrona.ExpandableArrayBuffer;

/** Proposes encoded records to the Raft log (the master's Raft client; a fake log in tests). */
interface RecordProposer
{
    /**
     * Proposes the first {@code length} bytes of {@code buffer} as one record; if Raft refuses it
     * (this node stepped down, say), {@code onFailure} (may be null) runs on the duty thread, while
     * this node still has the same duties.
     */
    void propose(ExpandableArrayBuffer buffer, int length, Runnable onFailure);

    /** True while the log takes records more slowly than they come: admit no more work for now. */
    default boolean backlogged()
    {
        return false;
    }
}
