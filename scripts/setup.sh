#!/usr/bin/env bash
# Installs every system package memdec needs (build, demo and tests) and the llama.cpp v0.5.0 runtime profile (its
# CPU and Vulkan builds) on a fresh Debian machine; `--gpu-backend cuda` adds the CUDA build (143 MB). Idempotent;
# quiet when all is present. ./memdec does the same for what each command needs, so running this is optional.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/packages.sh"
memdec_ensure_packages "${MEMDEC_BUILD_PACKAGES[@]}" "${MEMDEC_DEMO_PACKAGES[@]}" "${MEMDEC_TEST_PACKAGES[@]}"
memdec_ensure_llama_v05
memdec_ensure_llama_v05 vulkan
backend="$(memdec_gpu_backend "$@")"
[ "$backend" = none ] || memdec_ensure_llama_v05 "$backend"
