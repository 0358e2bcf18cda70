#!/usr/bin/env bash
# Side-by-side speed, one run, same files, same threads: llama.cpp's own llama-bench (v0.5.0, built from the git
# bundle inside npm node-llama-cpp@3.22.1) against `./memdec bench` on each runtime profile (b4916, v0.5.0).
# Not part of CI (it builds llama.cpp: about 10 minutes on 2 cores, once; the build stays in .cache/llama/bench).
#
#   scripts/bench-vs-llama-bench.sh [preset ...]     small and/or medium (`memdec init --preset`; default small); env THREADS (2),
#                                                    TYPES ("f32 q8_0"), REPEATS (3 alternations), LLAMA_BENCH (an existing llama-bench binary)
#                                                    GGML_CPU_LIB (the v0.5.0 CPU backend memdec loads here;
#                                                    default libggml-cpu-haswell.so, the AVX2 one)
# Prints a markdown table: prefill (64 tokens) and decode (64 steps) tok/s of each, and memdec / llama-bench, as medians
# of REPEATS alternations of all columns. llama-bench
# runs three ways: as users run it (native build, flash attention auto), with flash attention off (memdec pins it off,
# see LlamaLibrary.pinContextDefaults), and off on memdec's own prebuilt CPU backend (the same llama-bench with that
# backend's library put first on its library path): the last is the like-for-like peer of memdec on v0.5.0. memdec
# also runs on llama-bench's own libraries (--llama-dir, installed from the same build folder by build-llama.sh), whose
# peer is llama-bench native with fa off.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="${THREADS:-2}"
TYPES="${TYPES:-f32 q8_0}"
REPEATS="${REPEATS:-3}"
PRESETS=("${@:-small}")
WORK="$ROOT/.cache/llama/bench"
mkdir -p "$WORK"
. "$ROOT/scripts/llama-source.sh"

if [ -z "${LLAMA_BENCH:-}" ]; then
  LLAMA_BENCH="$WORK/src/build/bin/llama-bench"
  if [ ! -x "$LLAMA_BENCH" ]; then
    echo "bench: building llama-bench v0.5.0 (once, ~10 min)" >&2
    src=$(memdec_llama_source)
    memdec_llama_configure "$src" "$src/build" > "$WORK/cmake.log"
    cmake --build "$src/build" -j"$THREADS" --target llama-bench > "$WORK/build.log"
  fi
fi

# memdec on the very libraries llama-bench uses: the same build folder, installed for --llama-dir by build-llama.sh
LOCAL="$WORK/../v0.5.0-local"
[ -f "$LOCAL/memdec-build.txt" ] || bash "$ROOT/scripts/build-llama.sh" --out "$LOCAL"

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# llama-bench on memdec's prebuilt CPU backend: its libggml-cpu.so.0 replaced by the prebuilt variant (which needs
# libggml-base.so by that name), ahead of llama-bench's run path.
CPU_LIB="${GGML_CPU_LIB:-libggml-cpu-haswell.so}"
PREBUILT="$WORK/prebuilt-cpu"
mkdir -p "$PREBUILT"
ln -sf "$ROOT/.cache/llama/v0.5.0/$CPU_LIB" "$PREBUILT/libggml-cpu.so.0"
ln -sf "$(dirname "$LLAMA_BENCH")/libggml-base.so.0" "$PREBUILT/libggml-base.so"
lb_run() { # FILE LIBRARY_PATH (empty: llama-bench's own libraries) FLASH_ATTN -> "pp tg"
  LD_LIBRARY_PATH="$2" "$LLAMA_BENCH" -m "$1" -p 64 -n 64 -t "$THREADS" -r 3 -fa "$3" -o json 2> /dev/null \
    | json "' '.join(str(r['avg_ts']) for r in d)"
}
# the medians of REPEATS alternations: each repeat runs every column once, back to back, and each ratio is taken
# within its repeat (this VM's speed drifts by more than the 3 % being judged over the minutes a file takes)
summarize() { # RAW PRESET TYPE
  python3 - "$@" <<'PY'
import statistics, sys
raw, preset, kind = sys.argv[1:4]
runs = {}
probe = []  # per repeat: (read bandwidth memdec's probe measured in the --llama-dir run, bytes a host step reads)
for line in open(raw):
    tool, *v = line.split()
    runs.setdefault(tool, []).append(tuple(float(x) for x in v[:2]))
    if tool == "local":
        probe.append((float(v[2]), float(v[3])))
def med(tool, k): return statistics.median(r[k] for r in runs[tool])
def ratio(a, b, k): return statistics.median(x[k] / y[k] for x, y in zip(runs[a], runs[b]))
def frac(tool): return statistics.median(r[1] * b / bw for r, (bw, b) in zip(runs[tool], probe))
for k, name in ((0, "prefill 64 (tok/s)"), (1, "decode (tok/s)")):
    print(f"| {preset} {kind} | {name} | {med('lb_auto', k):.1f} | {med('lb_off', k):.1f} | {med('lb_pre', k):.1f} "
          f"| {med('b4916', k):.1f} | {med('v0.5.0', k):.1f} | {ratio('v0.5.0', 'lb_pre', k):.3f} "
          f"| {med('local', k):.1f} | {ratio('local', 'lb_off', k):.3f} |")
# the decode against the read bandwidth of the native probe, one probe per repeat for every column (its readings
# wander by a fifth between runs here, so a fraction from another minute's probe says little)
print(f"| {preset} {kind} | decode, fraction of the read bandwidth ({statistics.median(p[0] for p in probe) / 1e9:.1f} GB/s) "
      f"| {frac('lb_auto'):.2f} | {frac('lb_off'):.2f} | {frac('lb_pre'):.2f} | {frac('b4916'):.2f} | {frac('v0.5.0'):.2f} "
      f"| | {frac('local'):.2f} | |")
PY
}

