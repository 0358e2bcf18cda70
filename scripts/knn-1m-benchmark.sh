#!/usr/bin/env bash
# One-off scale benchmark for issue 5 (not a CI test): a >= 1M-entry datastore from the King James Bible
# (Debian bible-kjv) on a seeded random gpt2 host of n_embd 768, then `memdec knn` with IVF-PQ over it.
# Records wall time, peak RSS (/usr/bin/time -v), entries/s and file sizes. Artifacts stay in $WORK (default
# /tmp/memdec-1m), never in git. Usage: scripts/knn-1m-benchmark.sh [WORK] [LAYERS] [THREADS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-/tmp/memdec-1m}"
LAYERS="${2:-1}"
THREADS="${3:-2}"
mkdir -p "$WORK"
MEMDEC=(nice "$ROOT/memdec")
"${MEMDEC[@]}" build

if [ ! -f "$WORK/host.gguf" ]; then
  "${MEMDEC[@]}" init --layers "$LAYERS" --embd 768 --heads 12 --ctx 1024 --seed 5 --out "$WORK/host.gguf"
fi
if [ ! -f "$WORK/kjv.txt" ]; then
  # verse text only, one verse a line (chapter headers and verse numbers dropped)
  bible -l10000 Gen1:1-Rev22:21 | sed -n 's/^ *[0-9][0-9]* //p' > "$WORK/kjv.tmp"
  mv "$WORK/kjv.tmp" "$WORK/kjv.txt"
fi
# KJV alone is 1,025,508 gpt2 tokens; a second file (the New Testament again, 232,523 tokens) gives margin: 1,256,801 entries
if [ ! -f "$WORK/kjv-nt.txt" ]; then
  bible -l10000 Mat1:1-Rev22:21 | sed -n 's/^ *[0-9][0-9]* //p' > "$WORK/kjv-nt.tmp"
  mv "$WORK/kjv-nt.tmp" "$WORK/kjv-nt.txt"
fi

run() {  # run NAME CMD...: times the command, keeps its output and /usr/bin/time report
  local name="$1"; shift
  echo "== $name: $*"
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.log" 2>&1
  grep -v '%' "$WORK/$name.log" | tail -n 40
  grep -E 'Elapsed|Maximum resident' "$WORK/$name.time"
}

[ -f "$WORK/ds/datastore.json" ] || run datastore "${MEMDEC[@]}" datastore --host "$WORK/host.gguf" \
  --corpus "$WORK/kjv.txt" "$WORK/kjv-nt.txt" --out "$WORK/ds" --ctx 1024 --stride 1024 --threads "$THREADS" --json
[ -f "$WORK/knn/knn.json" ] || run knn "${MEMDEC[@]}" knn --datastore "$WORK/ds" --out "$WORK/knn" --index ivfpq --json

du -b "$WORK"/ds/keys.f16 "$WORK"/ds/values.i32 "$WORK"/knn/*.faiss "$WORK"/knn/* 2>/dev/null | sort -u
