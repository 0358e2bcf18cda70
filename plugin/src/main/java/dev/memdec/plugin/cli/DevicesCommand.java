package dev.memdec.plugin.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.converter.cli.MemdecCommand;
import dev.memdec.natives.llama.GpuBackend;
import dev.memdec.natives.llama.LlamaRuntime;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code memdec devices}: which llama.cpp build the chosen flags load, what it reports, and the GPU devices it found
 * (llama.cpp's {@code --list-devices}), without loading a model. A GPU build that finds none is the one-line refusal
 * every model command gives.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "Show the llama.cpp build the runtime flags choose (--runtime, --gpu-backend, --llama-dir), its "
                + "version and CPU features, and the GPU devices it found.")
public final class DevicesCommand implements MemdecCommand {

    @Mixin
    RuntimeChoice runtimeChoice;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print runtime, gpu_backend, version, system_info and gpu_devices as JSON.")
    boolean json;

    @Override
    public Integer call() {
        LlamaRuntime rt = LlamaRuntime.get();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("runtime", rt.profile().id());
            m.put("gpu_backend", rt.gpuBackend().id());
            m.put("version", rt.commit());
            m.put("system_info", rt.systemInfo().strip());
            m.put("gpu_devices", rt.gpuDevices());
            out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(m));
        } else {
            out.printf("llama.cpp %s, %s build: %s%n", rt.profile().id(),
                    rt.gpuBackend() == GpuBackend.NONE ? "CPU" : rt.gpuBackend().id(), rt.commit());
            out.printf("%s%n", rt.systemInfo().strip());   // "CPU : SSE3 = 1 | ..."
            out.printf("GPU devices: %s%n", rt.gpuDevices().isEmpty() ? "none" : String.join(", ", rt.gpuDevices()));
        }
        out.flush();
        return 0;
    }
}
