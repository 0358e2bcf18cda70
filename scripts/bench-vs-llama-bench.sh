#!/usr/bin/env bash
# Side-by-side speed, one run, same files, same threads: llama.cpp's own llama-bench (v0.5.0, built from the git
# bundle inside npm node-llama-cpp@3.22.1) against `./memdec bench` on each runtime profile (b4916, v0.5.0).
# Not part of CI (it builds llama.cpp: about 10 minutes on 2 cores, once; the build stays in .cache/llama/bench).
#
#   scripts/bench-vs-llama-bench.sh [preset ...]     small and/or medium (`memdec init --preset`; default small); env THREADS (2),
#                                                    TYPES ("f32 q8_0"), LLAMA_BENCH (an existing llama-bench binary)
# Prints a markdown table: prefill (64 tokens) and decode (64 steps) tok/s of each, and memdec / llama-bench.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="${THREADS:-2}"
TYPES="${TYPES:-f32 q8_0}"
PRESETS=("${@:-small}")
WORK="$ROOT/.cache/llama/bench"
SRC_PKG="node-llama-cpp@3.22.1"
SRC_SHA256="a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f"
mkdir -p "$WORK"

if [ -z "${LLAMA_BENCH:-}" ]; then
  LLAMA_BENCH="$WORK/src/build/bin/llama-bench"
  if [ ! -x "$LLAMA_BENCH" ]; then
    echo "bench: building llama-bench v0.5.0 from $SRC_PKG (once, ~10 min)" >&2
    (cd "$WORK" && rm -f node-llama-cpp-*.tgz && npm pack --silent "$SRC_PKG" > /dev/null)
    got=$(sha256sum "$WORK"/node-llama-cpp-3.22.1.tgz | cut -d' ' -f1)
    [ "$got" = "$SRC_SHA256" ] || { echo "bench: $SRC_PKG has sha256 $got, expected $SRC_SHA256" >&2; exit 1; }
    tar -xzf "$WORK/node-llama-cpp-3.22.1.tgz" -C "$WORK" package/llama/gitRelease.bundle
    rm -rf "$WORK/src" && git clone -q "$WORK/package/llama/gitRelease.bundle" "$WORK/src"
    cmake -S "$WORK/src" -B "$WORK/src/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF > "$WORK/cmake.log"
    cmake --build "$WORK/src/build" -j"$THREADS" --target llama-bench > "$WORK/build.log"
  fi
fi

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "| file | llama-bench v0.5.0 pp64 | memdec b4916 prefill | ratio | memdec v0.5.0 prefill | ratio | llama-bench tg64 | memdec b4916 decode | ratio | memdec v0.5.0 decode | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for preset in "${PRESETS[@]}"; do
  f32="$WORK/$preset-f32.gguf"
  [ -f "$f32" ] || "$ROOT/memdec" init --preset "$preset" --seed 1 --type f32 --out "$f32" > /dev/null
  # `memdec bench` needs a memory; a tiny one (its speed is not reported here)
  mem="$WORK/tiny-mem.gguf"
  [ -f "$mem" ] || "$ROOT/memdec" init --layers 2 --embd 64 --heads 2 --ctx 1024 --seed 2 --type f32 --out "$mem" > /dev/null
  for type in $TYPES; do
    file="$WORK/$preset-$type.gguf"
    [ -f "$file" ] || "$ROOT/memdec" quantize --in "$f32" --out "$file" --type "$type" > /dev/null
    lb=$("$LLAMA_BENCH" -m "$file" -p 64 -n 64 -t "$THREADS" -r 3 -o json 2> /dev/null)
    lb_pp=$(echo "$lb" | json "[r['avg_ts'] for r in d if r['n_prompt']>0][0]")
    lb_tg=$(echo "$lb" | json "[r['avg_ts'] for r in d if r['n_gen']>0][0]")
    row="| $preset $type | $(printf %.1f "$lb_pp")"
    tg_cells=""
    for runtime in b4916 v0.5.0; do
      mb=$("$ROOT/memdec" bench --runtime "$runtime" --host "$file" --memory "$mem" --tokens 64 --prompt-tokens 64 \
        --rounds 3 --threads "$THREADS" --json 2> /dev/null)
      pp=$(echo "$mb" | json "d['host_prefill_tokens_per_second']")
      tg=$(echo "$mb" | json "d['host_tokens_per_second']")
      row="$row | $(printf %.1f "$pp") | $(python3 -c "print(f'{$pp/$lb_pp:.2f}')")"
      tg_cells="$tg_cells | $(printf %.1f "$tg") | $(python3 -c "print(f'{$tg/$lb_tg:.2f}')")"
    done
    echo "$row | $(printf %.1f "$lb_tg")$tg_cells |"
  done
done
echo
echo "(threads $THREADS; llama-bench -p 64 -n 64 -r 3; memdec bench --prompt-tokens 64 --tokens 64 --rounds 3, host alone)"
