#!/usr/bin/env bash
# Builds the test control plane from the Go module proxy into a cache that later runs reuse:
#   ~/.cache/jitsi-k8s/k8s-<version>/bin/{kube-apiserver,kube-controller-manager,kube-scheduler,etcd,kwok}
# Go is used for this alone; the product is TypeScript. Prints the bin folder on its last line.
set -euo pipefail

# Kubernetes 1.34: @kubernetes/client-node 1.4.x is generated for 1.34 (its README pairs 1.2.x with 1.33,
# and each minor release of the client follows one Kubernetes minor); newest 1.34 patch on the proxy.
K8S_VERSION="${JITSI_K8S_KUBE_VERSION:-v1.34.4}"
ETCD_VERSION="${JITSI_K8S_ETCD_VERSION:-v3.6.6}"
KWOK_VERSION="${JITSI_K8S_KWOK_VERSION:-v0.8.0}"

cache="${JITSI_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-k8s}/k8s-${K8S_VERSION}"
bin="$cache/bin"
mkdir -p "$bin"
command -v go >/dev/null || { echo "error: go not found on PATH (install Go 1.26 or later: /usr/local/go/bin)" >&2; exit 1; }
export GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED=0

say() { printf '%s\n' "$*" >&2; }

# A wrapper module that requires k8s.io/kubernetes and maps each staging module (kubernetes' own
# go.mod replaces them with ./staging/src/...) to its published v0.<minor>.<patch> twin.
build_kubernetes() {
  local need=()
  for b in kube-apiserver kube-controller-manager kube-scheduler; do [ -x "$bin/$b" ] || need+=("$b"); done
  [ ${#need[@]} -eq 0 ] && return 0
  local mod="$cache/src/kubernetes" staging="v0.${K8S_VERSION#v1.}"
  mkdir -p "$mod"
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  {
    echo "module jitsi-k8s.test/kubernetes"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging"'#p' "$gomod"
    echo ")"
  } > "$mod/go.mod"
  say "building ${need[*]} ${K8S_VERSION} (first build: many minutes; cached in $bin)"
  (cd "$mod" && for b in "${need[@]}"; do go get "k8s.io/kubernetes/cmd/$b@${K8S_VERSION}"; done \
    && for b in "${need[@]}"; do go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${staging#v0.}" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b" && mv "$bin/$b.tmp" "$bin/$b"; done)
}

# One binary from a module with no replace lines (etcd's server, kwok): a one-line wrapper module.
build_module() {
  local name=$1 module=$2 version=$3 pkg=$4
  [ -x "$bin/$name" ] && return 0
  local mod="$cache/src/$name"
  mkdir -p "$mod"
  printf 'module jitsi-k8s.test/%s\n\ngo 1.24.0\n\nrequire %s %s\n' "$name" "$module" "$version" > "$mod/go.mod"
  say "building $name $version"
  (cd "$mod" && go get "$pkg@$version" && go build -trimpath -ldflags "-s -w" -o "$bin/$name.tmp" "$pkg" && mv "$bin/$name.tmp" "$bin/$name")
}

build_module etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
build_module kwok sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
build_kubernetes
echo "$bin"
