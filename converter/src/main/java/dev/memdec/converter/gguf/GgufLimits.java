package dev.memdec.converter.gguf;

/**
 * Bounds that the reader enforces on untrusted files and the writer enforces on what it writes, so
 * that every file this project writes is one it can read back.
 */
public final class GgufLimits {

    /** GGUF versions read (llama.cpp b4916 reads 2 and 3; both share the u64 layout). Written: 3. */
    public static final int MIN_VERSION = 2;
    public static final int VERSION = 3;
    /** Tensor names must be shorter than ggml's GGML_MAX_NAME (64, including the terminator). */
    public static final int MAX_TENSOR_NAME_BYTES = 63;
    /** ggml tensors have at most 4 dimensions. */
    public static final int MAX_DIMS = 4;
    /** Keys are short dotted identifiers; anything longer is hostile. */
    public static final int MAX_KEY_BYTES = 1 << 16;
    /** String values, including chat templates (a few hundred KiB at most in practice). */
    public static final int MAX_STRING_BYTES = 1 << 24;
    /** Array elements (the largest vocabularies have about 256k tokens). */
    public static final int MAX_ARRAY_LENGTH = 1 << 24;
    /** {@code general.alignment} upper bound. */
    public static final int MAX_ALIGNMENT = 1 << 20;

    private GgufLimits() {
    }
}
