package dev.memdec.plugin.cli;

import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.plugin.HostModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

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

    /** Options whose values are model files llama.cpp will load ({@code serve}'s memories come as NAME=FILE). */
    private static final List<String> MODEL_OPTIONS = List.of("--host", "--memory", "--ref", "--test");

    /** The model files the command line names, in the order of {@link #MODEL_OPTIONS}. */
    static List<Path> modelFiles(ParseResult parseResult) {
        ParseResult command = parseResult;
        while (command.hasSubcommand()) {
            command = command.subcommand();
        }
        List<Path> files = new ArrayList<>();
        for (String name : MODEL_OPTIONS) {
            Object value = command.matchedOptionValue(name, null);
            if (value instanceof Path path) {
                files.add(path);
            } else if (value instanceof List<?> specs) {
                try {
                    files.addAll(ServeCommand.memoryFiles(specs.stream().map(String::valueOf).toList()).values());
                } catch (IllegalArgumentException e) {
                    // a malformed spec: the command itself refuses it
                }
            }
        }
        return files;
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
        // Only here, not in commandLine(): a file that only llama.cpp v0.5.0 runs chooses it for this process when
        // nothing else did. Tests run many commands in one JVM, whose build must not change under them.
        cl.setExecutionStrategy(parseResult -> {
            try {
                HostModel.chooseRuntimeFor(modelFiles(parseResult)).ifPresent(line -> {
                    cl.getErr().println("memdec: " + line);
                    cl.getErr().flush();
                });
            } catch (IllegalArgumentException e) {
                // a malformed MEMDEC_GPU_BACKEND or the like: the command itself reports it in one line
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        int code = cl.execute(args);
        cl.getOut().flush();
        // java-llama.cpp leaves a non-daemon native worker thread behind, so return explicitly.
        System.exit(code);
    }
}
