#!/usr/bin/env bash
# Builds the kube-apiserver, etcd and kubectl binaries that the integration tests run, from pinned Go modules,
# into a cache outside the work tree. Prints the directory to use as KUBEBUILDER_ASSETS on its last line.
#
# Why build: these machines have no internet and no container runtime, but they reach the Go module proxy,
# so the real control plane comes from source, as envtest's tarballs come from the same upstream code.
# When KUBEBUILDER_ASSETS is already set and holds the binaries, nothing is built.
# The build happens in a private directory and is moved into place when complete, one builder at a time
# (scripts/lib/build-cache.sh): an interrupted build leaves nothing half-built behind.
set -euo pipefail

K8S_VERSION="${MCPRE_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${MCPRE_ETCD_VERSION:-v3.6.8}"
CACHE_ROOT="${MCPRE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpre}"
CACHE_DIR="$CACHE_ROOT/control-plane"
OUT="$CACHE_DIR/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}"

log() { echo "[setup-control-plane] $*" >&2; }

have_all() { [[ -x "$1/kube-apiserver" && -x "$1/etcd" && -x "$1/kubectl" ]]; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if [[ -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS (nothing to build)"
    echo "$KUBEBUILDER_ASSETS"; exit 0
  fi
  log "error: KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks an executable kube-apiserver and etcd."
  log "  Put kube-apiserver, etcd (and kubectl) there, or unset KUBEBUILDER_ASSETS to build them from Go modules."
  exit 2
fi

if have_all "$OUT"; then
  log "cached binaries in $OUT"
  echo "$OUT"; exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
[setup-control-plane] error: the Go toolchain ('go', 1.24 or newer) is not on PATH.
  The integration tests need kube-apiserver ${K8S_VERSION} and etcd ${ETCD_VERSION}, built from Go modules.
  Either install Go (https://go.dev/dl or 'apt-get install golang-go' if new enough), or point
  KUBEBUILDER_ASSETS at a directory holding the binaries 'kube-apiserver', 'etcd' and 'kubectl'
  (for example one made by 'setup-envtest use 1.36 -p path').
MSG
  exit 2
fi

# shellcheck source=lib/build-cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build-cache.sh"
cache_lock "$CACHE_DIR" "the control plane ${K8S_VERSION}/${ETCD_VERSION}"
if have_all "$OUT"; then
  log "another process built the binaries meanwhile: $OUT"
  echo "$OUT"; exit 0
fi
stage_dir "$CACHE_DIR"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--mod=mod}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
WORK="$STAGE/modules"
BIN="$STAGE/bin"
mkdir -p "$WORK/apiserver" "$WORK/etcd" "$BIN"
start=$(date +%s)

fail() {
  cat >&2 <<MSG
[setup-control-plane] error: building $1 failed (see the output above).
  Check that the Go module proxy is reachable ('go env GOPROXY') and that the disk has a few GB free.
  Or skip the build: set KUBEBUILDER_ASSETS to a directory holding kube-apiserver, etcd and kubectl.
MSG
  exit 3
}

# --- kube-apiserver and kubectl: a wrapper module that replaces every staging module (k8s.io/<m> v0.0.0) at the
# matching v0.<minor>.<patch>, derived from k8s.io/kubernetes' own go.mod so the list never goes stale.
minor_patch="${K8S_VERSION#v1.}"
staging_version="v0.${minor_patch}"
log "resolving k8s.io/kubernetes@${K8S_VERSION} (staging modules at ${staging_version})"
download_kubernetes() { cd "$WORK/apiserver" && go mod download -json "k8s.io/kubernetes@${K8S_VERSION}"; }
if ! run_child download_kubernetes >"$STAGE/download.json" 2>&1; then
  grep -E '"Error"|go:' "$STAGE/download.json" >&2 || cat "$STAGE/download.json" >&2
  fail "the module k8s.io/kubernetes@${K8S_VERSION} (is MCPRE_K8S_VERSION a released version?)"
fi
gomod=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' "$STAGE/download.json")
[[ -f "$gomod" ]] || fail "k8s.io/kubernetes@${K8S_VERSION}: no go.mod in the module download"
{
  echo "module mcpre.local/controlplane/apiserver"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes ${K8S_VERSION}"
  echo
  echo "replace ("
  grep -E '^\s+k8s.io/[a-z0-9-]+ v0\.0\.0(\s|$)' "$gomod" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}' | sort -u
  echo ")"
} > "$WORK/apiserver/go.mod"
cat > "$WORK/apiserver/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
log "$(grep -c '=>' "$WORK/apiserver/go.mod") staging replaces written"
ver_ldflags() {
  local pkgs=(k8s.io/component-base/version k8s.io/client-go/pkg/version) v="${K8S_VERSION#v}" out=""
  local major="${v%%.*}" rest="${v#*.}"; local minor="${rest%%.*}"
  for p in "${pkgs[@]}"; do
    out+=" -X $p.gitVersion=${K8S_VERSION} -X $p.gitMajor=${major} -X $p.gitMinor=${minor}"
    out+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  echo "-s -w$out"
}
# Each step is one && chain: it runs in the background (run_child) under `|| fail`, where set -e does not apply.
build_apiserver() {
  cd "$WORK/apiserver" &&
    log "downloading modules for kube-apiserver (first run: a few hundred MB)" &&
    { go mod tidy -e >/dev/null 2>&1 || true; } &&
    go get "k8s.io/kubernetes@${K8S_VERSION}" >&2 &&
    log "building kube-apiserver ${K8S_VERSION} (first run: several minutes on 2 cores)" &&
    go build -trimpath -ldflags "$(ver_ldflags)" -o "$BIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2 &&
    log "building kubectl ${K8S_VERSION}" &&
    go build -trimpath -ldflags "$(ver_ldflags)" -o "$BIN/kubectl" k8s.io/kubernetes/cmd/kubectl >&2
}
run_child build_apiserver || fail "kube-apiserver/kubectl ${K8S_VERSION}"

# --- etcd: its server module has package main at its root; a separate wrapper keeps its grpc/otel versions apart.
cat > "$WORK/etcd/go.mod" <<GOMOD
module mcpre.local/controlplane/etcd

go 1.24.0

require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}
GOMOD
cat > "$WORK/etcd/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
build_etcd() {
  cd "$WORK/etcd" &&
    log "building etcd ${ETCD_VERSION}" &&
    go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >&2 &&
    go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3 >&2
}
run_child build_etcd || fail "etcd ${ETCD_VERSION}"

have_all "$BIN" || fail "the control plane (a binary is missing after the build)"
publish "$BIN" "$OUT"
log "built in $(( $(date +%s) - start )) s: $("$OUT/kube-apiserver" --version 2>&1), etcd $("$OUT/etcd" --version 2>&1 | head -1)"
echo "$OUT"
