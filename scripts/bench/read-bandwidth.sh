#!/usr/bin/env bash
# Checks `memdec bench`'s read bandwidth (memchr through FFM) against an independent native read loop
# (read-bandwidth.c, a multi-threaded C sum) on the same machine, in one run:
#   scripts/bench/read-bandwidth.sh [HOST.gguf MEMORY.gguf] [THREADS]
# Without models it makes random-weight ones with `memdec init` (a GPT-2-small-shaped F32 host, 498 MB, larger than
# any cache, and a 2x256 memory) in .cache/bench. Prints both bandwidths, their ratio, and the host decode's
# bandwidth-limit fraction as bench computes it and as the C loop's bandwidth gives it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.cache/bench"
mkdir -p "$WORK"
if [ $# -ge 2 ]; then HOST="$1"; MEMORY="$2"; shift 2; else HOST="$WORK/host-small-f32.gguf"; MEMORY="$WORK/memory-2x256.gguf"; fi
THREADS="${1:-$(nproc)}"
BYTES=$((512 << 20))   # bench's probe size

gcc -O3 -march=native -pthread -o "$WORK/read-bandwidth" "$ROOT/scripts/bench/read-bandwidth.c"
[ -f "$HOST" ] || "$ROOT/memdec" init --preset small --seed 1 --type f32 --out "$HOST" >/dev/null
[ -f "$MEMORY" ] || "$ROOT/memdec" init --layers 2 --embd 256 --heads 4 --ctx 1024 --seed 2 --type f32 --out "$MEMORY" >/dev/null

c_loop() { "$WORK/read-bandwidth" "$BYTES" "$THREADS" 5 | python3 -c 'import json,sys; print(json.load(sys.stdin)["read_bandwidth_bytes_per_second"])'; }
before=$(c_loop)
"$ROOT/memdec" bench --host "$HOST" --memory "$MEMORY" --threads "$THREADS" --tokens 32 --prompt-tokens 32 --rounds 3 --json > "$WORK/bench.json"
after=$(c_loop)
python3 - "$WORK/bench.json" "$before" "$after" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
c = max(float(sys.argv[2]), float(sys.argv[3]))
bench_bw = b["read_bandwidth_bytes_per_second"]
host_ms = 1000 / b["host_tokens_per_second"]
independent = b["host_bytes"] / c * 1000 / host_ms
print(f"| bench read bandwidth (memchr via FFM, {b['threads']} threads) | {bench_bw / 1e9:.2f} GB/s |")
print(f"| independent C read loop (best of before/after bench) | {c / 1e9:.2f} GB/s |")
print(f"| bench / C loop | {bench_bw / c:.3f} |")
print(f"| host decode | {host_ms:.2f} ms/step, {b['host_bytes'] / 1e6:.1f} MB of weights |")
print(f"| host bandwidth-limit fraction, bench | {b['host_bandwidth_limit_fraction']:.3f} |")
print(f"| host bandwidth-limit fraction, from the C loop | {independent:.3f} |")
print(f"| joint bandwidth-limit fraction, bench | {b['bandwidth_limit_fraction']:.3f} |")
PY
