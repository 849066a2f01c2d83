#!/usr/bin/env bash
# Build (once) and cache the binaries kfgen's test suite needs, from the Go module proxy only:
#   kubeconform      github.com/yannh/kubeconform   v0.7.0   (schema validation of out/)
#   kube-apiserver   k8s.io/kubernetes              v1.37.2  (real API server for apply tests)
#   etcd             go.etcd.io/etcd/server/v3      v3.7.3   (its storage)
#   kube-score       github.com/zegl/kube-score     v1.20.0  (manifest linter over out/)
# Every Go module is pinned by the committed scripts/tools/{kubeconform,apiserver,kube-score}/go.mod and go.sum
# (the apiserver module maps k8s.io/kubernetes' ./staging replace directives to the matching v0.X.Y
# releases), and builds run with -mod=readonly and GOTOOLCHAIN=local: nothing is resolved, upgraded
# or downloaded beyond what go.sum names. To change a pin, edit the go.mod (`go get MOD@VERSION`,
# `go mod tidy` in that directory) and commit go.mod and go.sum together.
# Binaries land in ${KFGEN_TOOLS_DIR:-$HOME/.cache/kfgen/bin}, named with their version, and are reused;
# NAME.pins beside each records the sha256 of the go.mod+go.sum it was built from, and a binary whose
# pins differ is rebuilt. (A binary without NAME.pins, from before the pinning, is kept when
# `go version -m` shows the pinned versions of its main modules.)
# Usage: scripts/tools.sh [kubeconform|apiserver|all|kube-score]   (prints the bin directory on its last line)
set -euo pipefail

KUBECONFORM_VERSION=v0.7.0
KUBERNETES_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
KUBE_SCORE_VERSION=v1.20.0
TOOLS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/tools" && pwd)
BIN_DIR=${KFGEN_TOOLS_DIR:-$HOME/.cache/kfgen/bin}
mkdir -p "$BIN_DIR"
export GOFLAGS="-buildvcs=false -mod=readonly" CGO_ENABLED=0 GOTOOLCHAIN=local
# Go may be installed without being on PATH (e.g. a non-login shell): look where it usually is.
if ! command -v go >/dev/null 2>&1; then
  for d in /usr/local/go/bin /usr/lib/go/bin "$HOME/go/bin" "$HOME/sdk/go/bin"; do
    [ -x "$d/go" ] && export PATH="$d:$PATH" && break
  done
fi
command -v go >/dev/null 2>&1 || { echo "[tools] Go is needed to build kubeconform, etcd and kube-apiserver (Go 1.26+)" >&2; exit 1; }

log() { echo "[tools] $*" >&2; }

# the pins of one tools module: sha256 of its go.mod and go.sum
pins() { cat "$TOOLS_SRC/$1/go.mod" "$TOOLS_SRC/$1/go.sum" | sha256sum | cut -d' ' -f1; }

# usable BINARY MODULE "MAINMOD VERSION"...: built from these pins (or, without a .pins file, showing
# the pinned versions in its build info, which then records the pins)
usable() {
  local bin=$1 module=$2 want; shift 2
  [ -x "$bin" ] || return 1
  want=$(pins "$module")
  if [ -f "$bin.pins" ]; then [ "$(cat "$bin.pins")" = "$want" ]; return; fi
  local info pair; info=$(go version -m "$bin" 2>/dev/null) || return 1
  for pair in "$@"; do
    echo "$info" | grep -qE "^[[:space:]]+(mod|dep)[[:space:]]+${pair% *}[[:space:]]+${pair#* }[[:space:]]" || return 1
  done
  echo "$want" > "$bin.pins"
}

build_kubeconform() {
  local out="$BIN_DIR/kubeconform-$KUBECONFORM_VERSION"
  if ! usable "$out" kubeconform "github.com/yannh/kubeconform $KUBECONFORM_VERSION"; then
    log "building kubeconform $KUBECONFORM_VERSION (pinned by scripts/tools/kubeconform/go.sum, one time)"
    (cd "$TOOLS_SRC/kubeconform" && go build -trimpath -ldflags='-s -w' -o "$out.tmp" github.com/yannh/kubeconform/cmd/kubeconform >&2)
    mv "$out.tmp" "$out"
    pins kubeconform > "$out.pins"
  fi
  ln -sf "$(basename "$out")" "$BIN_DIR/kubeconform"
}

build_apiserver() {
  local api="$BIN_DIR/kube-apiserver-$KUBERNETES_VERSION" etcd="$BIN_DIR/etcd-$KUBERNETES_VERSION"
  local mod="$TOOLS_SRC/apiserver"
  # Without the version ldflags kube-apiserver reports v0.0.0-master+$Format:%H$, which kubectl
  # cannot parse (`kubectl version` exits 1): such a binary is rebuilt (a relink, packages are cached).
  local api_ok=0 etcd_ok=0
  if usable "$api" apiserver "k8s.io/kubernetes $KUBERNETES_VERSION" "go.etcd.io/etcd/client/v3 $ETCD_VERSION" \
     && [ "$("$api" --version 2>/dev/null)" = "Kubernetes $KUBERNETES_VERSION" ]; then api_ok=1; fi
  if usable "$etcd" apiserver "go.etcd.io/etcd/server/v3 $ETCD_VERSION"; then etcd_ok=1; fi
  if [ "$api_ok" = 0 ] || [ "$etcd_ok" = 0 ]; then
    local start full_build=0; start=$(date +%s)
    [ "$api_ok" = 0 ] && [ "$etcd_ok" = 0 ] && full_build=1
    log "building kube-apiserver $KUBERNETES_VERSION and etcd $ETCD_VERSION (pinned by scripts/tools/apiserver/go.sum; one time, several minutes)"
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
      pins apiserver > "$api.pins"
    fi
    if [ "$etcd_ok" = 0 ]; then
      (cd "$mod" && go build -trimpath -ldflags='-s -w' -o "$etcd.tmp" go.etcd.io/etcd/server/v3 >&2)
      mv "$etcd.tmp" "$etcd"
      pins apiserver > "$etcd.pins"
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

build_kube_score() {
  local out="$BIN_DIR/kube-score-$KUBE_SCORE_VERSION"
  if ! usable "$out" kube-score "github.com/zegl/kube-score $KUBE_SCORE_VERSION"; then
    log "building kube-score $KUBE_SCORE_VERSION (pinned by scripts/tools/kube-score/go.sum, one time)"
    (cd "$TOOLS_SRC/kube-score" && go build -trimpath -ldflags='-s -w' -o "$out.tmp" github.com/zegl/kube-score/cmd/kube-score >&2)
    mv "$out.tmp" "$out"
    pins kube-score > "$out.pins"
  fi
  ln -sf "$(basename "$out")" "$BIN_DIR/kube-score"
}

case "${1:-all}" in
  kubeconform) build_kubeconform ;;
  apiserver) build_apiserver ;;
  all) build_kubeconform; build_apiserver; build_kube_score ;;
  kube-score) build_kube_score ;;
  *) echo "usage: $0 [kubeconform|apiserver|all|kube-score]" >&2; exit 2 ;;
esac
echo "$BIN_DIR"
