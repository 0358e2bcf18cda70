package dev.memdec.converter.hf;

import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.safetensors.SafetensorsCheckpoint;

import java.util.List;

/**
 * How one HF architecture maps onto its llama.cpp counterpart: hyper-parameter keys and the exact GGUF tensor
 * set. Constructing a layout validates the whole checkpoint against config.json, so every refusal happens
 * before the first byte of output is written.
 */
interface ModelLayout {

    HfArchitecture architecture();

    /** Rows of {@code token_embd}: the length the tokenizer's token list is padded to. */
    int vocabRows();

    /** All {@code <arch>.*} hyper-parameter keys. */
    void writeHyperParameters(GgufWriter w);

    /** The tensors in the order they are written. */
    List<PlannedTensor> tensors();

    static ModelLayout of(HfArchitecture architecture, HfConfig config, SafetensorsCheckpoint checkpoint) {
        CheckpointTensors tensors = new CheckpointTensors(checkpoint, config);
        ModelLayout layout = switch (architecture) {
            case GPT2 -> new Gpt2Layout(config, tensors);
            case QWEN2, LLAMA -> new RopeDecoderLayout(architecture, config, tensors);
        };
        tensors.requireAllUsed();
        return layout;
    }
}
