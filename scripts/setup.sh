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
