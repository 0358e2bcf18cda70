#!/usr/bin/env bash
# The MLP memory's forward beside ggml's on the same shapes and weight type, in one run (README "MLP memories"):
# MlpForwardBenchmark (memdec's two engines: the ggml graph it builds through FFM on the runtime's CPU backend, and
# its Java Vector API kernels) and ggml-mlp.c (ggml's CPU backend from the prebuilt v0.5.0 library memdec loads, on a
# persistent threadpool as llama-bench runs it, called from C), alternated run by run, each round pairing its own
# read-bandwidth probe (memchr, 512 MiB) with the forwards. Not part of CI. MEMDEC_RUNTIME picks the profile whose
# ggml memdec's engine uses (v0.5.0 by default here, as the C peer).
#   scripts/bench/mlp-vs-ggml.sh [THREADS] [REPEATS]     env TYPES ("q8_0 f32")
# Needs the v0.5.0 libraries (scripts/setup.sh) and ggml's headers from the v0.5.0 source bundle (npm
# node-llama-cpp@3.22.1, checksum-pinned like scripts/bench-vs-llama-bench.sh; only headers are read, nothing built
# but the one C file). The MLP files are those of scripts/bench/mlp-memory.sh (4 blocks x 768, ff 3072, 50,257 rows).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/java-env.sh"
THREADS="${1:-2}"
REPEATS="${2:-2}"
TYPES="${TYPES:-q8_0 f32}"
W="$ROOT/.cache/bench"
LIB="$ROOT/.cache/llama/v0.5.0"
SRC="$ROOT/.cache/llama/bench/src"
SRC_PKG="node-llama-cpp@3.22.1"
SRC_SHA256="a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f"
[ -f "$LIB/libggml-base.so" ] || { echo "mlp-vs-ggml.sh: no v0.5.0 runtime under $LIB (run scripts/setup.sh)" >&2; exit 1; }
if [ ! -f "$SRC/ggml/include/ggml-cpu.h" ]; then
  mkdir -p "$ROOT/.cache/llama/bench"
  (cd "$ROOT/.cache/llama/bench" && rm -f node-llama-cpp-*.tgz && npm pack --silent "$SRC_PKG" > /dev/null)
  got=$(sha256sum "$ROOT"/.cache/llama/bench/node-llama-cpp-3.22.1.tgz | cut -d' ' -f1)
  [ "$got" = "$SRC_SHA256" ] || { echo "mlp-vs-ggml.sh: $SRC_PKG has sha256 $got, expected $SRC_SHA256" >&2; exit 1; }
  tar -xzf "$ROOT/.cache/llama/bench/node-llama-cpp-3.22.1.tgz" -C "$ROOT/.cache/llama/bench" package/llama/gitRelease.bundle
  rm -rf "$SRC" && git clone -q --no-checkout "$ROOT/.cache/llama/bench/package/llama/gitRelease.bundle" "$SRC"
  git -C "$SRC" checkout -q HEAD -- ggml/include
fi
# The CPU backend memdec's v0.5.0 profile picks here (ggml_backend_load_all_from_path scores them; zen4 on AVX-512).
CPU_LIB="${GGML_CPU_LIB:-libggml-cpu-zen4.so}"
BIN="$ROOT/.cache/bench/ggml-mlp"
mkdir -p "$W"
gcc -O2 -o "$BIN" "$ROOT/scripts/bench/ggml-mlp.c" -I"$SRC/ggml/include" "$LIB/$CPU_LIB" "$LIB/libggml-base.so" \
  -Wl,-rpath,"$LIB" -lpthread
"$ROOT/memdec" build > /dev/null
for t in $TYPES; do
  [ -f "$W/mlp-4-$t.gguf" ] || { echo "mlp-vs-ggml.sh: $W/mlp-4-$t.gguf missing (scripts/bench/mlp-memory.sh makes it)" >&2; exit 1; }
done
CP="$ROOT/plugin/target/classes:$(cat "$ROOT/plugin/target/classpath.txt")"
echo "| forward | weights MB | read GB/s (median) | forward ms (median / best) | fraction of the limit (median / best round) | CPU ms per forward (THREADS=1 only) |"
echo "|---|---:|---:|---:|---:|---:|"
for rep in $(seq "$REPEATS"); do
  for t in $TYPES; do
    "$BIN" "$THREADS" 5 16 768 3072 4 50257 "$t"
    MEMDEC_RUNTIME="${MEMDEC_RUNTIME:-v0.5.0}" java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$CP" \
      dev.memdec.plugin.mlp.MlpForwardBenchmark "$THREADS" 5 "$W/mlp-4-$t.gguf" 2> /dev/null \
      | awk -F'|' -v t="$t" '/^\| mlp-/ {printf "| memdec %s, %s |%s|%s|%s|%s|%s|\n", t, $3, $4, $5, $7, $8, $9}'
  done
done
echo
echo "(threads $THREADS; $REPEATS alternations; ggml: $CPU_LIB, graph of the same mat-vecs with norm/GELU/residual)"
