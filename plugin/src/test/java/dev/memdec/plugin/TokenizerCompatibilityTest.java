package dev.memdec.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TokenizerCompatibilityTest {

    private static List<String> tokens(int n) {
        List<String> t = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            t.add("tok" + i);
        }
        return t;
    }

    private static TokenizerFacts facts(String source, List<String> tokens) {
        return new TokenizerFacts(source, "gpt2", 0, 1, false, false, tokens, Optional.empty());
    }

    @Test
    void paddingRowsAndSpecialTokensBelowFiveMayDiffer() {
        List<String> memory = tokens(1000 + 128);
        memory.set(3, "<special>");
        assertEquals(List.of(), TokenizerCompatibility.differences(facts("h", tokens(1000)), facts("m", memory)));
    }

    private static List<String> padded(int real, int rows) {
        List<String> t = tokens(real);
        for (int id = real; id < rows; id++) {
            t.add(dev.memdec.converter.tokenizer.PaddingRows.name(id));
        }
        return t;
    }

    @Test
    void vocabulariesThatDifferOnlyInPaddingRowsAreCompatible() {
        // Qwen2.5-0.5B pads its 151,665 tokens to 151,936 rows, Qwen2.5-7B to 152,064; an unpadded memory has 151,665
        TokenizerFacts small = facts("0.5b", padded(151_665, 151_936));
        TokenizerFacts large = facts("7b", padded(151_665, 152_064));
        TokenizerFacts exact = facts("memory", tokens(151_665));
        assertEquals(151_665, large.realVocabSize());
        assertEquals(List.of(), TokenizerCompatibility.differences(large, small));
        assertEquals(List.of(), TokenizerCompatibility.differences(large, exact), "399 rows apart, all padding");
        assertEquals(List.of(), TokenizerCompatibility.differences(exact, large));
        // more than 128 real tokens apart is still incompatible, and says which rows are padding
        List<String> diffs = TokenizerCompatibility.differences(facts("h", padded(151_400, 152_064)), exact);
        assertEquals(List.of("vocabulary size: host 151400 (+664 padding rows), memory 151665 (at most 128 apart, "
                + "padding rows not counted)", "265 token text(s) differ from id 5 on, e.g. id 151400 host \"[PAD151400]\" "
                + "memory \"tok151400\"; id 151401 host \"[PAD151401]\" memory \"tok151401\"; id 151402 host "
                + "\"[PAD151402]\" memory \"tok151402\""), diffs);
    }

    @Test
    void everyDifferenceIsNamed() {
        List<String> other = tokens(1200);
        other.set(7, "changed");
        TokenizerFacts host = new TokenizerFacts("host.gguf", "gpt2", 0, 1, false, false, tokens(1000),
                Optional.of("aaa"));
        TokenizerFacts memory = new TokenizerFacts("mem.gguf", "llama", 2, 3, true, true, other, Optional.of("bbb"));
        List<String> diffs = TokenizerCompatibility.differences(host, memory);
        assertEquals(8, diffs.size(), diffs.toString());
        IncompatibleMemoryException e = assertThrows(IncompatibleMemoryException.class,
                () -> TokenizerCompatibility.requireCompatible(host, memory));
        for (String part : new String[] {"mem.gguf", "host.gguf", "vocabulary type: host gpt2, memory llama",
                "BOS id", "EOS id", "add_bos", "add_eos", "vocabulary size: host 1000, memory 1200",
                "id 7 host \"tok7\" memory \"changed\"", "memdec.tokenizer_sha256: host aaa, memory bbb"}) {
            assertTrue(e.getMessage().contains(part), part + " missing from: " + e.getMessage());
        }
    }
}
