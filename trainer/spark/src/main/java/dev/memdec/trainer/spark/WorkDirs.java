package dev.memdec.trainer.spark;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The stages' work directories: every task attempt writes its partition under a name of its own, and only a
 * finished attempt is renamed, atomically, to the partition's name, which is then its completion marker. A failed
 * or killed attempt leaves only its own attempt file behind, which is never read; a second attempt that finishes
 * after the first (speculation) is dropped.
 */
final class WorkDirs {

    private WorkDirs() {
    }

    /** The attempt name of {@code done} for Spark task attempt {@code taskAttemptId}. */
    static Path attempt(Path done, long taskAttemptId) {
        return done.resolveSibling(done.getFileName() + ".attempt-" + taskAttemptId);
    }

    /** Renames a finished attempt to its partition name, or drops it if another attempt got there first. */
    static void publish(Path attempt, Path done) throws IOException {
        try {
            Files.move(attempt, done, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            deleteTree(attempt);
        }
        if (Files.exists(attempt)) {   // some filesystems report a clash on a directory by renaming into it
            deleteTree(attempt);
        }
    }

    /** Deletes a file or a directory tree; nothing when it does not exist. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
