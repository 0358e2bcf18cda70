package dev.memdec.converter.gguf;

/** Metadata keys that the reader, writer and CLI treat specially. */
public final class GgufKeys {

    public static final String ARCHITECTURE = "general.architecture";
    public static final String NAME = "general.name";
    public static final String ALIGNMENT = "general.alignment";
    public static final String FILE_TYPE = "general.file_type";
    public static final String QUANTIZATION_VERSION = "general.quantization_version";

    public static final String TOKENIZER_MODEL = "tokenizer.ggml.model";
    public static final String TOKENIZER_PRE = "tokenizer.ggml.pre";
    public static final String TOKENIZER_TOKENS = "tokenizer.ggml.tokens";
    public static final String TOKENIZER_TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String TOKENIZER_SCORES = "tokenizer.ggml.scores";
    public static final String TOKENIZER_MERGES = "tokenizer.ggml.merges";
    public static final String TOKENIZER_BOS = "tokenizer.ggml.bos_token_id";
    public static final String TOKENIZER_EOS = "tokenizer.ggml.eos_token_id";

    /** Prefix of this project's own keys. */
    public static final String MEMDEC_PREFIX = "memdec.";
    /** SHA-256 (lower-case hex) of the whole tensor-data section: from its aligned start to the end of the file. */
    public static final String TENSOR_DATA_SHA256 = "memdec.tensor_data_sha256";
    /** Canonical hash of the tokenizer the model was built for. */
    public static final String TOKENIZER_SHA256 = "memdec.tokenizer_sha256";

    /** The value of {@link #QUANTIZATION_VERSION} that llama.cpp b4916 expects. */
    public static final int QUANTIZATION_VERSION_CURRENT = 2;
    /** Alignment used when the file has no {@link #ALIGNMENT} key. */
    public static final int DEFAULT_ALIGNMENT = 32;

    private GgufKeys() {
    }
}
