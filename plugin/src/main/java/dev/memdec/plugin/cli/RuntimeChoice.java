package dev.memdec.plugin.cli;

import dev.memdec.natives.llama.RuntimeProfile;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --runtime b4916|v0.5.0}: the llama.cpp build a command loads models with (shared/docs/design.md). Mixed
 * into every command that loads a model; it sets {@link RuntimeProfile#PROPERTY} before anything touches llama.cpp,
 * and overrides {@code MEMDEC_RUNTIME}.
 */
public final class RuntimeChoice {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--runtime", paramLabel = "b4916|v0.5.0",
            description = "llama.cpp build to run on: b4916 (java-llama.cpp 4.2.0's library) or v0.5.0 "
                    + "(installed by scripts/setup.sh). Default: $MEMDEC_RUNTIME, else b4916.")
    void runtime(String name) {
        RuntimeProfile profile;
        try {
            profile = RuntimeProfile.parse(name);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--runtime: " + e.getMessage());
        }
        RuntimeProfile.choose(profile);
    }
}
