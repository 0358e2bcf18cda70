package dev.memdec.converter.hf;

import dev.memdec.converter.family.llama.LlamaFamily;
import dev.memdec.converter.family.qwen2.Qwen2Family;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The HF causal-LM classes the converter understands, with the llama.cpp architecture and pre-tokenizer each
 * maps to (gguf-spec §2–4). The pre-tokenizer is chosen by family because Java cannot run HF tokenizers to
 * fingerprint it; anything else is refused rather than guessed.
 */
public enum HfArchitecture {
    GPT2("GPT2LMHeadModel", "gpt2", "gpt-2"),
    QWEN2(Qwen2Family.HF_CLASS, Qwen2Family.ARCH, "qwen2"),
    LLAMA(LlamaFamily.HF_CLASS, LlamaFamily.ARCH, "llama-bpe");

    private final String hfClass;
    private final String ggufArchitecture;
    private final String preTokenizer;

    HfArchitecture(String hfClass, String ggufArchitecture, String preTokenizer) {
        this.hfClass = hfClass;
        this.ggufArchitecture = ggufArchitecture;
        this.preTokenizer = preTokenizer;
    }

    /** The {@code architectures[0]} value in config.json. */
    public String hfClass() {
        return hfClass;
    }

    /** {@code general.architecture}. */
    public String ggufArchitecture() {
        return ggufArchitecture;
    }

    /** {@code tokenizer.ggml.pre}. */
    public String preTokenizer() {
        return preTokenizer;
    }

    public static HfArchitecture of(HfConfig config) {
        String name = config.architecture();
        return Arrays.stream(values()).filter(a -> a.hfClass.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(config.file() + ": unsupported architecture '" + name
                        + "', expected one of " + Arrays.stream(values()).map(HfArchitecture::hfClass).collect(Collectors.joining(", "))));
    }
}
