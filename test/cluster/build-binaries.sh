#!/usr/bin/env bash
# Builds the control-plane binaries the integration tests and the demo use, from Go modules only
# (the Go module proxy is the one source), and caches them outside the repository so every clone
# and every CI run on this machine reuses them. Idempotent: a complete cache returns at once.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
CONTAINERD_VERSION="${CONTAINERD_VERSION:-v2.4.2}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/runner-doctor"
OUT="$CACHE_ROOT/k8s-$K8S_VERSION"
BIN="$OUT/bin"
export GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--mod=mod}"

want=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet etcd kwok kwokctl helm containerd containerd-shim-runc-v2 ctr)
missing=()
for b in "${want[@]}"; do [ -x "$BIN/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "control-plane binaries: cached in $BIN"
  exit 0
fi
echo "control-plane binaries: building ${missing[*]} into $BIN (cold build: expect tens of minutes on 2 cores)"
mkdir -p "$BIN"
start=$(date +%s)

need() { for b in "$@"; do [[ " ${missing[*]} " == *" $b "* ]] && return 0; done; return 1; }

if need kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet; then
  w="$OUT/src/kubernetes"; mkdir -p "$w"; cd "$w"
  [ -f go.mod ] || go mod init runner-doctor.local/k8s-wrapper >/dev/null 2>&1
  # The release's go.mod replaces every staging module with a local path; a wrapper module must
  # replace each with its published v0.x twin instead. Read the list from the release itself.
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging_ver="v0.${K8S_VERSION#v1.}"
  grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk '{print $1}' | sort -u > staging.txt
  {
    echo "module runner-doctor.local/k8s-wrapper"
    echo
    echo "go $(go env GOVERSION | sed 's/^go//; s/\.[0-9]*$//')"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    while read -r m; do echo "replace $m => $m $staging_ver"; done < staging.txt
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubectl/pkg/cmd"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
  go mod tidy -e >/dev/null 2>&1 || true
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet; do
    need "$c" || continue
    echo "  go build $c"
    go build -trimpath -tags tools -ldflags "$ld" -o "$BIN/$c.tmp" "k8s.io/kubernetes/cmd/$c"
    mv "$BIN/$c.tmp" "$BIN/$c"
  done
fi

if need etcd; then
  w="$OUT/src/etcd"; mkdir -p "$w"; cd "$w"
  cat > go.mod <<GOMOD
module runner-doctor.local/etcd-wrapper

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  go mod tidy -e >/dev/null 2>&1 || true
  echo "  go build etcd"
  go build -trimpath -tags tools -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$BIN/etcd.tmp" "$BIN/etcd"
fi

if need kwok kwokctl; then
  echo "  go install kwok kwokctl"
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
  # Standalone kwok needs stage definitions; they ship in its module.
  moddir=$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$OUT/kwok-stages"; mkdir -p "$OUT/kwok-stages"
  cp -r "$moddir/kustomize/stage/." "$OUT/kwok-stages/"
  chmod -R u+w "$OUT/kwok-stages"
fi

if need helm; then
  echo "  go install helm"
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

if need containerd containerd-shim-runc-v2 ctr; then
  echo "  go install containerd"
  GOBIN="$BIN" go install -trimpath -tags "no_btrfs no_devmapper no_zfs" -ldflags "-s -w" \
    "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION"
fi

echo "control-plane binaries: built in $(( $(date +%s) - start )) s"
"$BIN/kube-apiserver" --version 2>/dev/null || true
