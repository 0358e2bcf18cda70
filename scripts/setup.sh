#!/usr/bin/env bash
# Installs the system packages memdec needs on a fresh Debian machine. Idempotent; quiet when all is present.
set -euo pipefail
need=()
# chromium: headless browser for the chat page's end-to-end test (plugin's ChatPageBrowserTest).
for p in libgomp1 chromium; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
