package dev.memdec.plugin.cli;

import dev.memdec.converter.cli.MemdecCommand;
import java.io.PrintWriter;
import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./memdec}: collects every {@link MemdecCommand} on the classpath. */
@Command(name = "memdec", mixinStandardHelpOptions = true, version = "memdec 0.1.0",
        description = "Memory Decoders for llama.cpp: mix a small domain memory into any host model.",
        subcommandsRepeatable = false)
public final class Main implements Runnable {

    /** Exit code for a failure that is not a usage error. */
    public static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command line with every discovered subcommand; shared with tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (MemdecCommand command : ServiceLoader.load(MemdecCommand.class)) {
            cl.addSubcommand(command);
        }
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("memdec " + commandLine.getCommandName() + ": " + describe(ex));
            if (Boolean.getBoolean("memdec.debug")) {
                ex.printStackTrace(err);
            }
            err.flush();
            return EXIT_FAILURE;
        });
        return cl;
    }

    static String describe(Throwable ex) {
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            message = ex.getClass().getSimpleName();
        }
        if (ex instanceof OutOfMemoryError) {
            message = "out of memory: " + message + " (the model or data does not fit; try a smaller one or raise -Xmx)";
        }
        return message;
    }

    public static void main(String[] args) {
        CommandLine cl = commandLine();
        int code = cl.execute(args);
        cl.getOut().flush();
        // java-llama.cpp leaves a non-daemon native worker thread behind, so return explicitly.
        System.exit(code);
    }
}
