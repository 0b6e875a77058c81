package io.corral.master;

import java.nio.file.Path;

import io.corral.codec.Credentials;
import io.corral.codec.Outbound;
import io.corral.codec.sbe.NotLeaderDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionsTest
{
    private static final long NOW = 1_000_000_000_000L;

    @TempDir
    Path dir;

    /**
     * A master that restarted and then won an election has no session with anyone: its "I lead"
     * to every endpoint the state names must still go, whatever answers to strangers have cost.
     * (Charged to the budget of the frame last read, the announcement reached ten endpoints and
     * dropped the rest: the framework last in the list found the new leader only after its
     * 3-second timeout, and offers came back 2.5 s after a leader kill instead of under one.)
     */
    @Test
    void aLeadersAnnouncementGoesToEveryEndpointAlsoPastTheBudgetForStrangers() throws Exception
    {
        final RecordingPeers raw = new RecordingPeers();
        final Sessions sessions = new Sessions(1, Credentials.ensure(dir.resolve("credentials"), "agents"), raw,
            new MasterMetrics(null));
        final Outbound out = new Outbound();
        final int length = out.encodeNotLeader(2, "127.0.0.1:40002");

        // Redirects answering strangers: the budget of one sender runs out.
        for (int i = 0; i < 50; i++)
        {
            sessions.send("127.0.0.1:" + (30000 + i), out.buffer, length, NOW);
        }
        final int answered = raw.sent.size();
        assertTrue(answered > 0 && answered < 50, "answers to strangers are rate-limited (" + answered + " of 50)");

        for (int i = 0; i < 200; i++)
        {
            sessions.announce("127.0.0.1:" + (40000 + i), out.buffer, length, NOW);
        }
        assertEquals(answered + 200, raw.sent.size(), "every announcement went out");
        final NotLeaderDecoder m = raw.to("127.0.0.1:40199", NotLeaderDecoder.TEMPLATE_ID).get(0)
            .decode(new NotLeaderDecoder());
        assertEquals("127.0.0.1:40002", m.leaderEndpoint());
    }
}
