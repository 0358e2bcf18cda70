# Sourced by scripts/build-llama.sh and scripts/bench-vs-llama-bench.sh: the llama.cpp v0.5.0 source (the git bundle
# inside npm node-llama-cpp@3.22.1, pinned by sha256; shared/docs/runtime-v0.5.md), cloned once into
# .cache/llama/bench/src (where the first llama-bench build put it), and the CMake configuration both builds share.
MEMDEC_LLAMA_SRC_PKG="node-llama-cpp@3.22.1"
MEMDEC_LLAMA_SRC_SHA256="a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f"

# Prints the source folder, fetching and cloning it first if needed.
memdec_llama_source() {
  local root work got
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  work="$root/.cache/llama/bench"
  if [ ! -f "$work/src/CMakeLists.txt" ]; then
    mkdir -p "$work"
    echo "llama: fetching the llama.cpp v0.5.0 source ($MEMDEC_LLAMA_SRC_PKG)" >&2
    (cd "$work" && rm -f node-llama-cpp-*.tgz && npm pack --silent "$MEMDEC_LLAMA_SRC_PKG" > /dev/null)
    got=$(sha256sum "$work"/node-llama-cpp-3.22.1.tgz | cut -d' ' -f1)
    [ "$got" = "$MEMDEC_LLAMA_SRC_SHA256" ] || { echo "llama: $MEMDEC_LLAMA_SRC_PKG has sha256 $got, expected $MEMDEC_LLAMA_SRC_SHA256" >&2; return 1; }
    tar -xzf "$work/node-llama-cpp-3.22.1.tgz" -C "$work" package/llama/gitRelease.bundle
    rm -rf "$work/src" && git clone -q "$work/package/llama/gitRelease.bundle" "$work/src"
  fi
  printf '%s\n' "$work/src"
}

# memdec_llama_configure SRC BUILD [cmake flags...]: a Release build of shared libraries for this machine's CPU
# (-DGGML_NATIVE=ON), without curl, tests or server.
memdec_llama_configure() {
  local src="$1" build="$2"
  shift 2
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF "$@"
}
