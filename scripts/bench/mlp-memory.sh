#!/usr/bin/env bash
# The MLP-memory figures in README (MLP memories): the step cost of host + MLP memory, host + Memory Decoder and a
# kNN-LM side by side (`memdec bench`, one run per MLP weight type), then the MLP forward against its bandwidth
# limit on both engines (ggml through FFM, Java Vector API) for every weight type (MlpForwardBenchmark, one run).
#   scripts/bench/mlp-memory.sh [THREADS]
# Random-weight models in .cache/bench: a GPT-2-small-shaped Q8_0 host, a 6x512 Q8_0 Memory Decoder, 4-block MLP
# memories (768 wide, 50,257-token head) in F32/Q8_0/F16/BF16/Q4_0, and a flat kNN index over the host's keys of
# 40 kB of the demo's domain text.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/java-env.sh"
W="$ROOT/.cache/bench"
THREADS="${1:-$(nproc)}"
M="$ROOT/memdec"
mkdir -p "$W"
[ -f "$W/host-small-q8.gguf" ] || "$M" init --preset small --seed 1 --type q8_0 --out "$W/host-small-q8.gguf" >/dev/null
[ -f "$W/memdec-6x512-q8.gguf" ] || "$M" init --layers 6 --embd 512 --heads 8 --ctx 1024 --seed 2 --type q8_0 \
  --out "$W/memdec-6x512-q8.gguf" >/dev/null
TYPES=(f32 q8_0 f16 bf16 q4_0)
for t in "${TYPES[@]}"; do
  [ -f "$W/mlp-4-$t.gguf" ] || "$M" init-mlp --host "$W/host-small-q8.gguf" --blocks 4 --type "$t" --seed 3 \
    --out "$W/mlp-4-$t.gguf" >/dev/null
done
if [ ! -f "$W/knn/knn.json" ]; then
  "$M" build >/dev/null
  corpus=$(find "$ROOT/.cache/corpora/splits" -path '*/domain/train.txt' | head -1)
  [ -n "$corpus" ] || { echo "mlp-memory.sh: no demo corpus split under .cache/corpora (run ./memdec demo --quick once)" >&2; exit 1; }
  head -c 40000 "$corpus" > "$W/corpus.txt"
  "$M" datastore --host "$W/host-small-q8.gguf" --corpus "$W/corpus.txt" --ctx 512 --stride 256 --threads "$THREADS" \
    --out "$W/ds" >/dev/null
  "$M" knn --datastore "$W/ds" --out "$W/knn" --index flat --k 1024 >/dev/null
fi
for t in q8_0 f32; do
  echo "== bench, MLP memory $t"
  "$M" bench --host "$W/host-small-q8.gguf" --memory "$W/memdec-6x512-q8.gguf" --mlp-memory "$W/mlp-4-$t.gguf" \
    --knn "$W/knn" --tokens 16 --prompt-tokens 32 --rounds 3 --threads "$THREADS"
done
echo "== MlpForwardBenchmark"
FILES=()
for t in "${TYPES[@]}"; do FILES+=("$W/mlp-4-$t.gguf"); done
java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
  -cp "$ROOT/plugin/target/classes:$(cat "$ROOT/plugin/target/classpath.txt")" dev.memdec.plugin.mlp.MlpForwardBenchmark \
  "$THREADS" 7 "${FILES[@]}"
