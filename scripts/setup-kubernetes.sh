#!/usr/bin/env bash
# Makes sure a real Kubernetes control plane can run here, for the Kubernetes provider's tests
# (test/support/kube-server.ts starts a throwaway etcd + kube-apiserver + kube-controller-manager):
#   - etcd: Debian's `etcd-server` package, installed with apt-get when `etcd` is not on PATH;
#   - kube-apiserver and kube-controller-manager, built once from the published Go modules into
#     .tools/kubernetes/ (no registry reachable here ships them prebuilt).
# How the build works: k8s.io/kubernetes is published on the Go module proxy, but its go.mod replaces
# each k8s.io/* library with its own ./staging copy, which a dependent module cannot use. A small
# wrapper module requires k8s.io/kubernetes at the pinned version and maps each staging replace to the
# published k8s.io/* module of the same release (v1.X.Y -> v0.X.Y); then `go build` builds both
# commands, with the version ldflags Kubernetes' own build uses, so they report their real version.
# Idempotent: does nothing when both binaries of the pinned version are there. The Go build cache
# (about 3 GB) is removed afterwards. Takes about 6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

KUBERNETES_VERSION=1.37.2
dir=.tools/kubernetes
stamp=$dir/version.txt

as_root=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then as_root=sudo; fi

# --- etcd (Debian) --------------------------------------------------------------------------------
if command -v etcd >/dev/null 2>&1; then
  echo "leakstop setup: etcd found at $(command -v etcd)"
else
  echo "leakstop setup: installing etcd (apt-get install etcd-server) for the Kubernetes provider's tests"
  apt_log=$(mktemp)
  # The package's own service is not wanted (the tests start their own etcd); without systemd running
  # it is not started anyway.
  if ! command -v apt-get >/dev/null 2>&1 \
    || ! { $as_root apt-get update -qq \
      && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server; } >"$apt_log" 2>&1 \
    || ! command -v etcd >/dev/null 2>&1; then
    tail -n 20 "$apt_log" >&2
    rm -f "$apt_log"
    echo "leakstop setup: could not install etcd; the Kubernetes provider's tests (test/kubernetes) need it." >&2
    echo "  Install Debian's 'etcd-server' package (as root: apt-get install etcd-server) or put etcd on PATH." >&2
    exit 1
  fi
  rm -f "$apt_log"
fi

# --- kube-apiserver and kube-controller-manager (built from the Go module proxy) ------------------
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "v$KUBERNETES_VERSION" ] \
  && [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kube-controller-manager" ]; then
  echo "leakstop setup: kube-apiserver and kube-controller-manager v$KUBERNETES_VERSION found in $dir"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "leakstop setup: Go is needed to build kube-apiserver v$KUBERNETES_VERSION for the Kubernetes provider's tests." >&2
  exit 1
fi

echo "leakstop setup: building kube-apiserver and kube-controller-manager v$KUBERNETES_VERSION into $dir"
echo "  (once, from the Go module proxy: about 6 minutes on 2 cores and 3 GB of build cache, removed afterwards)"
started=$(date +%s)
mkdir -p "$dir"
work=$(mktemp -d)
# Our own build cache, so that removing it afterwards touches nothing else on the machine.
export GOCACHE="$work/cache"
export GOFLAGS=-mod=mod
export CGO_ENABLED=0   # Kubernetes ships both commands statically linked
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

cd "$work"
go mod init leakstop.local/kube-build >/dev/null 2>&1
go mod edit -require="k8s.io/kubernetes@v$KUBERNETES_VERSION"
# kubernetes' go.mod names which k8s.io/* modules live in its staging folder: map each to its release.
kube_mod=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
staged=$(sed -n 's|^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/.*|\1|p' "$kube_mod")
if [ -z "$staged" ]; then
  echo "leakstop setup: found no staging replace directives in k8s.io/kubernetes v$KUBERNETES_VERSION's go.mod" >&2
  exit 1
fi
for m in $staged; do
  go mod edit -replace="$m=$m@v0.${KUBERNETES_VERSION#1.}"
done
cat > tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
EOF
# Records every module the two commands need; -e: the test-only packages of dependencies it cannot
# resolve (and never builds) are not errors. go build below says so if anything it needs is missing.
go mod tidy -e >/dev/null 2>&1 || true

# The ldflags of hack/lib/version.sh: both version packages, so `--version` and /version tell the truth.
ldflags="-s -w"
major=${KUBERNETES_VERSION%%.*}
minor=${KUBERNETES_VERSION#*.}; minor=${minor%%.*}
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=v$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done
for cmd in kube-apiserver kube-controller-manager; do
  echo "leakstop setup: go build k8s.io/kubernetes/cmd/$cmd"
  go build -trimpath -tags=notest,grpcnotrace -ldflags="$ldflags" -o "$root/$dir/$cmd.new" "k8s.io/kubernetes/cmd/$cmd"
  mv "$root/$dir/$cmd.new" "$root/$dir/$cmd"
done
cache_size=$(du -sh "$GOCACHE" | cut -f1)
cd "$root"
echo "v$KUBERNETES_VERSION" > "$stamp"
echo "leakstop setup: built $("$dir/kube-apiserver" --version) in $(( $(date +%s) - started ))s; removing the ${cache_size} build cache"
