#!/usr/bin/env bash
# libgomp's spin count on b4916, side by side in one run (README "MLP memories"): `memdec bench` with the MLP memory
# under libgomp's default (GOMP_SPINCOUNT=300000, what the launcher leaves in place) and under 10000 (the opt-in for MLP
# memories), alternated. Reported per run: the host's own decode, the MLP forward inside a step and alone (back to back),
# their ratio. Uses the files of scripts/bench/mlp-memory.sh (host-small-q8, mlp-4-q8_0) and a tiny memory decoder.
#   scripts/bench/gomp-spin.sh [THREADS] [REPEATS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
W="$ROOT/.cache/bench"
THREADS="${1:-2}"
REPEATS="${2:-2}"
M="$ROOT/memdec"
[ -f "$W/tiny-mem.gguf" ] || "$M" init --layers 2 --embd 64 --heads 2 --ctx 1024 --seed 2 --type f32 \
  --out "$W/tiny-mem.gguf" > /dev/null
for f in host-small-q8 mlp-4-q8_0; do
  [ -f "$W/$f.gguf" ] || { echo "gomp-spin.sh: $W/$f.gguf missing (scripts/bench/mlp-memory.sh makes it)" >&2; exit 1; }
done
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
echo "| GOMP_SPINCOUNT | host decode ms | MLP forward in a step ms | MLP forward alone ms | in step / alone | MLP step / host step |"
echo "|---:|---:|---:|---:|---:|---:|"
for rep in $(seq "$REPEATS"); do
  for spin in 300000 10000; do
    out=$(GOMP_SPINCOUNT=$spin "$M" bench --runtime b4916 --host "$W/host-small-q8.gguf" --memory "$W/tiny-mem.gguf" \
      --mlp-memory "$W/mlp-4-q8_0.gguf" --tokens 16 --prompt-tokens 16 --rounds 3 --threads "$THREADS" --json 2> /dev/null)
    echo "| $spin | $(echo "$out" | json "'%.2f | %.2f | %.2f | %.2f | %.3f' % (d['host_ms_per_token'], d['mlp_forward_ms_per_token'], d['mlp_forward_alone_ms'], d['mlp_forward_in_step_over_alone'], d['mlp_over_host'])") |"
  done
done
echo
echo "(threads $THREADS; memdec bench --tokens 16 --prompt-tokens 16 --rounds 3, medians; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
