package dev.memdec.converter.gguf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little-endian byte buffer for the GGUF header (metadata and tensor infos). */
final class LittleEndianBuffer {

    private byte[] bytes = new byte[4096];
    private int size;

    int size() {
        return size;
    }

    byte[] array() {
        return bytes;
    }

    private void ensure(int extra) {
        int needed = Math.addExact(size, extra);
        if (needed > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(needed, bytes.length * 2));
        }
    }

    void u8(int v) {
        ensure(1);
        bytes[size++] = (byte) v;
    }

    void u16(int v) {
        u8(v);
        u8(v >>> 8);
    }

    void u32(int v) {
        u16(v);
        u16(v >>> 16);
    }

    void u64(long v) {
        u32((int) v);
        u32((int) (v >>> 32));
    }

    void raw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, bytes, size, b.length);
        size += b.length;
    }

    void string(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        u64(utf8.length);
        raw(utf8);
    }

    void zeros(int n) {
        ensure(n);
        size += n; // the backing array is zero-filled and never reused
    }
}
