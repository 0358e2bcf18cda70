package dev.memdec.converter.gguf;

import java.io.IOException;

/** A GGUF file that violates the format or llama.cpp's loading rules; the message says where and why. */
public final class GgufFormatException extends IOException {

    private final String file;
    private final long offset;
    private final String field;

    /**
     * @param file the file (or in-memory buffer) name
     * @param offset the byte offset of the offending field from the start of the file
     * @param field what was being read, e.g. "tensor 'blk.0.ffn_up.weight' ne[1]"
     * @param problem what is wrong and what was expected
     */
    public GgufFormatException(String file, long offset, String field, String problem) {
        super(file + ": at byte " + offset + ", " + field + ": " + problem);
        this.file = file;
        this.offset = offset;
        this.field = field;
    }

    public String file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    public String field() {
        return field;
    }
}
