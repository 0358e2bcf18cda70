package dev.memdec.natives.llama;

/** Element type of the KV cache ({@code type_k} and {@code type_v}); llama.cpp's default is F16. */
public enum KvType {
  /** Exact cache; use it where logits are compared with a reference. */
  F32(0),
  /** llama.cpp's default: half the memory, about 1e-3 of logit error on small models. */
  F16(1);

  private final int ggmlType;

  KvType(int ggmlType) {
    this.ggmlType = ggmlType;
  }

  /** The {@code enum ggml_type} value. */
  int ggmlType() {
    return ggmlType;
  }
}
