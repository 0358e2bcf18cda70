package dev.memdec.converter.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file (or a sharded checkpoint's index) that breaks the format; the message names the file and the tensor. */
public final class SafetensorsFormatException extends IOException {

    public SafetensorsFormatException(Path file, String message) {
        super(file + ": " + message);
    }

    public SafetensorsFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
    }
}
