package dev.memdec.converter.family;

/** How a family's rotary embedding pairs the dimensions of a head in llama.cpp (its {@code llama_rope_type}). */
public enum RopeStyle {
    /** {@code LLAMA_ROPE_TYPE_NORM}: adjacent dimensions (2i, 2i+1) rotate together (llama). */
    NORM,
    /** {@code LLAMA_ROPE_TYPE_NEOX}: dimension i rotates with i + headDim/2 (qwen2, qwen3, gemma3, phi3; HF's layout). */
    NEOX
}
