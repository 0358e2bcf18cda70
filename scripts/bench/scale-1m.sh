#!/usr/bin/env bash
# Issue 18's scale measurements (not a CI test; README "Datastore and kNN targets on Spark", measured tables):
#   corpus   the King James Bible (Debian `bible`), verse text by chapter: every 100th chapter (50, 150, ...) to
#            validation, every 100th + 99 to test (each cut to 16,000 characters), the rest in order to training:
#            s00..s09 (25,000 characters each, ~10k entries each) and rest.txt (the remainder, cut so the whole
#            training text gives ~1.08M entries at the chars/token ratio measured on s00's datastore)
#   ds10k    datastore of s00; ds100k of s00..s09; ds1m of s00..s09 + rest.txt (>= 1,000,000 entries)
#   spark    ds100k again with --spark local-cluster[1,1,2048] (one executor JVM, --threads 2),
#            local-cluster[2,1,2048] (two executor JVMs, --threads 1 each) and local[2] (two task threads in the
#            driver's JVM, --threads 1 each); each compared byte for byte (cmp) with ds100k
#   knn1m    `memdec knn` over ds1m: IVF-PQ (auto plan), k = $K (default 256), T 16, nprobe $NPROBE (default 8)
#   recall   `memdec knn --recall 1000` on knn1m at nprobe 8 and 32 (recall@k against exact flat search)
#   small    kNN targets of ds10k (flat and IVF-PQ) and ds100k (IVF-PQ), k = $K
#   memory   Memory Decoders from the host (`train --init`) on the kNN targets of ds10k, ds100k (and ds1m with
#            MEMORY_1M=1), exported Q8_0 as the demo runs them
#   curve    KnnLmCurve (plugin, a main) per size: flat and IVF-PQ kNN-LM retrieval cost per token and held-out
#            perplexity, the memory's held-out perplexity; `memdec bench` for the memory's (and kNN-LM's) step cost
#   memory1m, curve1m (named only): the 1M memory, and the 1M points of the curve, without the smaller sizes
# The host is the demo's shipped one (4x256x4 GPT-2, 1,024-token BPE). Every stage is skipped when its output
# exists; logs, /usr/bin/time -v reports and results stay in WORK (default /tmp/memdec-scale), never in git.
#   scripts/bench/scale-1m.sh [WORK] [STAGE ...]     (no stage: all, in the order above)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${1:-/tmp/memdec-scale}"
shift || true
STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(corpus ds10k ds100k spark ds1m knn1m recall small memory curve report)
K="${K:-256}"
THREADS="${THREADS:-2}"
NPROBE="${NPROBE:-8}"   # IVF lists searched by the kNN builds (recall is measured at 8 and 32 either way)
HOST="$ROOT/trainer/src/main/resources/dev/memdec/trainer/demo/host.gguf"
M="$ROOT/memdec"
mkdir -p "$WORK"
C="$WORK/corpus"

run() {  # run NAME CMD...: times CMD (wall, peak RSS) into WORK/NAME.time, its output into WORK/NAME.log
  local name="$1"; shift
  echo "== $(date -u +%H:%M:%S) $name: $*"
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.log" 2>&1 || { tail -n 20 "$WORK/$name.log"; return 1; }
  { grep -v '%' "$WORK/$name.log" || true; } | tail -n 6
  grep -E 'Elapsed|Maximum resident' "$WORK/$name.time" || true
}

entries() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['count'])" "$1/datastore.json"; }

