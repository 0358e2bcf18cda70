package dev.memdec.converter.safetensors;

import java.util.Optional;

/**
 * The dtypes the safetensors format defines, with their element sizes. Every one of them is accepted by
 * validation (so a checkpoint with, say, an I64 buffer is still a well-formed file); only the float types
 * with {@link #isConvertible()} can be read as floats.
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int byteSize;

    SafetensorsDtype(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether {@link SafetensorsTensor#read} can turn this dtype into floats (F32, F16, BF16). */
    public boolean isConvertible() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The dtype spelled exactly as in a safetensors header, e.g. {@code "BF16"}. */
    public static Optional<SafetensorsDtype> parse(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }
}
