# Sourced by the scripts/setup-*.sh builders. A build goes into a private directory of its own and becomes visible
# with one rename once it is complete, so a failed, interrupted or killed build never leaves anything that a later
# run could take for a finished one; and one builder at a time holds a lock in the cache, so two processes never
# build the same thing at once (the second waits, then finds the first one's result).
# The caller defines log() and calls, in order: given_or_cached (where one binary is built), cache_lock, stage_dir,
# run_child (for each long step), publish.

STAGE=""
CHILD=""
LOCKED=""

# Stops the running step (its whole process group) and removes the private directory: on SIGINT, SIGTERM, any exit.
_build_cache_cleanup() {
  if [[ -n "$CHILD" ]]; then
    kill -TERM -- "-$CHILD" 2>/dev/null || kill -TERM "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
    CHILD=""
  fi
  if [[ -n "$STAGE" ]]; then
    rm -rf "$STAGE"
    STAGE=""
  fi
}
trap _build_cache_cleanup EXIT
trap 'log "interrupted: stopping the build and removing its unfinished files"; exit 130' INT
trap 'log "terminated: stopping the build and removing its unfinished files"; exit 143' TERM

# given_or_cached VAR NAME OUT WANTED: what a builder answers without building, printed as a path with exit 0: the
# binary the variable VAR names (a bare name is looked up on PATH; exit 2 when it is not an executable file), or
# OUT/NAME when the cache has it. Otherwise it checks that Go is on PATH (exit 2 when not) and returns, for the build.
# WANTED names the binary the messages ask for (e.g. "helm v3").
given_or_cached() {
  local var=$1 name=$2 out=$3 wanted=$4
  local given=${!var:-} resolved
  if [[ -n "$given" ]]; then
    if [[ "$given" != */* ]] && resolved=$(type -P "$given"); then given=$resolved; fi
    if [[ ! -x "$given" || -d "$given" ]]; then
      log "error: $var=$given is not an executable file; point it at a $wanted binary or unset it"
      exit 2
    fi
    echo "$given"
    exit 0
  fi
  if [[ -x "$out/$name" ]]; then
    log "cached $name in $out"
    echo "$out/$name"
    exit 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    log "error: the Go toolchain is not on PATH; install Go 1.24+ or set $var to a $wanted binary"
    exit 2
  fi
}

# cache_lock DIR WHAT: holds DIR/.lock until the script exits; while another builder holds it, says so and waits.
cache_lock() {
  local dir=$1 what=$2
  mkdir -p "$dir"
  if ! command -v flock >/dev/null 2>&1; then
    log "flock (util-linux) is not on PATH: concurrent builds of $what are not serialised (each still publishes atomically)"
    return 0
  fi
  exec 9>"$dir/.lock"
  if ! flock -n 9; then
    log "another process is building $what (it holds $dir/.lock); waiting for it to finish"
    flock 9
  fi
  LOCKED=1
}

# stage_dir DIR: sets STAGE to a new private directory under DIR, removed when the script exits. Under the lock, the
# private directories of builders killed with SIGKILL (the one exit no trap sees) are removed first.
stage_dir() {
  local dir=$1
  if [[ -n "$LOCKED" ]]; then rm -rf "$dir"/.stage-*; fi
  STAGE=$(mktemp -d "$dir/.stage-XXXXXX")
}

# run_child CMD...: runs one long step in its own process group, without the lock's descriptor (a step that outlives
# a killed script must not keep the lock), so that SIGINT/SIGTERM stop it at once instead of after the step ends.
# Called as `run_child step || fail ...`, where bash ignores set -e: a step that is a function must chain with &&.
run_child() {
  set -m
  "$@" 9>&- &
  CHILD=$!
  set +m
  local rc=0
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}

# publish SRC OUT: moves the finished directory SRC to OUT with one rename (same file system: both in the cache).
publish() {
  local src=$1 out=$2
  rm -rf "$out"
  mv -T "$src" "$out"
}
