#!/usr/bin/env bash
# The GPU check of issue #12 item 6, prepared to run in one call of the device tool on a lent GPU machine:
#   bash scripts/gpu/pack.sh                       (here, once: fills .gpu-carry/, about 45 MiB)
#   device run: command "bash scripts/gpu/device-check.sh", carry [".gpu-carry"], timeout_s 540
# It unpacks the carried JDK, jars and llama.cpp v0.5.0 (Vulkan build, and the CPU build rebuilt from the same
# files), writes a GPT-2-small-shaped host (F32 and Q8_0; HOST_SHAPE) and a 6x512 Q8_0 memory with `memdec init`, then on the
# Vulkan build with every layer on the GPU: loads and generates with the memory mixed in, checks host and joint
# perplexity against the CPU build on the same text, and benches host vs joint (F32, Q8_0) beside the CPU build.
# Results: $OUT/gpu-check.md (a table) and $OUT/device-check.log. Runs anywhere with a Vulkan device: on a machine
# without a GPU, `GGML_VK_VISIBLE_DEVICES=0` makes ggml take Mesa's lavapipe (how this script was tested).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${OUT:-$ROOT/.gpu-out}"
CARRY="$ROOT/.gpu-carry"
WORK="${WORK:-/tmp/memdec-gpu}"
THREADS="${THREADS:-8}"
# the host's shape (`memdec init` flags) and the bench's length; smaller ones make a test run on lavapipe practical
HOST_SHAPE="${HOST_SHAPE:---preset small}"
TOKENS="${TOKENS:-64}"
ROUNDS="${ROUNDS:-5}"
mkdir -p "$OUT" "$WORK"
exec > >(tee "$OUT/device-check.log") 2>&1
t0=$(date +%s)
say() { echo "[$(( $(date +%s) - t0 )) s] $*"; }

say "machine: $(nproc) cores; $(nvidia-smi -L 2>/dev/null | head -1 || echo 'no nvidia-smi')"
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  for f in "$CARRY"/libvulkan1_*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && [ -z "${VK_DRIVER_FILES:-}" ] && export VK_DRIVER_FILES="$icd"

say "unpacking"
tar -xJf "$CARRY/jdk.txz" -C "$WORK" && tar -xJf "$CARRY/jars.txz" -C "$WORK" && tar -xJf "$CARRY/llama.txz" -C "$WORK" \
  || { echo "device-check: cannot unpack $CARRY (run scripts/gpu/pack.sh first)"; exit 1; }
mkdir -p .cache/llama
rm -rf .cache/llama/v0.5.0-vulkan .cache/llama/v0.5.0
cp -r "$WORK/llama/v0.5.0-vulkan" .cache/llama/v0.5.0-vulkan
mkdir -p .cache/llama/v0.5.0
for f in .cache/llama/v0.5.0-vulkan/lib*.so; do
  case "$(basename "$f")" in *vulkan*) ;; *) cp "$f" .cache/llama/v0.5.0/ ;; esac
done
cp "$WORK"/llama/v0.5.0-cpu-only/lib*.so .cache/llama/v0.5.0/
touch .cache/llama/v0.5.0/.installed .cache/llama/v0.5.0-vulkan/.installed
CP="$(ls "$WORK"/jars/*.jar | paste -sd:)"
mkdir -p "$WORK/tmp"
memdec() {
  timeout 300 "$WORK/jdk/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m \
    -Djava.io.tmpdir="$WORK/tmp" -Dmemdec.home="$ROOT" -cp "$CP" dev.memdec.plugin.cli.Main "$@"
}

say "devices"
memdec devices --gpu-backend vulkan

