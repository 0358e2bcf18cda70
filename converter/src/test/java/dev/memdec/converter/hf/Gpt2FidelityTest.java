package dev.memdec.converter.hf;

import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gpt2.Gpt2Config;
import dev.memdec.converter.gpt2.Gpt2ReferenceModel;
import dev.memdec.converter.tokenizer.BpeVocabulary;
import dev.memdec.converter.tokenizer.Gpt2Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GPT2LMHeadModel with the real GPT-2 tokenizer: the GPT-2 reference forward pass on the HF tensors (Conv1D
 * transposed here, independently of the converter) equals the same pass on the converted GGUF, and the
 * vocabulary read back is exactly the GPT-2 vocabulary the gpt2 exporter writes.
 */
class Gpt2FidelityTest {

    @TempDir
    Path dir;

    @Test
    void referenceOnHfWeightsEqualsReferenceOnConvertedGguf() throws IOException {
        SyntheticHfCheckpoint c = HfCheckpoints.tinyWithGpt2Vocab();
        Path ckpt = dir.resolve("gpt2");
        c.writeTo(ckpt);
        HfCheckpoints.writeGpt2Tokenizer(ckpt);
        Path out = dir.resolve("gpt2.gguf");
        HfConverter.convert(ckpt, out, GgmlType.F32);

        Gpt2Config config = new Gpt2Config(c.layers(), c.embd(), c.heads(), c.context(), c.vocabSize(), c.ff(), 1e-5f);
        int[] prompt = Gpt2Tokenizer.get().encode("Memory decoders plug into llama.cpp, said the whale.");
        float[][] fromHf = new Gpt2ReferenceModel(config, HfCheckpoints.hfAsGpt2Weights(HfCheckpoints.hfTensors(ckpt), c), false).logits(prompt);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(config, Gpt2Config.fromGguf(f));
            float[][] fromGguf = Gpt2ReferenceModel.load(f, false).logits(prompt);
            for (int t = 0; t < prompt.length; t++) {
                assertArrayEquals(fromHf[t], fromGguf[t], "position " + t);
            }
            BpeVocabulary v = BpeVocabulary.readFrom(f);
            assertEquals(Gpt2Tokenizer.vocabulary().sha256(), v.sha256(), "exactly the GPT-2 vocabulary of the gpt2 exporter");
            assertEquals("gpt-2", v.pre());
            assertEquals(BpeVocabulary.TYPE_CONTROL, v.tokenTypes()[Gpt2Tokenizer.END_OF_TEXT]);
        }
    }
}
