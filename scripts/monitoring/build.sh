#!/usr/bin/env bash
# Builds promtool and fetches the Prometheus operator's and KEDA's CustomResourceDefinitions from the
# Go module proxy into a cache that later runs reuse:
#   ~/.cache/jitsi-k8s/monitoring/bin/promtool
#   ~/.cache/jitsi-k8s/monitoring/crds/{prometheus-operator,keda}/*.yaml
# The CRDs are the modules' own files at pinned versions (never written by hand); the tests install them
# into the test control plane. Go is used for this alone. Prints the cache folder on its last line.
set -euo pipefail

PROMETHEUS_VERSION="${JITSI_K8S_PROMETHEUS_VERSION:-v0.316.0}"
PROMETHEUS_OPERATOR_VERSION="${JITSI_K8S_PROMETHEUS_OPERATOR_VERSION:-v0.90.1}"
KEDA_VERSION="${JITSI_K8S_KEDA_VERSION:-v2.21.0}"

cache="${JITSI_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-k8s}/monitoring"
bin="$cache/bin"
# other pinned versions: start over (the tests read the fixed paths below)
versions="prometheus $PROMETHEUS_VERSION, prometheus-operator $PROMETHEUS_OPERATOR_VERSION, keda $KEDA_VERSION"
if [ -f "$cache/versions" ] && [ "$(cat "$cache/versions")" != "$versions" ]; then rm -rf "$cache/bin" "$cache/crds"; fi
mkdir -p "$bin"
echo "$versions" > "$cache/versions"
command -v go >/dev/null || { echo "error: go not found on PATH (install Go 1.26 or later: /usr/local/go/bin)" >&2; exit 1; }
export GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED=0

say() { printf '%s\n' "$*" >&2; }

# the module's folder in the Go module cache (downloads it once)
module_dir() { go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }

# CRD YAML copied from a module folder; $3 is a glob inside it
copy_crds() {
  local name=$1 dir=$2 glob=$3 out="$cache/crds/$1"
  [ -s "$out/.done" ] && return 0
  rm -rf "$out" && mkdir -p "$out"
  # shellcheck disable=SC2086
  cp $dir/$glob "$out/"
  chmod u+w "$out"/*.yaml
  ls "$out" > "$out/.done"
  say "CRDs of $name: $(wc -l < "$out/.done") files"
}

build_promtool() {
  [ -x "$bin/promtool" ] && return 0
  local mod="$cache/src/promtool"
  mkdir -p "$mod"
  printf 'module jitsi-k8s.test/promtool\n\ngo 1.24.0\n\nrequire github.com/prometheus/prometheus %s\n' "$PROMETHEUS_VERSION" > "$mod/go.mod"
  say "building promtool $PROMETHEUS_VERSION (first build: minutes; cached in $bin)"
  (cd "$mod" && go get "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" \
    && go build -trimpath -ldflags "-s -w" -o "$bin/promtool.tmp" github.com/prometheus/prometheus/cmd/promtool \
    && mv "$bin/promtool.tmp" "$bin/promtool")
}

copy_crds prometheus-operator "$(module_dir github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION")" 'example/prometheus-operator-crd/*.yaml'
copy_crds keda "$(module_dir github.com/kedacore/keda/v2 "$KEDA_VERSION")" 'config/crd/bases/*.yaml'
build_promtool
echo "$cache"
