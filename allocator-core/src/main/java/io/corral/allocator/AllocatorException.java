package io.corral.allocator;

/**
 * A call to the allocator was rejected: the message names the input and what was wrong.
 * The allocator's state is unchanged when this is thrown.
 */
public final class AllocatorException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    public AllocatorException(final String message)
    {
        super(message);
    }
}
