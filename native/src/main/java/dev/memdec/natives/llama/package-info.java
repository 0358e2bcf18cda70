/**
 * llama.cpp build 4916 (the {@code libjllama.so} inside java-llama.cpp {@code de.kherud:llama:4.2.0}) through
 * Java's FFM API.
 *
 * <ul>
 *   <li>{@link dev.memdec.natives.llama.LlamaRuntime}: loads the library through java-llama.cpp's own loader
 *       (one instance per process), refuses any build but 4916 and any struct-default mismatch, and routes
 *       llama.cpp's log to {@code System.Logger} {@code dev.memdec.natives.llama.llama.cpp}.</li>
 *   <li>{@link dev.memdec.natives.llama.LlamaModel} ({@link dev.memdec.natives.llama.ModelOptions}),
 *       {@link dev.memdec.natives.llama.Vocab}, {@link dev.memdec.natives.llama.LlamaContext}
 *       ({@link dev.memdec.natives.llama.ContextOptions}) and {@link dev.memdec.natives.llama.SamplerChain}
 *       ({@link dev.memdec.natives.llama.JavaSampler} for samplers written in Java) own their native resources
 *       and free them in {@code close()}.</li>
 *   <li>{@link dev.memdec.natives.llama.InferenceLock}: the process-wide lock every decode takes, because
 *       overlapping {@code llama_decode} calls corrupt logits in b4916. java-llama.cpp calls in the same JVM must
 *       take it too.</li>
 * </ul>
 *
 * <p>A typical greedy loop:
 * <pre>{@code
 * try (LlamaModel model = LlamaModel.load(path, ModelOptions.defaults());
 *      LlamaContext ctx = LlamaContext.create(model, ContextOptions.defaults());
 *      SamplerChain chain = SamplerChain.builder().greedy().build()) {
 *   int[] prompt = model.vocab().tokenize("Call me Ishmael.", false, false);
 *   ctx.decode(prompt, 0, false);
 *   for (int i = 0; i < 16; i++) {
 *     int t = chain.sample(ctx, -1);
 *     if (model.vocab().isEog(t)) break;
 *     System.out.print(model.vocab().piece(t));
 *     ctx.decode(new int[] {t}, ctx.nPast(), false);
 *   }
 * }
 * }</pre>
 *
 * <p>Hidden states for kNN keys come from the eval callback during an ordinary decode: create the context with
 * {@code ContextOptions.withCapture(LlamaContext.ffnInput(model.nLayer() - 1))} (the gpt2 graph node
 * {@code ffn_norm-<last>}: the last block's FFN input after its pre-FFN LayerNorm, one row per output token)
 * and read {@link dev.memdec.natives.llama.LlamaContext#captured(String)} after each decode.
 */
package dev.memdec.natives.llama;
