#!/usr/bin/env bash
# Builds a pinned helm from Go modules into the same cache as the control plane (no Debian package provides Helm),
# for rendering and linting the chart in tests. Prints the binary's path on its last line. HELM_BIN wins when set.
# The build happens in a private directory and is moved into place when complete, one builder at a time
# (scripts/lib/build-cache.sh): an interrupted build leaves nothing half-built behind.
set -euo pipefail
HELM_VERSION="${MCPRE_HELM_VERSION:-v3.22.0}"
CACHE_ROOT="${MCPRE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpre}"
CACHE_DIR="$CACHE_ROOT/helm"
OUT="$CACHE_DIR/$HELM_VERSION"
log() { echo "[setup-helm] $*" >&2; }

# shellcheck source=lib/build-cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build-cache.sh"
given_or_cached HELM_BIN helm "$OUT" "helm ${HELM_VERSION%%.*}"

cache_lock "$CACHE_DIR" "helm $HELM_VERSION"
if [[ -x "$OUT/helm" ]]; then log "another process built helm meanwhile: $OUT"; echo "$OUT/helm"; exit 0; fi
stage_dir "$CACHE_DIR"
start=$(date +%s)
log "building helm $HELM_VERSION from Go modules (first run: about 3 to 4 minutes on 2 cores)"
if ! run_child env CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN="$STAGE/bin" \
  go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2; then
  log "error: building helm $HELM_VERSION failed (see above); set HELM_BIN to an existing helm binary instead"
  exit 3
fi
if [[ ! -x "$STAGE/bin/helm" ]]; then
  log "error: the build of helm $HELM_VERSION produced no helm binary; set HELM_BIN to an existing helm binary instead"
  exit 3
fi
publish "$STAGE/bin" "$OUT"
log "built helm $HELM_VERSION in $(( $(date +%s) - start )) s: $OUT/helm"
echo "$OUT/helm"
