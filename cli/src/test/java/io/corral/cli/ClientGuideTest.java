package io.corral.cli;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The framework in client/README.md, exactly as written there: compiled against the client and
 * run as its own JVM (with the flag the guide names) against a real cluster. It must launch its
 * task, see it end, stop from inside its callback, and exit 0 by itself.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClientGuideTest
{
    @TempDir
    Path dir;

    private LocalCluster cluster;

    @AfterEach
    void stop()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    /** The first ```java block of the guide. */
    static String guideCode() throws Exception
    {
        Path readme = Path.of("client", "README.md");
        if (!Files.exists(readme))
        {
            readme = Path.of("..", "client", "README.md");
        }
        final String text = Files.readString(readme, StandardCharsets.UTF_8);
        final int start = text.indexOf("```java\n");
        assertTrue(start >= 0, "client/README.md has a java block");
        final int end = text.indexOf("```", start + 8);
        return text.substring(start + 8, end);
    }

    @Test
    void shouldCompileAndRunTheGuidesFrameworkToItsEnd() throws Exception
    {
        cluster = new LocalCluster(dir.resolve("cluster").toFile(), 3, 1, LocalCluster.freeBasePort(3), 2, 2048);
        cluster.awaitReady(60, TimeUnit.SECONDS);

        final Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("Hello.java"), guideCode());
        final Path classes = Files.createDirectories(dir.resolve("classes"));
        final String classpath = System.getProperty("java.class.path");
        final JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK compiler");
        final java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
        final int compiled = javac.run(null, null, errors, "-d", classes.toString(), "-cp", classpath,
            src.resolve("Hello.java").toString());
        assertEquals(0, compiled, "the guide's code compiles: " + errors);

        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Path output = dir.resolve("hello.out");
        final Process hello = new ProcessBuilder(java, "-Xmx128m", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", classes + File.pathSeparator + classpath, "Hello", cluster.mastersSpec())
            .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try
        {
            final boolean ended = hello.waitFor(120, TimeUnit.SECONDS);
            final String printed = Files.readString(output);
            assertTrue(ended, "the guide's framework ends by itself; it printed:\n" + printed);
            assertEquals(0, hello.exitValue(), printed);
            final List<String> lines = printed.lines().toList();
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("framework ")), printed);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("hello-1 RUNNING")), printed);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("hello-1 FINISHED")), printed);
            assertTrue(printed.length() < 10_000, "no flood of output: " + printed.length() + " chars");
        }
        finally
        {
            hello.destroyForcibly();
        }
    }
}