stage_corpus() {
  [ -f "$C/s00.txt" ] && return 0
  mkdir -p "$C"
  bible -l100000 Gen1:1-Rev22:21 > "$WORK/kjv-raw.txt"
  python3 - "$WORK/kjv-raw.txt" "$C" <<'EOF'
import re, sys
raw, out = sys.argv[1], sys.argv[2]
chapters, cur = [], None
for line in open(raw, encoding="utf-8"):
    if re.match(r"^\S.* \d+$", line.rstrip("\n")):        # "Genesis 1": a chapter header
        cur = []; chapters.append(cur); continue
    m = re.match(r"^ *\d+ (.*)$", line.rstrip("\n"))
    if m and cur is not None:
        cur.append(m.group(1))
valid, test, train = [], [], []
for i, ch in enumerate(chapters):
    (valid if i % 100 == 50 else test if i % 100 == 99 else train).extend(ch)
def cut(lines, limit):
    out, n = [], 0
    for l in lines:
        if n + len(l) + 1 > limit: break
        out.append(l); n += len(l) + 1
    return out
open(f"{out}/valid.txt", "w").write("\n".join(cut(valid, 16000)) + "\n")
open(f"{out}/test.txt", "w").write("\n".join(cut(test, 16000)) + "\n")
rest = train
for s in range(10):
    part = cut(rest, 25000)
    open(f"{out}/s{s:02d}.txt", "w").write("\n".join(part) + "\n")
    rest = rest[len(part):]
open(f"{out}/rest-all.txt", "w").write("\n".join(rest) + "\n")
print(f"{len(chapters)} chapters; valid {len(valid)} verses, test {len(test)}, train {len(train)}")
EOF
  wc -c "$C"/*.txt
}

stage_ds10k() {
  [ -f "$WORK/ds10k/datastore.json" ] || run ds10k "$M" datastore --host "$HOST" --corpus "$C/s00.txt" \
    --out "$WORK/ds10k" --ctx 128 --stride 64 --threads "$THREADS"
  echo "ds10k: $(entries "$WORK/ds10k") entries from $(wc -c < "$C/s00.txt") characters"
}

shards() { for s in 00 01 02 03 04 05 06 07 08 09; do printf '%s ' "$C/s$s.txt"; done; }

stage_ds100k() {
  # shellcheck disable=SC2046
  [ -f "$WORK/ds100k/datastore.json" ] || run ds100k "$M" datastore --host "$HOST" --corpus $(shards) \
    --out "$WORK/ds100k" --ctx 128 --stride 64 --threads "$THREADS"
  echo "ds100k: $(entries "$WORK/ds100k") entries"
}

# local-cluster masters start each executor as its own JVM through Spark's launcher, which wants a Spark
# installation; with spark.testing set the executors take the driver's class path instead, and SPARK_TESTING /
# SPARK_SCALA_VERSION tell the launcher library not to look for SPARK_HOME/jars. JAVA_TOOL_OPTIONS reaches the
# executor JVMs too (they inherit the environment): the flags ./memdec gives its own JVM.
spark_env() {
  mkdir -p "$WORK/spark-home"
  export SPARK_TESTING=1 SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
  export JAVA_TOOL_OPTIONS="-Dspark.testing=true -Dspark.test.home=$WORK/spark-home --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -Dmemdec.home=$ROOT -Dde.kherud.llama.tmpdir=$ROOT/.cache/tmp -Djava.io.tmpdir=$ROOT/.cache/tmp"
}

same_datastore() {
  for f in datastore.json keys.f16 values.i32 tokens.i32; do
    cmp "$1/$f" "$2/$f" || { echo "$2/$f differs from $1/$f"; return 1; }
  done
  echo "$2: identical to $1 (datastore.json, keys.f16, values.i32, tokens.i32)"
}

stage_spark() {
  # shellcheck disable=SC2046
  for spec in "lc1:local-cluster[1,1,2048]:2" "lc2:local-cluster[2,1,2048]:1" "l2:local[2]:1"; do
    IFS=: read -r name master threads <<< "$spec"
    [ -f "$WORK/ds100k-$name/datastore.json" ] || (spark_env; run "spark-$name" "$M" datastore --host "$HOST" \
      --corpus $(shards) --out "$WORK/ds100k-$name" --ctx 128 --stride 64 --threads "$threads" --spark "$master")
    same_datastore "$WORK/ds100k" "$WORK/ds100k-$name"
  done
}

stage_ds1m() {
  if [ ! -f "$C/rest.txt" ]; then   # cut rest-all.txt so the training text gives ~1.08M entries
    python3 - "$C" "$(entries "$WORK/ds10k")" <<'EOF'
import os, sys
c, e10 = sys.argv[1], int(sys.argv[2])
ratio = os.path.getsize(f"{c}/s00.txt") / e10          # characters per entry
have = sum(os.path.getsize(f"{c}/s{s:02d}.txt") for s in range(10))
need = int(1_080_000 * ratio) - have
text = open(f"{c}/rest-all.txt", encoding="utf-8").read()
if len(text) < need:
    sys.exit(f"rest-all.txt has {len(text)} characters, {need} needed")
cut = text.rfind("\n", 0, need) + 1
open(f"{c}/rest.txt", "w", encoding="utf-8").write(text[:cut])
print(f"{ratio:.3f} characters per entry; rest.txt {cut} characters")
EOF
  fi
  # shellcheck disable=SC2046
  [ -f "$WORK/ds1m/datastore.json" ] || run ds1m "$M" datastore --host "$HOST" --corpus $(shards) "$C/rest.txt" \
    --out "$WORK/ds1m" --ctx 128 --stride 64 --threads "$THREADS"
  echo "ds1m: $(entries "$WORK/ds1m") entries"
}

stage_knn1m() {
  if [ ! -f "$WORK/knn1m/knn.json" ]; then
    # the index is written (atomically) before the search starts: its appearance splits build from search
    local t0; t0=$(date +%s.%N)
    ( while [ ! -f "$WORK/knn1m/index.faiss" ]; do sleep 1; done
      echo "index.faiss written $(echo "$(date +%s.%N) - $t0" | bc) s after the start" > "$WORK/knn1m.index-time" ) &
    local watcher=$!
    run knn1m "$M" knn --datastore "$WORK/ds1m" --out "$WORK/knn1m" --index ivfpq --k "$K" --nprobe "$NPROBE"
    kill "$watcher" 2> /dev/null || true
  fi
  cat "$WORK/knn1m.index-time" 2> /dev/null || true
  du -b "$WORK/ds1m/keys.f16" "$WORK/knn1m/index.faiss" "$WORK/knn1m"/*.i32 "$WORK/knn1m"/*.f16
}

stage_recall() {
  [ -f "$WORK/recall1m.log" ] || run recall1m "$M" knn --datastore "$WORK/ds1m" --out "$WORK/knn1m" --recall 1000 \
    --recall-nprobe 8,32
  cat "$WORK/recall1m.log"
}

stage_small() {
  [ -f "$WORK/knn10k-flat/knn.json" ] || run knn10k-flat "$M" knn --datastore "$WORK/ds10k" --out "$WORK/knn10k-flat" \
    --index flat --k "$K"
  [ -f "$WORK/knn10k-ivfpq/knn.json" ] || run knn10k-ivfpq "$M" knn --datastore "$WORK/ds10k" \
    --out "$WORK/knn10k-ivfpq" --index ivfpq --k "$K" --nprobe "$NPROBE"
  [ -f "$WORK/knn100k/knn.json" ] || run knn100k "$M" knn --datastore "$WORK/ds100k" --out "$WORK/knn100k" \
    --index ivfpq --k "$K" --nprobe "$NPROBE"
  [ -f "$WORK/recall100k.log" ] || run recall100k "$M" knn --datastore "$WORK/ds100k" --out "$WORK/knn100k" \
    --recall 1000 --recall-nprobe 8,32
  cat "$WORK/recall100k.log"
}

memory() {  # memory SIZE KNN EPOCHS
  local size="$1" knn="$2" epochs="$3"
  [ -f "$WORK/mem$size/memory-q8_0.gguf" ] && return 0
  run "train$size" "$M" train --datastore "$WORK/ds$size" --knn "$WORK/$knn" --init "$HOST" --out "$WORK/mem$size/train" \
    --epochs "$epochs" --batch 8 --lr 2e-3 --beta 0.5 --threads "$THREADS"
  "$M" export --checkpoint "$WORK/mem$size/train" --out "$WORK/mem$size/memory-q8_0.gguf" --type q8_0
}

stage_memory() {
  memory 10k knn10k-flat "${EPOCHS_10K:-3}"
  memory 100k knn100k "${EPOCHS_100K:-2}"
  [ "${MEMORY_1M:-0}" = 1 ] && memory 1m knn1m "${EPOCHS_1M:-1}"
  return 0
}

curve() {  # curve NAME ARGS...: KnnLmCurve, its JSON in WORK/curve-NAME.json
  local name="$1"; shift
  [ -f "$WORK/curve-$name.json" ] && return 0
  . "$ROOT/scripts/java-env.sh"
  run "curve-$name" java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
    -Dmemdec.home="$ROOT" -Dde.kherud.llama.tmpdir="$ROOT/.cache/tmp" -Djava.io.tmpdir="$ROOT/.cache/tmp" \
    -cp "$ROOT/plugin/target/classes:$(cat "$ROOT/plugin/target/classpath.txt")" \
    dev.memdec.plugin.retrieval.KnnLmCurve host="$HOST" valid="$C/valid.txt" test="$C/test.txt" k="$K" temp=16 \
    ctx=128 stride=64 threads="$THREADS" "$@"
  sed -n '/^{/,$p' "$WORK/curve-$name.log" > "$WORK/curve-$name.json"
}

bench() {  # bench NAME ARGS...: memdec bench --json into WORK/bench-NAME.json
  local name="$1"; shift
  [ -f "$WORK/bench-$name.json" ] && return 0
  run "bench-$name" "$M" bench --host "$HOST" --tokens 64 --prompt-tokens 32 --rounds 5 --threads "$THREADS" --json "$@"
  sed -n '/^{/,$p' "$WORK/bench-$name.log" > "$WORK/bench-$name.json"
}

stage_memory1m() {  # the 1M memory alone (not in the default order: about 10 minutes per epoch on 2 cores)
  memory 1m knn1m "${EPOCHS_1M:-1}"
}
stage_curve1m() {  # the 1M points of the curve alone: the memory, flat and IVF-PQ kNN-LM over ds1m
  [ -f "$WORK/mem1m/memory-q8_0.gguf" ] && curve mem1m memory="$WORK/mem1m/memory-q8_0.gguf"
  curve flat1m ds="$WORK/ds1m" index=flat
  curve ivfpq1m ds="$WORK/ds1m" index="$WORK/knn1m"
  curve ivfpq1m-nprobe32 ds="$WORK/ds1m" index="$WORK/knn1m" nprobe=32
}
stage_curve() {
  for size in 10k 100k 1m; do
    [ -f "$WORK/mem$size/memory-q8_0.gguf" ] && curve "mem$size" memory="$WORK/mem$size/memory-q8_0.gguf"
    curve "flat$size" ds="$WORK/ds$size" index=flat
  done
  curve ivfpq10k ds="$WORK/ds10k" index="$WORK/knn10k-ivfpq"
  curve ivfpq100k ds="$WORK/ds100k" index="$WORK/knn100k"
  curve ivfpq1m ds="$WORK/ds1m" index="$WORK/knn1m"
  curve ivfpq100k-nprobe32 ds="$WORK/ds100k" index="$WORK/knn100k" nprobe=32
  curve ivfpq1m-nprobe32 ds="$WORK/ds1m" index="$WORK/knn1m" nprobe=32
  bench mem10k-flat10k --memory "$WORK/mem10k/memory-q8_0.gguf" --knn "$WORK/knn10k-flat"
  bench mem100k-ivfpq100k --memory "$WORK/mem100k/memory-q8_0.gguf" --knn "$WORK/knn100k"
  bench mem100k-ivfpq1m --memory "$WORK/mem100k/memory-q8_0.gguf" --knn "$WORK/knn1m"
  python3 - "$WORK" <<'EOF'
import glob, json, os, sys
w = sys.argv[1]
for f in sorted(glob.glob(f"{w}/curve-*.json")):
    d = json.load(open(f)); name = os.path.basename(f)[6:-5]
    row = [name, str(d.get("entries", "-")), d.get("index", "-")]
    lat = d.get("retrieval_ms_per_token")
    row.append(f"{lat['median']:.3f}" if lat else "-")
    for key in ("knn_lm_curve", "memory_curve"):
        if key in d:
            c = d[key]; row.append(f"λ {c['lambda']:.2f}: valid {c['valid_ppl']:.2f}, test {c['test_ppl']:.2f}")
    row.append(f"host test {d['host_test_ppl']:.2f} ({d['test_tokens']} tokens)")
    print(" | ".join(row))
for f in sorted(glob.glob(f"{w}/bench-*.json")):
    d = json.load(open(f))
    print(os.path.basename(f)[6:-5], "host %.2f ms, host+memory %.2f ms, host+kNN-LM %s ms" % (
        d["host_ms_per_token"], d["joint_ms_per_token"], "%.2f" % d["knn_lm_ms_per_token"] if "knn_lm_ms_per_token" in d else "-"))
EOF
}

stage_report() {  # every timed run: wall, peak RSS, and entries/s where its output is a datastore or kNN dir
  python3 - "$WORK" <<'EOF'
import glob, json, os, re, sys
w = sys.argv[1]
def timing(name):
    t = open(f"{w}/{name}.time").read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    sec = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
    return sec, rss
outputs = {"ds10k": "ds10k/datastore.json", "ds100k": "ds100k/datastore.json", "ds1m": "ds1m/datastore.json",
           "spark-lc1": "ds100k-lc1/datastore.json", "spark-lc2": "ds100k-lc2/datastore.json",
           "spark-l2": "ds100k-l2/datastore.json",
           "knn1m": "knn1m/knn.json", "knn10k-flat": "knn10k-flat/knn.json", "knn10k-ivfpq": "knn10k-ivfpq/knn.json",
           "knn100k": "knn100k/knn.json"}
print("| run | entries | wall s | entries/s | peak RSS MiB |")
print("|---|---:|---:|---:|---:|")
for f in sorted(glob.glob(f"{w}/*.time")):
    name = os.path.basename(f)[:-5]
    sec, rss = timing(name)
    out = f"{w}/{outputs.get(name, '-')}"
    n = json.load(open(out))["count"] if os.path.isfile(out) else None
    print(f"| {name} | {n if n else '-'} | {sec:.1f} | {f'{n / sec:.0f}' if n else '-'} | {rss:.0f} |")
EOF
}

"$M" knn --help > /dev/null   # builds first when sources changed (`memdec build` always rebuilds)
for s in "${STAGES[@]}"; do "stage_$s"; done
