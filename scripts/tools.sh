#!/usr/bin/env bash
# Build (once) and cache the binaries kfgen's test suite needs, from the Go module proxy only:
#   kubeconform      github.com/yannh/kubeconform   (schema validation of out/)
#   kube-apiserver   k8s.io/kubernetes              (real API server for apply tests)
#   etcd             go.etcd.io/etcd/server/v3      (its storage)
# Binaries land in ${KFGEN_TOOLS_DIR:-$HOME/.cache/kfgen/bin}, named with their version, and are reused.
# Usage: scripts/tools.sh [kubeconform|apiserver|all]   (prints the bin directory on its last line)
set -euo pipefail

KUBECONFORM_VERSION=v0.7.0
KUBERNETES_VERSION=v1.37.2
BIN_DIR=${KFGEN_TOOLS_DIR:-$HOME/.cache/kfgen/bin}
BUILD_DIR=${KFGEN_TOOLS_BUILD:-$HOME/.cache/kfgen/build}
mkdir -p "$BIN_DIR" "$BUILD_DIR"
export GOFLAGS=-buildvcs=false CGO_ENABLED=0

log() { echo "[tools] $*" >&2; }

build_kubeconform() {
  local out="$BIN_DIR/kubeconform-$KUBECONFORM_VERSION"
  if [ ! -x "$out" ]; then
    log "building kubeconform $KUBECONFORM_VERSION (go install, one time)"
    local tmp; tmp=$(mktemp -d)
    GOBIN="$tmp" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
    mv "$tmp/kubeconform" "$out.tmp" && mv "$out.tmp" "$out"
    rm -rf "$tmp"
  fi
  ln -sf "$(basename "$out")" "$BIN_DIR/kubeconform"
}

build_apiserver() {
  local api="$BIN_DIR/kube-apiserver-$KUBERNETES_VERSION" etcd="$BIN_DIR/etcd-$KUBERNETES_VERSION"
  if [ ! -x "$api" ] || [ ! -x "$etcd" ]; then
    local mod="$BUILD_DIR/apiserver-$KUBERNETES_VERSION" start; start=$(date +%s)
    mkdir -p "$mod"
    log "building kube-apiserver and etcd for $KUBERNETES_VERSION (one time, several minutes)"
    # k8s.io/kubernetes points its staging modules at ./staging with replace directives, which
    # `go install pkg@version` refuses. A wrapper module pins each staging module to the release
    # that matches (v1.X.Y -> v0.X.Y) instead.
    local kmod staging_version
    kmod=$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
    staging_version="v0.${KUBERNETES_VERSION#v1.}"
    {
      echo "module kfgen.local/k8s-tools"
      echo
      echo "go 1.26.0"
      echo
      echo "godebug default=go1.26"
      echo
      echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
      echo
      echo "replace ("
      sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging_version"'#p' "$kmod"
      echo ")"
    } > "$mod/go.mod"
    (cd "$mod" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" go.etcd.io/etcd/server/v3 >&2)
    (cd "$mod" && go build -trimpath -ldflags='-s -w' -o "$api.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2)
    (cd "$mod" && go build -trimpath -ldflags='-s -w' -o "$etcd.tmp" go.etcd.io/etcd/server/v3 >&2)
    mv "$api.tmp" "$api" && mv "$etcd.tmp" "$etcd"
    echo "$(( $(date +%s) - start ))" > "$BIN_DIR/apiserver-build-seconds"
    log "built in $(cat "$BIN_DIR/apiserver-build-seconds")s"
  fi
  ln -sf "$(basename "$api")" "$BIN_DIR/kube-apiserver"
  ln -sf "$(basename "$etcd")" "$BIN_DIR/etcd"
}

case "${1:-all}" in
  kubeconform) build_kubeconform ;;
  apiserver) build_apiserver ;;
  all) build_kubeconform; build_apiserver ;;
  *) echo "usage: $0 [kubeconform|apiserver|all]" >&2; exit 2 ;;
esac
echo "$BIN_DIR"
