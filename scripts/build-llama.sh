#!/usr/bin/env bash
# Builds llama.cpp v0.5.0 of your own from the pinned source (scripts/llama-source.sh) for `--llama-dir DIR`: shared
# libraries for this machine's CPU (-DGGML_NATIVE=ON; the prebuilt AVX2 backend of the npm package prefills F32 at about
# half the speed of this build on a Zen 3), optionally with CUDA for the toolkit and GPU at hand, and writes the
# manifest memdec checks before loading them (memdec-build.txt: the sha256 of each library, in load order).
#
#   scripts/build-llama.sh [--cuda] [--out DIR] [-- cmake flags ...]
#     --cuda    also the CUDA backend (needs nvcc; CUDA_ARCH sets CMAKE_CUDA_ARCHITECTURES, default native)
#     --out     where the libraries go (default .cache/llama/v0.5.0-local, or v0.5.0-local-cuda)
# Then: ./memdec generate --llama-dir .cache/llama/v0.5.0-local --host H.gguf ...   (or MEMDEC_LLAMA_DIR=...)
# About 5 minutes on 2 cores for the CPU build (target `llama` only); a CUDA build takes much longer.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/llama-source.sh"
CUDA=0
OUT=""
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) CUDA=1 ;;
    --out) OUT="$2"; shift ;;
    --out=*) OUT="${1#--out=}" ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "build-llama: unknown argument '$1' (expected --cuda, --out DIR, -- cmake flags)" >&2; exit 1 ;;
  esac
  shift
done
src=$(memdec_llama_source)
flags=(-DCMAKE_BUILD_RPATH='$ORIGIN')
libs=(libggml-base.so.0 libggml-cpu.so.0)
if [ "$CUDA" = 1 ]; then
  command -v nvcc > /dev/null || { echo "build-llama: --cuda needs nvcc on PATH" >&2; exit 1; }
  flags+=(-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-native}")
  libs+=(libggml-cuda.so.0)
  build="$src/build-cuda"
  OUT="${OUT:-$ROOT/.cache/llama/v0.5.0-local-cuda}"
else
  build="$src/build"   # the llama-bench build's folder: same configuration, so llama-bench and memdec share libraries
  OUT="${OUT:-$ROOT/.cache/llama/v0.5.0-local}"
fi
libs+=(libggml.so.0 libllama.so.0)
echo "build-llama: configuring $build" >&2
memdec_llama_configure "$src" "$build" "${flags[@]}" ${EXTRA[@]+"${EXTRA[@]}"} > "$build.cmake.log" 2>&1 \
  || { cat "$build.cmake.log" >&2; exit 1; }
echo "build-llama: building target llama ($(nproc) jobs; log $build.build.log)" >&2
cmake --build "$build" -j"$(nproc)" --target llama > "$build.build.log" 2>&1 || { tail -30 "$build.build.log" >&2; exit 1; }

# into a temporary folder beside OUT, then one rename: a failed copy leaves the previous build in place
mkdir -p "$(dirname "$OUT")"
tmp=$(mktemp -d "$OUT.tmp.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
{
  echo "memdec-llama-build 1"
  echo "# llama.cpp v0.5.0 ($MEMDEC_LLAMA_SRC_PKG), built $(date -u +%Y-%m-%dT%H:%MZ) with: ${flags[*]} ${EXTRA[*]:-}"
  for lib in "${libs[@]}"; do
    cp -L "$build/bin/$lib" "$tmp/$lib"
    echo "load $(sha256sum "$tmp/$lib" | cut -d' ' -f1) $lib"
  done
} > "$tmp/memdec-build.txt"
rm -rf "$OUT"
mv "$tmp" "$OUT"
trap - EXIT
echo "build-llama: $OUT (use --llama-dir $OUT)" >&2