say "models"
H32="$WORK/host-f32.gguf"; HQ8="$WORK/host-q8_0.gguf"; MEM="$WORK/memory-6x512-q8_0.gguf"
# shellcheck disable=SC2086 # HOST_SHAPE is a list of flags
[ -f "$H32" ] || memdec init $HOST_SHAPE --seed 1 --type f32 --out "$H32" > /dev/null
# shellcheck disable=SC2086
[ -f "$HQ8" ] || memdec init $HOST_SHAPE --seed 1 --type q8_0 --out "$HQ8" > /dev/null
[ -f "$MEM" ] || memdec init --layers 6 --embd 512 --heads 8 --ctx 1024 --seed 2 --type q8_0 --out "$MEM" > /dev/null
head -c 6000 README.md > "$WORK/text.txt"
ls -la "$WORK"/*.gguf

say "generate on the GPU (Vulkan, every layer), memory mixed in"
memdec generate --gpu-backend vulkan --host "$HQ8" --memory "$MEM" --prompt "The memory decoder" --max-tokens 24 \
  --greedy --threads "$THREADS"
gen_rc=$?

say "perplexity: CPU build vs Vulkan, F32 host + Q8_0 memory"
memdec perplexity --runtime v0.5.0 --host "$H32" --memory "$MEM" --text "$WORK/text.txt" --lambda 0.5 \
  --threads "$THREADS" --json > "$WORK/ppl-cpu.json"
memdec perplexity --gpu-backend vulkan --host "$H32" --memory "$MEM" --text "$WORK/text.txt" --lambda 0.5 \
  --threads "$THREADS" --json > "$WORK/ppl-vulkan.json"

for t in f32 q8_0; do
  h="$WORK/host-$t.gguf"
  say "bench $t: Vulkan"
  memdec bench --gpu-backend vulkan --host "$h" --memory "$MEM" --tokens "$TOKENS" --prompt-tokens 64 \
    --rounds "$ROUNDS" --threads "$THREADS" --json > "$WORK/bench-vulkan-$t.json"
  say "bench $t: CPU build"
  memdec bench --runtime v0.5.0 --host "$h" --memory "$MEM" --tokens "$TOKENS" --prompt-tokens 64 \
    --rounds "$ROUNDS" --threads "$THREADS" --json > "$WORK/bench-cpu-$t.json"
done

say "summary"
HOST_SHAPE="$HOST_SHAPE" python3 - "$WORK" "$gen_rc" > "$OUT/gpu-check.md" <<'PY'
import json, sys, os
work, gen_rc = sys.argv[1], sys.argv[2]
def load(name):
    try:
        with open(os.path.join(work, name)) as f:
            return json.load(f)
    except Exception as e:
        return {"error": str(e)}
print("# memdec GPU check (scripts/gpu/device-check.sh)\n")
print(f"generate with --gpu-backend vulkan: exit {gen_rc}\n")
c, v = load("ppl-cpu.json"), load("ppl-vulkan.json")
if "error" not in c and "error" not in v:
    print("| perplexity (F32 host, Q8_0 memory, lambda 0.5) | CPU build | Vulkan | Vulkan / CPU - 1 |\n|---|---:|---:|---:|")
    for label, a, b in [("host", c["host_ppl"], v["host_ppl"]), ("host + memory", c["joint"][0]["ppl"], v["joint"][0]["ppl"])]:
        print(f"| {label} | {a:.4f} | {b:.4f} | {b / a - 1:.2e} |")
else:
    print("perplexity:", c.get("error"), v.get("error"))
print()
rows = [("host decode (ms/token)", "host_ms_per_token"), ("memory decode (ms/token)", "memory_ms_per_token"),
        ("joint decode (ms/token)", "joint_ms_per_token"), ("joint / (host + memory)", "joint_over_host_plus_memory"),
        ("host's decode in a joint step (ms)", "joint_host_decode_ms_per_token"),
        ("memory's decode in a joint step (ms)", "joint_memory_decode_ms_per_token"), ("mixing (ms/token)", "mix_ms_per_token"),
        ("rest of a joint step (ms)", "joint_other_ms_per_token"),
        ("host prefill (tok/s)", "host_prefill_tokens_per_second"), ("joint prefill (tok/s)", "joint_prefill_tokens_per_second")]
for t in ["f32", "q8_0"]:
    cpu, gpu = load(f"bench-cpu-{t}.json"), load(f"bench-vulkan-{t}.json")
    print(f"| bench, {t} host ({os.environ.get('HOST_SHAPE', '--preset small')}) + 6x512 Q8_0 memory | CPU build | Vulkan ({', '.join(gpu.get('gpu_devices', []))}) |\n|---|---:|---:|")
    for label, key in rows:
        a, b = cpu.get(key), gpu.get(key)
        fmt = lambda x: f"{x:.3f}" if isinstance(x, (int, float)) else str(x)
        print(f"| {label} | {fmt(a)} | {fmt(b)} |")
    print()
PY
cat "$OUT/gpu-check.md"
say "done"
