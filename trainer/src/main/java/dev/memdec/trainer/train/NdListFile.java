package dev.memdec.trainer.train;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.LayoutType;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UTFDataFormatException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Validates a checkpoint's DJL {@code .ndlist} file of float arrays (the format {@code NDList.encode} writes: an int32 array count, then per
 * array "NDAR", an encode version 1..3, optional name, sparse format, data type, shape, byte order and an int32
 * byte length) before {@code NDList.decode} sees it. DJL trusts every count in the file: it allocates the claimed
 * shape and data length (in Java and in libtorch) before reading a byte, so a flipped bit could ask for gigabytes.
 * Here each claim is checked against the file's real size and against the shape, and the file must end exactly
 * after the last array.
 */
final class NdListFile {

    /** No memdec tensor has more dimensions; DJL would allocate whatever the file claims. */
    private static final int MAX_DIMS = 8;
    private static final int MAX_ARRAYS = 1 << 16;

    private NdListFile() {
    }

    static void check(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream raw = Files.newInputStream(file);
             Counting counting = new Counting(new BufferedInputStream(raw, 1 << 16));
             DataInputStream in = new DataInputStream(counting)) {
            int arrays = in.readInt();
            if (arrays < 0 || arrays > MAX_ARRAYS) {
                throw bad(file, 0, "array count " + arrays + " is outside [0, " + MAX_ARRAYS + "] (not a memdec .ndlist?)");
            }
            for (int a = 0; a < arrays; a++) {
                long at = counting.position;
                String magic = in.readUTF();
                if (!magic.equals("NDAR")) {
                    throw bad(file, at, "array " + a + " does not start with NDAR");
                }
                int version = in.readInt();
                if (version < 1 || version > 3) {
                    throw bad(file, at, "array " + a + " has encode version " + version + ", expected 1..3");
                }
                if (version > 1 && in.readByte() == 1) {
                    in.readUTF();   // name
                }
                String sparse = in.readUTF();
                if (!sparse.equals("DENSE")) {
                    throw bad(file, at, "array " + a + " is " + sparse + ", expected DENSE");
                }
                String typeName = in.readUTF();
                if (!typeName.equals(DataType.FLOAT32.name())) {
                    throw bad(file, at, "array " + a + " has data type '" + typeName + "', expected FLOAT32 (checkpoints "
                            + "hold float parameters and moments only)");
                }
                DataType type = DataType.FLOAT32;
                int dims = in.readInt();
                if (dims < 0 || dims > MAX_DIMS) {
                    throw bad(file, at, "array " + a + " claims " + dims + " dimensions, expected 0.." + MAX_DIMS);
                }
                long bytes = type.getNumOfBytes();
                for (int d = 0; d < dims; d++) {
                    long n = in.readLong();
                    if (n < 0) {
                        throw bad(file, at, "array " + a + " has negative dimension " + n);
                    }
                    bytes = n == 0 ? 0 : bytes > size / n ? Long.MAX_VALUE : bytes * n;
                }
                int layout = in.readInt();
                if (layout < 0 || layout > MAX_DIMS) {
                    throw bad(file, at, "array " + a + " claims a layout of " + layout + " characters, expected 0.." + MAX_DIMS);
                }
                for (int c = 0; c < layout; c++) {
                    char axis = in.readChar();
                    try {
                        LayoutType.fromValue(axis);
                    } catch (IllegalArgumentException e) {
                        throw bad(file, at, "array " + a + " has layout character '" + axis + "', which DJL does not know");
                    }
                }
                if (version > 2) {
                    byte order = in.readByte();
                    if (order != '>' && order != '<') {
                        throw bad(file, at, "array " + a + " has byte order '" + (char) order + "', expected '<' or '>'");
                    }
                }
                int length = in.readInt();
                long left = size - counting.position;
                if (length < 0 || length > left || length != bytes) {
                    throw bad(file, at, "array " + a + " claims " + length + " data bytes; its shape needs "
                            + (bytes == Long.MAX_VALUE ? "more than the file holds" : bytes) + " and " + left
                            + " bytes are left in the file");
                }
                in.skipNBytes(length);
            }
            if (counting.position != size) {
                throw bad(file, counting.position, (size - counting.position) + " trailing bytes after the last array");
            }
        } catch (EOFException | UTFDataFormatException e) {
            throw new IOException(file + ": truncated or malformed .ndlist (" + e + ")", e);
        }
    }

    private static IOException bad(Path file, long offset, String what) {
        return new IOException(file + ": byte " + offset + ": " + what);
    }

    /** Counts the bytes read, so every error can say where. */
    private static final class Counting extends java.io.FilterInputStream {
        long position;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                position++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            position += s;
            return s;
        }
    }
}
