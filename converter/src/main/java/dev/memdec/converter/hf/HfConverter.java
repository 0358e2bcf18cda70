package dev.memdec.converter.hf;

import dev.memdec.converter.family.TensorTypePolicy;
import dev.memdec.converter.gguf.GgmlType;
import dev.memdec.converter.gguf.GgufFile;
import dev.memdec.converter.gguf.GgufKeys;
import dev.memdec.converter.gguf.GgufWriter;
import dev.memdec.converter.safetensors.SafetensorsCheckpoint;
import dev.memdec.converter.tokenizer.BpeVocabulary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Converts an HF causal-LM checkpoint directory (GPT2LMHeadModel, Qwen2ForCausalLM, LlamaForCausalLM with
 * safetensors weights and a byte-level BPE tokenizer) to a GGUF that llama.cpp loads.
 *
 * <p>Everything is validated first (config.json, every shard, every tensor's presence, dtype and shape, the
 * tokenizer); then the tensors stream from the memory-mapped shards through the orientation rules into
 * {@link GgufWriter}, which writes a temporary file and renames it, so a refusal or failure leaves no output;
 * the result is read back through the validating {@link GgufFile} reader before it is reported.
 */
public final class HfConverter {

    private static final System.Logger LOG = System.getLogger(HfConverter.class.getName());

    /**
     * What a conversion produced.
     *
     * @param inputBytes  bytes of tensor data in the checkpoint
     * @param outputBytes size of the written GGUF
     */
    public record Result(Path out, HfArchitecture architecture, GgmlType type, int tensorCount, int vocabSize,
                         long inputBytes, long outputBytes, double seconds) {
    }

    private HfConverter() {
    }

    public static Result convert(Path checkpointDir, Path out, GgmlType type) throws IOException {
        if (!type.canEncode()) {
            throw new IllegalArgumentException("output type " + type + " cannot be written; expected F32, F16, BF16, Q8_0 or Q4_0");
        }
        long start = System.nanoTime();
        HfConfig config = HfConfig.read(checkpointDir);
        HfArchitecture architecture = HfArchitecture.of(config);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(checkpointDir)) {
            ModelLayout layout = ModelLayout.of(architecture, config, checkpoint);
            BpeVocabulary vocabulary = HfTokenizerReader.read(checkpointDir, config, architecture, layout.vocabRows());

            GgufWriter w = new GgufWriter();
            w.putString(GgufKeys.ARCHITECTURE, architecture.ggufArchitecture());
            w.putString(GgufKeys.NAME, modelName(checkpointDir, config));
            w.putUInt32(GgufKeys.FILE_TYPE, type.fileType());
            w.putUInt32(GgufKeys.QUANTIZATION_VERSION, GgufKeys.QUANTIZATION_VERSION_CURRENT);
            layout.writeHyperParameters(w);
            vocabulary.writeTo(w);
            HfTokenizerReader.chatTemplate(checkpointDir).ifPresent(t -> w.putString("tokenizer.chat_template", t));
            for (PlannedTensor t : layout.tensors()) {
                w.addTensor(t.name(), TensorTypePolicy.storeAs(t.name(), t.ne(), type), t.ne(), t.values());
            }
            w.write(out);
            selfCheck(out, architecture, layout.tensors().size());
            double seconds = (System.nanoTime() - start) / 1e9;
            Result result = new Result(out, architecture, type, layout.tensors().size(), vocabulary.tokens().size(),
                    checkpoint.dataBytes(), Files.size(out), seconds);
            LOG.log(System.Logger.Level.DEBUG, "converted {0} ({1}) to {2}: {3} tensors, {4} bytes in {5} s",
                    checkpointDir, architecture.hfClass(), out, result.tensorCount(), result.outputBytes(), seconds);
            return result;
        }
    }

    /**
     * Re-reads the written file with the validating {@link GgufFile} reader (offsets, types, sizes) before anyone
     * hands it to llama.cpp, which aborts the process on a malformed file; a file that fails is deleted.
     */
    private static void selfCheck(Path out, HfArchitecture architecture, int tensorCount) throws IOException {
        try (GgufFile f = GgufFile.open(out)) {
            if (!f.architecture().equals(architecture.ggufArchitecture()) || f.tensors().size() != tensorCount) {
                throw new IllegalStateException(out + ": written file reads back as " + f.architecture() + " with "
                        + f.tensors().size() + " tensors, expected " + architecture.ggufArchitecture() + " with " + tensorCount);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(out);
            throw e;
        }
    }

    /** {@code _name_or_path} from config.json when it is set, else the directory name. */
    private static String modelName(Path dir, HfConfig config) {
        return config.raw("_name_or_path").filter(e -> e.isJsonPrimitive() && !e.getAsString().isBlank())
                .map(e -> e.getAsString()).orElse(dir.toAbsolutePath().normalize().getFileName().toString());
    }
}
