package io.corral.cli;

/** Runs the real {@code corral} command line in this JVM and captures what it prints. */
final class Cli
{
    private Cli()
    {
    }

    /** {@code corral ARGS...}: exit code, stdout, stderr. */
    static String[] run(final String... args)
    {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        final java.io.PrintStream oldOut = System.out;
        final java.io.PrintStream oldErr = System.err;
        System.setOut(new java.io.PrintStream(out, true));
        System.setErr(new java.io.PrintStream(err, true));
        try
        {
            final picocli.CommandLine cli = Corral.commandLine();
            cli.setErr(new java.io.PrintWriter(err, true));
            final int code = cli.execute(args);
            return new String[] { Integer.toString(code), out.toString(), err.toString() };
        }
        finally
        {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** As {@link #run}, with the CLI's credential read from {@code credentialFile} (as CORRAL_CREDENTIAL would). */
    static String[] runAs(final java.nio.file.Path credentialFile, final String... args)
    {
        final String before = System.getProperty("corral.credential");
        System.setProperty("corral.credential", credentialFile.toString());
        try
        {
            return run(args);
        }
        finally
        {
            if (before == null)
            {
                System.clearProperty("corral.credential");
            }
            else
            {
                System.setProperty("corral.credential", before);
            }
        }
    }
}
