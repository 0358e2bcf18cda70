package dev.memdec.converter.family;

import dev.memdec.converter.gguf.FloatSource;

/** A model's weights by GGUF tensor name, each in GGUF element order (ne[0] fastest). */
@FunctionalInterface
public interface DecoderWeights {

    /**
     * @throws IllegalArgumentException if the model has no tensor {@code ggufName}
     */
    FloatSource tensor(String ggufName);
}
