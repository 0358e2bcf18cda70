#!/usr/bin/env bash
# Packs what scripts/gpu/device-check.sh needs on the lent GPU machine into .gpu-carry/ (git-ignored; name it in the
# device tool's `carry`). That machine has no JDK and no network, and what travels (working tree + carry) must stay
# under 64 MiB (shared/docs/gpu.md), so everything is xz-compressed and trimmed to what the check runs:
#   jdk.txz    a jlink image of JDK 25 (the modules memdec's runtime commands use)
#   jars.txz   memdec's plugin, native and converter jars and their dependencies, less java-llama.cpp (b4916 only)
#              and the plotting libraries
#   llama.txz  llama.cpp v0.5.0's Vulkan build (every library of its pinned list) and the three files in which the
#              CPU build differs from it (the rest of the CPU build is the same files; device-check.sh rebuilds it)
#   libvulkan1_*.deb  the Vulkan loader, in case the machine lacks it
# The CUDA build cannot travel (libggml-cuda.so alone is 159 MB); the check runs the Vulkan build on the GPU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
. scripts/java-env.sh
. scripts/packages.sh
memdec_ensure_llama_v05
memdec_ensure_llama_v05 vulkan
./memdec build
CARRY="$ROOT/.gpu-carry"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
rm -rf "$CARRY" && mkdir -p "$CARRY"

jlink --add-modules java.base,java.logging,jdk.incubator.vector,jdk.httpserver,jdk.unsupported \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$STAGE/jdk" 2>/dev/null
tar -cJf "$CARRY/jdk.txz" -C "$STAGE" jdk

mkdir -p "$STAGE/jars"
for j in plugin/target/memdec-plugin-*-SNAPSHOT.jar $(tr ':' '\n' < plugin/target/classpath.txt); do
  # not java-llama.cpp (b4916 only), nor the PNG/PDF plotting stack (perplexity --plot), which the check never runs
  case "$j" in *-tests.jar|*/llama-4.2.0.jar|*/xchart-*|*/pdfbox*|*/fontbox-*|*/VectorGraphics2D-*|*/graphics2d-*|\
    */animated-gif-lib-*|*/commons-logging-*) continue ;; esac
  cp "$j" "$STAGE/jars/"
done
tar -cJf "$CARRY/jars.txz" -C "$STAGE" jars

mkdir -p "$STAGE/llama/v0.5.0-vulkan" "$STAGE/llama/v0.5.0-cpu-only"
cp .cache/llama/v0.5.0-vulkan/lib*.so "$STAGE/llama/v0.5.0-vulkan/"
for f in .cache/llama/v0.5.0/lib*.so; do
  cmp -s "$f" ".cache/llama/v0.5.0-vulkan/$(basename "$f")" || cp "$f" "$STAGE/llama/v0.5.0-cpu-only/"
done
tar -cJf "$CARRY/llama.txz" -C "$STAGE" llama

(cd "$CARRY" && apt-get download libvulkan1 > /dev/null 2>&1) || echo "pack: apt-get download libvulkan1 failed; the check relies on the machine's loader" >&2

tree=$(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1)
carry=$(du -cb "$CARRY"/* | tail -1 | cut -f1)
echo "pack: .gpu-carry $((carry / 1048576)) MiB + working tree $((tree / 1048576)) MiB (limit 64 MiB)"
ls -la "$CARRY"
[ $((tree + carry)) -lt $((64 * 1048576)) ] || { echo "pack: over the 64 MiB the device tool carries" >&2; exit 1; }