echo "| file | measure | llama-bench native, fa auto | llama-bench native, fa off | llama-bench on memdec's $CPU_LIB, fa off | memdec b4916 | memdec v0.5.0 | memdec v0.5.0 / like-for-like llama-bench | memdec v0.5.0 --llama-dir (native build) | that / llama-bench native, fa off |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for preset in "${PRESETS[@]}"; do
  f32="$WORK/$preset-f32.gguf"
  [ -f "$f32" ] || "$ROOT/memdec" init --preset "$preset" --seed 1 --type f32 --out "$f32" > /dev/null
  # `memdec bench` needs a memory; a tiny one (its speed is not reported here)
  mem="$WORK/tiny-mem.gguf"
  [ -f "$mem" ] || "$ROOT/memdec" init --layers 2 --embd 64 --heads 2 --ctx 1024 --seed 2 --type f32 --out "$mem" > /dev/null
  for type in $TYPES; do
    file="$WORK/$preset-$type.gguf"
    [ -f "$file" ] || "$ROOT/memdec" quantize --in "$f32" --out "$file" --type "$type" > /dev/null
    raw=$(mktemp)
    for _ in $(seq "$REPEATS"); do
      echo "lb_auto $(lb_run "$file" "" auto)" >> "$raw"
      echo "lb_off $(lb_run "$file" "" off)" >> "$raw"
      echo "lb_pre $(lb_run "$file" "$PREBUILT" off)" >> "$raw"
      for runtime in b4916 v0.5.0 local; do
        flag=(--runtime "$runtime")
        [ "$runtime" = local ] && flag=(--llama-dir "$LOCAL")
        "$ROOT/memdec" bench "${flag[@]}" --host "$file" --memory "$mem" --tokens 64 --prompt-tokens 64 \
          --rounds 3 --threads "$THREADS" --json 2> /dev/null \
          | json "' '.join(map(str, ['$runtime', d['host_prefill_tokens_per_second'], d['host_tokens_per_second'],
              d['read_bandwidth_bytes_per_second'], d['host_bytes']]))" >> "$raw"
      done
    done
    summarize "$raw" "$preset" "$type"
    rm -f "$raw"
  done
done
echo
echo "(threads $THREADS; medians of $REPEATS alternations, ratios taken within each; llama-bench -p 64 -n 64 -r 3;"
echo " memdec bench --prompt-tokens 64 --tokens 64 --rounds 3, host alone, a greedy sample in each decode step, which"
echo " llama-bench does not take)"
