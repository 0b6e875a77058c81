package io.corral.master;

/** Who leads, as the duty thread knows it (what {@link MasterEndpoint} asks before acting). */
interface Leadership
{
    /** This master's duties while it leads, else null. */
    LeaderDuties duties();

    /** The id of the master believed to lead (0: none known) and its endpoint. */
    int leaderId();

    String leaderEndpoint();
}
