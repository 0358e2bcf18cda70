# Sourced by ./memdec and .ci/run: finds a JDK >= 22 (FFM is final from 22) and exports JAVA_HOME.
# JAVA_HOME wins when it is new enough; otherwise the newest JDK under /usr/lib/jvm is taken.

memdec_jdk_major() {  # prints the feature version of the JDK at $1, or nothing
  local rel="$1/release" v
  [ -x "$1/bin/javac" ] || return 0
  if [ -f "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$rel")
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
  fi
  printf '%s' "$v"
}

memdec_find_jdk() {
  local best="" best_v=0 d v
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(memdec_jdk_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 22 ]; then printf '%s' "$JAVA_HOME"; return 0; fi
  fi
  for d in /usr/lib/jvm/*; do
    [ -d "$d" ] || continue
    v=$(memdec_jdk_major "$d")
    if [ -n "$v" ] && [ "$v" -ge 22 ] && [ "$v" -gt "$best_v" ]; then best="$d"; best_v="$v"; fi
  done
  [ -n "$best" ] && printf '%s' "$best"
}

MEMDEC_JDK=$(memdec_find_jdk)
if [ -z "$MEMDEC_JDK" ]; then
  echo "memdec: no JDK 22 or newer found (looked at JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm/*)." >&2
  echo "memdec: install one (for example Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME="$MEMDEC_JDK"
# Maven 3.8's bundled Guava touches sun.misc.Unsafe; JDK 23+ warns about it on every run.
if [ "$(memdec_jdk_major "$MEMDEC_JDK")" -ge 23 ] && [[ "${MAVEN_OPTS:-}" != *sun-misc-unsafe* ]]; then
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi
export PATH="$JAVA_HOME/bin:$PATH"
# DJL must never reach the network (shared/docs/dependencies.md §1.2).
export OPT_OUT_TRACKING=true DJL_OFFLINE=true
