#!/usr/bin/env bash
# Builds a pinned helm from Go modules into the same cache as the control plane (no Debian package provides Helm),
# for rendering and linting the chart in tests. Prints the binary's path on its last line. HELM_BIN wins when set.
set -euo pipefail
HELM_VERSION="${MCPRE_HELM_VERSION:-v3.22.0}"
CACHE_ROOT="${MCPRE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpre}"
OUT="$CACHE_ROOT/helm/$HELM_VERSION"
log() { echo "[setup-helm] $*" >&2; }
if [[ -n "${HELM_BIN:-}" ]]; then echo "$HELM_BIN"; exit 0; fi
if [[ -x "$OUT/helm" ]]; then log "cached helm in $OUT"; echo "$OUT/helm"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  log "error: the Go toolchain is not on PATH; install Go 1.24+ or set HELM_BIN to a helm ${HELM_VERSION%%.*} binary"
  exit 2
fi
mkdir -p "$OUT.partial"
log "building helm $HELM_VERSION from Go modules (first run: about a minute)"
if ! CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN="$OUT.partial" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2; then
  log "error: building helm $HELM_VERSION failed (see above); set HELM_BIN to an existing helm binary instead"
  exit 3
fi
rm -rf "$OUT"; mv "$OUT.partial" "$OUT"
echo "$OUT/helm"
