package io.corral.master;

import io.corral.codec.sbe.ErrorCode;

/**
 * What a Control's command decided: propose the record it wrote into the {@link RecordWriter}
 * (its last record, {@link RecordWriter#length} bytes), nothing to replicate (the request repeats
 * what the state already holds: acknowledge it), or refused, with a code and a reason the sender
 * can act on. The two outcomes without a reason are constants, so deciding allocates nothing.
 */
record Result(Kind kind, ErrorCode code, String reason)
{
    enum Kind
    {
        PROPOSE, UNCHANGED, REFUSED
    }

    static final Result UNCHANGED = new Result(Kind.UNCHANGED, null, null);
    private static final Result PROPOSE = new Result(Kind.PROPOSE, null, null);

    /** Propose the record just written ({@code length}: what the writer returned; it keeps it too). */
    static Result propose(final int length)
    {
        return PROPOSE;
    }

    static Result refused(final ErrorCode code, final String reason)
    {
        return new Result(Kind.REFUSED, code, reason);
    }

    boolean proposes()
    {
        return kind == Kind.PROPOSE;
    }

    boolean refused()
    {
        return kind == Kind.REFUSED;
    }
}
