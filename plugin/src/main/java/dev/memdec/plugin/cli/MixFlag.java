package dev.memdec.plugin.cli;

import dev.memdec.plugin.mix.MixMode;
import picocli.CommandLine.Option;

/** {@code --mix prob|logit}, shared by every command that mixes a memory into the host. */
public final class MixFlag {

    @Option(names = "--mix", paramLabel = "prob|logit", defaultValue = "prob",
            description = "How the memory enters: prob = (1-λ)·p_host + λ·p_mem, the paper's mixture (default); "
                    + "logit = softmax((1-λ)·z_host + λ·z_mem), a blend of the logits.")
    String value;

    /** The parsed mode; a value other than the two is an IllegalArgumentException naming --mix. */
    MixMode mode() {
        return MixMode.parse(value, "--mix");
    }
}
