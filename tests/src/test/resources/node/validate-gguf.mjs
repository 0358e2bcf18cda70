// Parses each GGUF given on the command line with @huggingface/gguf and prints one JSON array of findings.
// Run from a directory whose node_modules holds @huggingface/gguf.
import { gguf, GGUF_QUANT_DESCRIPTIONS } from "@huggingface/gguf";
import { statSync } from "node:fs";

const results = [];
for (const file of process.argv.slice(2)) {
  const problems = [];
  try {
    const { metadata, tensorInfos, tensorDataOffset, typedMetadata } =
      await gguf(file, { allowLocalFile: true, typedMetadata: true });
    const size = BigInt(statSync(file).size);
    let previousStart = -1n;
    for (const t of tensorInfos) {
      const start = tensorDataOffset + t.offset;
      if (!(t.dtype in GGUF_QUANT_DESCRIPTIONS)) problems.push(`${t.name}: unknown ggml type ${t.dtype}`);
      if (start % 32n !== 0n) problems.push(`${t.name}: data at ${start} is not 32-byte aligned`);
      if (start <= previousStart) problems.push(`${t.name}: data at ${start} is not after the previous tensor`);
      if (start >= size) problems.push(`${t.name}: data at ${start} is past the end of the ${size}-byte file`);
      previousStart = start;
    }
    const arch = metadata["general.architecture"];
    const typeOf = (k) => (typedMetadata[k] ? typedMetadata[k].type : null);
    const subTypeOf = (k) => (typedMetadata[k] ? typedMetadata[k].subType : null);
    results.push({
      file, problems,
      version: Number(metadata.version),
      architecture: arch,
      tensorCount: tensorInfos.length,
      headerTensorCount: Number(metadata.tensor_count),
      kvCount: Number(metadata.kv_count),
      metadataKeys: Object.keys(metadata).length,
      blockCount: Number(metadata[`${arch}.block_count`]),
      blockCountType: typeOf(`${arch}.block_count`),
      fileTypeType: typeOf("general.file_type"),
      tokensSubType: subTypeOf("tokenizer.ggml.tokens"),
      tokenTypeSubType: subTypeOf("tokenizer.ggml.token_type"),
      tokenCount: (metadata["tokenizer.ggml.tokens"] || []).length,
    });
  } catch (e) {
    problems.push(String((e && e.stack) || e));
    results.push({ file, problems });
  }
}
console.log(JSON.stringify(results));
