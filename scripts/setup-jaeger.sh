#!/usr/bin/env bash
# Builds a pinned Jaeger (v2, the all-in-one `jaeger` binary: OTLP receiver, in-memory storage, query API) from Go
# modules into the same cache as the control plane, for the tracing integration tests and the gateway-latency
# benchmark. Prints the binary's path on its last line. JAEGER_BIN wins when set.
# The build happens in a private directory and is moved into place when complete, one builder at a time
# (scripts/lib/build-cache.sh): an interrupted build leaves nothing half-built behind.
set -euo pipefail
# Later versions are served by the module proxy but are not approved releases here.
JAEGER_VERSION="${MCPRE_JAEGER_VERSION:-v1.75.0}"
CACHE_ROOT="${MCPRE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpre}"
CACHE_DIR="$CACHE_ROOT/jaeger"
OUT="$CACHE_DIR/$JAEGER_VERSION"
log() { echo "[setup-jaeger] $*" >&2; }

# shellcheck source=lib/build-cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build-cache.sh"
given_or_cached JAEGER_BIN jaeger "$OUT" "jaeger $JAEGER_VERSION"

cache_lock "$CACHE_DIR" "jaeger $JAEGER_VERSION"
if [[ -x "$OUT/jaeger" ]]; then log "another process built jaeger meanwhile: $OUT"; echo "$OUT/jaeger"; exit 0; fi
stage_dir "$CACHE_DIR"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--mod=mod}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
WORK="$STAGE/module"
mkdir -p "$WORK" "$STAGE/bin"
start=$(date +%s)

fail() {
  log "error: building jaeger $JAEGER_VERSION failed (see above)."
  log "  Check that the Go module proxy is reachable ('go env GOPROXY') and that the disk has a few GB free,"
  log "  or set JAEGER_BIN to an existing jaeger $JAEGER_VERSION binary instead."
  exit 3
}

# A wrapper module that records jaeger as a tool dependency, so its own go.mod's versions are the ones built.
build_jaeger() {
  cd "$WORK" &&
    printf 'module mcpre.local/jaeger\n\ngo 1.24.0\n' >go.mod &&
    log "downloading modules for jaeger $JAEGER_VERSION (first run: a few hundred MB)" &&
    go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2 &&
    log "building jaeger $JAEGER_VERSION (first run: many minutes on 2 cores)" &&
    go build -trimpath -ldflags "-s -w" -o "$STAGE/bin/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger >&2
}
run_child build_jaeger || fail
[[ -x "$STAGE/bin/jaeger" ]] || fail
publish "$STAGE/bin" "$OUT"
log "built jaeger $JAEGER_VERSION in $(( $(date +%s) - start )) s: $OUT/jaeger"
echo "$OUT/jaeger"
