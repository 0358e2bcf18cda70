package dev.memdec.plugin.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * Exit code and captured output of one in-process {@code memdec} invocation through {@link Main}'s command tree
 * (every module's commands; they print through picocli's writers, so nothing escapes to the real stdout).
 */
public record CliRun(int code, String out, String err) {

    public static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Runs the command and fails the test, showing its error output, unless it exits 0. */
    public static CliRun succeed(String... args) {
        CliRun r = run(args);
        if (r.code() != 0) {
            throw new AssertionError("memdec " + String.join(" ", args) + " exited " + r.code() + ": " + r.err());
        }
        return r;
    }
}
