package dev.memdec.converter.gguf;

import java.util.Optional;

/**
 * Every ggml tensor type id that llama.cpp b4916 can load, with its block geometry.
 *
 * <p>Ids 4, 5, 31-33 and 36-38 were removed from ggml (their block size is 0 there, so a file using
 * them is rejected); {@link #fromId} treats them like any other unknown id. Only {@link #canEncode()}
 * types can be written from floats or read back as floats; the others exist so that a reader can
 * validate and size files that contain them.
 */
public enum GgmlType {
    F32(0, 1, 4, 0),
    F16(1, 1, 2, 1),
    Q4_0(2, 32, 18, 2),
    Q4_1(3, 32, 20, 3),
    Q5_0(6, 32, 22, 8),
    Q5_1(7, 32, 24, 9),
    Q8_0(8, 32, 34, 7),
    Q8_1(9, 32, 36, -1),
    Q2_K(10, 256, 84, 10),
    Q3_K(11, 256, 110, 12),
    Q4_K(12, 256, 144, 15),
    Q5_K(13, 256, 176, 17),
    Q6_K(14, 256, 210, 18),
    Q8_K(15, 256, 292, -1),
    IQ2_XXS(16, 256, 66, 19),
    IQ2_XS(17, 256, 74, 20),
    IQ3_XXS(18, 256, 98, 23),
    IQ1_S(19, 256, 50, 24),
    IQ4_NL(20, 32, 18, 25),
    IQ3_S(21, 256, 110, 26),
    IQ2_S(22, 256, 82, 28),
    IQ4_XS(23, 256, 136, 30),
    I8(24, 1, 1, -1),
    I16(25, 1, 2, -1),
    I32(26, 1, 4, -1),
    I64(27, 1, 8, -1),
    F64(28, 1, 8, -1),
    IQ1_M(29, 256, 56, 31),
    BF16(30, 1, 2, 32),
    TQ1_0(34, 256, 54, 36),
    TQ2_0(35, 256, 66, 37);

    private static final GgmlType[] BY_ID = new GgmlType[40];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final int fileType;

    GgmlType(int id, int blockSize, int typeSize, int fileType) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.fileType = fileType;
    }

    /** The id stored in a GGUF tensor-info record. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for plain float and integer types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** True for the types this project encodes and decodes: F32, F16, BF16, Q8_0 and Q4_0. */
    public boolean canEncode() {
        return this == F32 || this == F16 || this == BF16 || this == Q8_0 || this == Q4_0;
    }

    /** True when tensors of this type are stored in blocks of more than one element. */
    public boolean isBlockQuantized() {
        return blockSize > 1;
    }

    /**
     * The {@code general.file_type} value (llama_ftype, "mostly X") for a model whose big tensors have
     * this type. Note that it differs from {@link #id()}: Q8_0 is type 8 but file type 7, BF16 type 30
     * but file type 32. K-quants map to their "_M" variant where llama.cpp has several.
     *
     * @throws IllegalStateException for types that llama.cpp has no file type for (Q8_1, Q8_K, I*, F64)
     */
    public int fileType() {
        if (fileType < 0) {
            throw new IllegalStateException("ggml type " + name() + " has no llama.cpp file type");
        }
        return fileType;
    }

    /** A human-readable name of {@link #fileType()}, as llama.cpp prints it: "MOSTLY_Q8_0", "ALL_F32". */
    public String fileTypeName() {
        fileType();
        return this == F32 ? "ALL_F32" : "MOSTLY_" + name();
    }

    /**
     * Bytes of a tensor with dimensions {@code ne} (innermost first) stored in this type.
     *
     * @throws IllegalArgumentException if a dimension is negative, {@code ne[0]} is not a multiple of the
     *     block size, or the size overflows a long
     */
    public long byteSize(long[] ne) {
        if (ne.length == 0) {
            return typeSize;
        }
        for (long n : ne) {
            if (n < 0) {
                throw new IllegalArgumentException("negative dimension in " + java.util.Arrays.toString(ne));
            }
        }
        if (ne[0] % blockSize != 0) {
            throw new IllegalArgumentException("ne[0] = " + ne[0] + " is not a multiple of the " + name()
                    + " block size " + blockSize);
        }
        try {
            long bytes = Math.multiplyExact(ne[0] / blockSize, (long) typeSize);
            for (int i = 1; i < ne.length; i++) {
                bytes = Math.multiplyExact(bytes, ne[i]);
            }
            return bytes;
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor size overflows for dimensions " + java.util.Arrays.toString(ne), e);
        }
    }

    /** The type with this id, or empty for unknown and removed ids. */
    public static Optional<GgmlType> find(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[id]) : Optional.empty();
    }

    /**
     * The type with this id.
     *
     * @throws IllegalArgumentException for unknown or removed ids
     */
    public static GgmlType fromId(int id) {
        return find(id).orElseThrow(() -> new IllegalArgumentException("unknown ggml type id " + id));
    }
}
