package io.corral.master;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.corral.allocator.ResourceKinds;
import io.corral.codec.Credentials;
import io.corral.codec.HttpAuth;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes what the HTTP handlers parse from a request (ACL rules, a role's JSON body, the
 * Authorization header, a sandbox token) with random bytes and edited valid inputs
 * ({@link FrameMutation} over their UTF-8): each input is taken or refused with an
 * IllegalArgumentException whose message is the reason, never anything else; and no edit of a
 * genuine token authenticates anyone but its holder.
 */
class BodyFuzzTest
{
    private static final List<byte[]> RULES = utf8(Acl.DEFAULT_TEXT, """
        # a comment
        register-agents agents
        subscribe ops default,etl
        kill oncall *
        read-sandboxes oncall ops
        read-state *
        set-quotas ops
        set-acls ops
        """);
    private static final List<byte[]> ROLES = utf8("{\"weight\": 2, \"guarantee\": \"cpus:1;mem:1024\", \"limit\": \"cpus:4\"}",
        "{\"weight\": 0.5}", "{\"limit\": \"gpus:1;disk:100\"}", "{}", "[1, {\"weight\": [2]}]");
    private static final ResourceKinds KINDS = ResourceKinds.standard();
    private static final Credentials CREDENTIALS = credentials();
    private static final Credentials.Credential OPS = new Credentials.Credential("ops", CREDENTIALS.secretOf("ops"));
    private static final long NOW = 1_900_000_000L;
    private static final byte[] AGENT_SECRET = "the-agents-secret".getBytes(StandardCharsets.UTF_8);
    private static final List<byte[]> HEADERS = utf8("Bearer " + HttpAuth.token(OPS, NOW + 60),
        "Basic " + java.util.Base64.getEncoder().encodeToString(("ops:" + new String(OPS.secret(),
            StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)),
        "Bearer " + HttpAuth.sandboxToken(AGENT_SECRET, 7, "t1", "ops", NOW + 60));

    private static List<byte[]> utf8(final String... texts)
    {
        return java.util.Arrays.stream(texts).map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    private static Credentials credentials()
    {
        try
        {
            final java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("corral-fuzz");
            final java.nio.file.Path file = dir.resolve("credentials");
            Credentials.add(file, "ops");
            Credentials.add(file, "tenant");
            final Credentials c = Credentials.load(file);
            java.nio.file.Files.delete(file);
            java.nio.file.Files.delete(dir);
            return c;
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    @Provide
    Arbitrary<FrameMutation> mutations()
    {
        return FrameMutation.arbitrary();
    }

    private static void takenOrRefused(final String what, final byte[] input, final Runnable parse)
    {
        try
        {
            parse.run();
        }
        catch (final IllegalArgumentException ex)
        {
            assertNotNull(ex.getMessage(), what + ": a refusal without a reason");
        }
        catch (final Throwable t)
        {
            fail(what + " threw " + t + " on " + FrameMutation.hex(input), t);
        }
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void aclRulesParseOrSayWhy(@ForAll("mutations") final FrameMutation m)
    {
        final byte[] input = m.apply(RULES);
        takenOrRefused("Acl.parse", input, () -> Acl.parse(new String(input, StandardCharsets.UTF_8)));
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void roleBodiesParseOrSayWhy(@ForAll("mutations") final FrameMutation m)
    {
        final byte[] input = m.apply(ROLES);
        takenOrRefused("MasterHttp.parseRole", input, () ->
        {
            final MasterState.Role role = MasterHttp.parseRole("web", input, KINDS);
            assertTrue(role.weight() > 0 && !Double.isInfinite(role.weight()), "weight " + role.weight());
            for (final long g : role.guarantee())
            {
                assertTrue(g >= 0, "a negative guarantee was taken");
            }
        });
    }

    @Property(generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.OFF)
    void noEditOfATokenAuthenticatesAnyoneElse(@ForAll("mutations") final FrameMutation m)
    {
        final byte[] input = m.apply(HEADERS);
        final String header = new String(input, StandardCharsets.UTF_8);
        try
        {
            final HttpAuth.Caller caller = HttpAuth.check(CREDENTIALS, header, NOW);
            assertTrue(caller.known() != (caller.problem() != null), "exactly one of principal and problem");
            if (caller.known())
            {
                assertEquals("ops", caller.principal(), "an edited header authenticated someone else: " + header);
            }
            final HttpAuth.Caller reader = HttpAuth.checkSandbox(AGENT_SECRET, header, 7, "t1", NOW);
            assertTrue(reader.known() != (reader.problem() != null), "exactly one of reader and problem");
            if (reader.known())
            {
                assertEquals("ops", reader.principal(), "an edited sandbox token named another reader: " + header);
            }
            assertTrue(!HttpAuth.checkSandbox(AGENT_SECRET, header, 7, "t2", NOW).known(), "a token for t1 opened t2");
        }
        catch (final Throwable t)
        {
            fail("checking the header threw " + t + " on " + FrameMutation.hex(input), t);
        }
    }
}
