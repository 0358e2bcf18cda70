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
