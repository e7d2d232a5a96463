#!/usr/bin/env bash
# Provides the Pulumi CLI for this project.
#
# Prints (as the last line on stdout) a directory to prepend to PATH that holds
# `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`:
#
#   export PATH="$(bash scripts/pulumi-cli.sh):$PATH"           # v3.248.0, the default
#   export PATH="$(bash scripts/pulumi-cli.sh 3.276.0):$PATH"   # the newest that builds here
#
# - If a `pulumi` is already on PATH (a normal install), its directory is printed
#   and nothing is built, for the default version. Set IMAGESCAN_BUILD_PULUMI=1 to use
#   the local build anyway. A version given as an argument is always the local build.
# - Otherwise the CLI is built from Go modules pinned in tools/pulumi/cli-<version>
#   (go.mod/go.sum) into the git-ignored .tools/pulumi-<version>/bin, and reused while
#   the pins do not change. A first build takes several minutes; delete .tools/ to force
#   a rebuild.
#
# Pins:
#   pulumi                  github.com/pulumi/pulumi/pkg/v3 v3.248.0 or v3.276.0  (tools/pulumi/cli-*)
#   pulumi-language-nodejs  github.com/pulumi/pulumi/sdk/v3 v3.68.0              (tools/pulumi/nodejs)
#     The Node.js language host lives in its own module since sdk/v3 v3.69.0
#     (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which the Go
#     module proxy reachable here does not serve at any version. v3.68.0 is the newest
#     sdk/v3 release that still contains the host as a package; both CLIs talk to it
#     through the same gRPC protocol (newer RPCs fall back when unimplemented).
#   pulumi-resource-pulumi-nodejs  the dynamic provider host's launcher: the same four
#     lines @pulumi/pulumi ships, which run @pulumi/pulumi/cmd/dynamic-provider as the
#     program's directory resolves it, with the `node` on PATH.
set -euo pipefail

PULUMI_VERSION=v${1:-3.248.0}
NODEJS_HOST_VERSION=v3.68.0
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
BUILD_TAGS=osusergo,grpcnotrace # as in pulumi's .goreleaser.yml

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo_root=$(cd "$script_dir/.." && pwd -P)
tools_dir="$repo_root/tools/pulumi"
cli_dir="$tools_dir/cli-${PULUMI_VERSION#v}"
bin_dir="$repo_root/.tools/pulumi-${PULUMI_VERSION#v}/bin"
stamp_file="$bin_dir/.pulumi-cli.stamp"

log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -f "$cli_dir/go.mod" ]] || die "no pins for pulumi $PULUMI_VERSION: $cli_dir/go.mod is missing"

# 1. A pulumi already on PATH (other than our own builds) wins, unless told otherwise.
if [[ $# -eq 0 && "${IMAGESCAN_BUILD_PULUMI:-}" != 1 ]] && existing=$(command -v pulumi 2>/dev/null); then
  existing_dir=$(cd "$(dirname "$existing")" && pwd -P)
  if [[ "$existing_dir" != "$repo_root/.tools/pulumi-"* ]]; then
    found_version=$("$existing" version 2>/dev/null || echo unknown)
    log "using pulumi $found_version found on PATH at $existing (set IMAGESCAN_BUILD_PULUMI=1 to build $PULUMI_VERSION instead)"
    [[ "$found_version" == "$PULUMI_VERSION" ]] || log "note: this project pins pulumi $PULUMI_VERSION"
    [[ -x "$existing_dir/pulumi-language-nodejs" ]] || command -v pulumi-language-nodejs >/dev/null 2>&1 ||
      log "warning: no pulumi-language-nodejs next to $existing or on PATH"
    echo "$existing_dir"
    exit 0
  fi
fi

# 2. Local build in .tools/bin, keyed by the pins and the build recipe.
recipe="pulumi=$PULUMI_VERSION nodejs-host=$NODEJS_HOST_VERSION tags=$BUILD_TAGS flags=-trimpath,-s,-w var=$VERSION_VAR"
sha256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; }
want_stamp=$(
  {
    echo "$recipe"
    cat "$cli_dir/go.mod" "$cli_dir/go.sum" "$tools_dir/nodejs/go.mod" "$tools_dir/nodejs/go.sum"
  } | sha256 | cut -d' ' -f1
)

link_dynamic_provider() {
  # The launcher @pulumi/pulumi ships, written here so that the CLI serves programs
  # anywhere, not only those beside this repository's node_modules.
  cat >"$bin_dir/pulumi-resource-pulumi-nodejs" <<'LAUNCHER'
#!/bin/sh
PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")
if [ ! -z "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" ]; then
    node "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" $@
fi
LAUNCHER
  chmod +x "$bin_dir/pulumi-resource-pulumi-nodejs"
}

if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$want_stamp" &&
      -x "$bin_dir/pulumi" && -x "$bin_dir/pulumi-language-nodejs" ]]; then
  log "reusing pulumi $PULUMI_VERSION in $bin_dir"
  link_dynamic_provider
  echo "$bin_dir"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "no pulumi on PATH and no Go toolchain to build it (need Go >= $(sed -n 's/^go //p' "$cli_dir/go.mod"))"

start=$SECONDS
elapsed() { printf '%dm%02ds' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)); }

ticker_pid=
stop_ticker() { if [[ -n "$ticker_pid" ]]; then kill "$ticker_pid" 2>/dev/null || true; wait "$ticker_pid" 2>/dev/null || true; ticker_pid=; fi; }
trap stop_ticker EXIT
start_ticker() { # $1: what is running
  stop_ticker
  # Short sleeps and no stdout, so a killed ticker never holds a caller's $(...) open.
  ( while :; do for _ in {1..30}; do sleep 1; done; log "  … still $1 ($(elapsed) elapsed)"; done ) >/dev/null &
  ticker_pid=$!
}

log "building pulumi $PULUMI_VERSION from Go modules into $bin_dir (first time takes several minutes)…"
log "using $(go version)"
mkdir -p "$bin_dir"
rm -f "$stamp_file"

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
build() { # $1: module dir, $2: output name, $3: version, $4: package
  (cd "$1" && go build -trimpath -tags "$BUILD_TAGS" -ldflags "-s -w -X $VERSION_VAR=$3" -o "$bin_dir/$2" "$4") >&2
}

log "[1/3] downloading modules ($(elapsed))"
start_ticker "downloading modules"
(cd "$cli_dir" && go mod download) >&2
(cd "$tools_dir/nodejs" && go mod download) >&2

log "[2/3] compiling pulumi ($(elapsed))"
start_ticker "compiling pulumi"
build "$cli_dir" pulumi "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

log "[3/3] compiling pulumi-language-nodejs ($(elapsed))"
start_ticker "compiling pulumi-language-nodejs"
build "$tools_dir/nodejs" pulumi-language-nodejs "$NODEJS_HOST_VERSION" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
stop_ticker

got_version=$("$bin_dir/pulumi" version)
[[ "$got_version" == "$PULUMI_VERSION" ]] || die "built pulumi reports version '$got_version', expected $PULUMI_VERSION"
link_dynamic_provider
echo "$want_stamp" >"$stamp_file"
log "built pulumi $got_version in $(elapsed)"
echo "$bin_dir"
