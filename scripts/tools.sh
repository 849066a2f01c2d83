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
# Go may be installed without being on PATH (e.g. a non-login shell): look where it usually is.
if ! command -v go >/dev/null 2>&1; then
  for d in /usr/local/go/bin /usr/lib/go/bin "$HOME/go/bin" "$HOME/sdk/go/bin"; do
    [ -x "$d/go" ] && export PATH="$d:$PATH" && break
  done
fi
command -v go >/dev/null 2>&1 || { echo "[tools] Go is needed to build kubeconform, etcd and kube-apiserver (Go 1.26+)" >&2; exit 1; }

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
  # Without the version ldflags kube-apiserver reports v0.0.0-master+$Format:%H$, which kubectl
  # cannot parse (`kubectl version` exits 1): such a binary is rebuilt (a relink, packages are cached).
  local api_ok=0
  if [ -x "$api" ] && [ "$("$api" --version 2>/dev/null)" = "Kubernetes $KUBERNETES_VERSION" ]; then api_ok=1; fi
  if [ "$api_ok" = 0 ] || [ ! -x "$etcd" ]; then
    local mod="$BUILD_DIR/apiserver-$KUBERNETES_VERSION" start full_build=0; start=$(date +%s)
    [ "$api_ok" = 0 ] && [ ! -x "$etcd" ] && full_build=1
    mkdir -p "$mod"
    log "building kube-apiserver and etcd for $KUBERNETES_VERSION (one time, several minutes)"
    # k8s.io/kubernetes points its staging modules at ./staging with replace directives, which
    # `go install pkg@version` refuses. A wrapper module pins each staging module to the release
    # that matches (v1.X.Y -> v0.X.Y) instead.
    local kmod staging_version download
    # (go mod download -json reports its errors on stdout: show them instead of exiting silently)
    download=$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION") || {
      log "go mod download k8s.io/kubernetes@$KUBERNETES_VERSION failed:"; echo "$download" >&2; exit 1; }
    kmod=$(echo "$download" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
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
    # what kubernetes' hack/lib/version.sh stamps into release binaries (/version, kubectl version)
    local ver="${KUBERNETES_VERSION#v}" vflags="-s -w" pkg key val
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      for key in gitVersion=$KUBERNETES_VERSION gitMajor=${ver%%.*} gitMinor=$(echo "$ver" | cut -d. -f2) \
                 gitTreeState=clean gitCommit= buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ); do
        val=${key#*=}; key=${key%%=*}
        vflags="$vflags -X $pkg.$key=$val"
      done
    done
    if [ "$api_ok" = 0 ]; then
      (cd "$mod" && go build -trimpath -ldflags="$vflags" -o "$api.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2)
      mv "$api.tmp" "$api"
    fi
    if [ ! -x "$etcd" ]; then
      (cd "$mod" && go build -trimpath -ldflags='-s -w' -o "$etcd.tmp" go.etcd.io/etcd/server/v3 >&2)
      mv "$etcd.tmp" "$etcd"
    fi
    local took=$(( $(date +%s) - start ))
    log "built in ${took}s"
    # keep the time of a full build; a relink of kube-apiserver alone does not replace it
    if [ "$full_build" = 1 ] || [ ! -s "$BIN_DIR/apiserver-build-seconds" ]; then
      echo "$took" > "$BIN_DIR/apiserver-build-seconds"
    fi
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
