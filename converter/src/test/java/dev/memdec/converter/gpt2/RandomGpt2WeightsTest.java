package dev.memdec.converter.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RandomGpt2WeightsTest {

    private static final Gpt2Config TINY = Gpt2Config.of(2, 64, 4, 32, 500);

    @Test
    void sameSeedSameValuesRegardlessOfReadOrderAndChunking() {
        String qkv = Gpt2Tensors.blk(1, "attn_qkv.weight");
        int n = 64 * 192;
        RandomGpt2Weights a = new RandomGpt2Weights(TINY, 7);
        float[] whole = a.load(qkv, n);

        RandomGpt2Weights b = new RandomGpt2Weights(TINY, 7);
        b.load(Gpt2Tensors.TOKEN_EMBD, 64 * 500);    // reading other tensors first changes nothing
        float[] chunked = new float[n];
        Random random = new Random(1);
        int[] cuts = random.ints(20, 0, n).sorted().toArray();
        int from = n;
        // read back to front in uneven (often odd-aligned) pieces
        for (int k = cuts.length - 1; k >= -1; k--) {
            int start = k < 0 ? 0 : cuts[k];
            float[] piece = new float[from - start];
            b.tensor(qkv).read(start, piece, piece.length);
            System.arraycopy(piece, 0, chunked, start, piece.length);
            from = start;
        }
        assertArrayEquals(whole, chunked);
        assertFalse(Arrays.equals(whole, new RandomGpt2Weights(TINY, 8).load(qkv, n)), "seed matters");
        assertFalse(Arrays.equals(whole, a.load(Gpt2Tensors.blk(0, "attn_qkv.weight"), n)), "name matters");
    }

    @Test
    void outputIsTheTokenEmbedding() {
        RandomGpt2Weights w = new RandomGpt2Weights(TINY, 3);
        assertArrayEquals(w.load(Gpt2Tensors.TOKEN_EMBD, 64 * 500), w.load(Gpt2Tensors.OUTPUT, 64 * 500));
    }

    @Test
    void distributionsFollowTheDocumentedInit() {
        RandomGpt2Weights w = new RandomGpt2Weights(Gpt2Config.of(1, 256, 4, 64, 500), 11);
        assertMoments(w.load(Gpt2Tensors.blk(0, "ffn_up.weight"), 256 * 1024), 0, 0.02);
        assertMoments(w.load(Gpt2Tensors.POSITION_EMBD, 256 * 64), 0, 0.01);
        assertMoments(w.load(Gpt2Tensors.blk(0, "ffn_up.bias"), 1024), 0, 0.02);
        assertMoments(w.load(Gpt2Tensors.blk(0, "attn_norm.weight"), 256), 1, 0.05);
    }

    private static void assertMoments(float[] v, double mean, double std) {
        double m = 0;
        for (float x : v) {
            m += x;
        }
        m /= v.length;
        double var = 0;
        for (float x : v) {
            var += (x - m) * (x - m);
        }
        double s = Math.sqrt(var / v.length);
        double tolerance = 5 * std / Math.sqrt(v.length);
        assertEquals(mean, m, tolerance, "mean");
        assertEquals(std, s, std * 0.15, "std");
    }

    @Test
    void unknownTensorIsRejected() {
        RandomGpt2Weights w = new RandomGpt2Weights(TINY, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.tensor("blk.2.attn_qkv.weight"));
        assertEquals("'blk.2.attn_qkv.weight' is not a tensor of this gpt2 model", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> w.tensor(Gpt2Tensors.OUTPUT_NORM).read(60, new float[8], 8));
    }
}
