package dev.memdec.converter.family;

import dev.memdec.converter.family.gemma3.Gemma3Family;
import dev.memdec.converter.family.llama.LlamaFamily;
import dev.memdec.converter.family.phi3.Phi3Family;
import dev.memdec.converter.family.qwen2.Qwen2Family;
import dev.memdec.converter.family.qwen3.Qwen3Family;
import java.util.List;
import java.util.Optional;

/** The rotary decoder families memdec writes, by {@code general.architecture} name. */
public final class DecoderFamilies {

    private static final List<DecoderFamily> ALL = List.of(LlamaFamily.INSTANCE, Qwen2Family.INSTANCE,
            Qwen3Family.INSTANCE, Gemma3Family.INSTANCE, Phi3Family.INSTANCE);

    private DecoderFamilies() {
    }

    public static List<DecoderFamily> all() {
        return ALL;
    }

    /** The family whose {@link DecoderFamily#architecture()} is {@code name}. */
    public static Optional<DecoderFamily> byName(String name) {
        return ALL.stream().filter(f -> f.architecture().equals(name)).findFirst();
    }

    /** Architecture names, comma separated, for messages. */
    public static String names() {
        return String.join(", ", ALL.stream().map(DecoderFamily::architecture).toList());
    }
}
