package dev.memdec.converter.cli;

import java.util.concurrent.Callable;

/**
 * A top-level {@code ./memdec} subcommand. Implementations are picocli {@code @Command} classes and are
 * listed in {@code META-INF/services/dev.memdec.converter.cli.MemdecCommand} of the module that owns them,
 * so the launcher finds the trainer's commands when the trainer is on the classpath and not otherwise.
 *
 * <p>Implementations report failures by throwing: an {@link IllegalArgumentException} for bad input
 * (flag values, files of the wrong kind) or any other exception for failures; the launcher prints one
 * line naming the problem and exits non-zero.
 */
public interface MemdecCommand extends Callable<Integer> {
}
