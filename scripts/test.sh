#!/usr/bin/env bash
# The test command (npm test): installs what is missing, then type-checks and runs
# every suite. Integration and end-to-end tests start their own moto_server.
#   bash scripts/test.sh            all suites
#   bash scripts/test.sh unit       unit tests only (no moto_server, no Pulumi CLI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
what=${1:-all}

source scripts/deps.sh
ensure_npm_deps test
ensure_package_built test

[[ "$what" == unit ]] || ensure_moto test

echo "test: type-checking" >&2
npx tsc --noEmit -p .

suites=("tests/*.spec.ts")
if [[ "$what" != unit ]]; then
  suites+=("tests/integration/*.spec.ts")
  if compgen -G "tests/e2e/*.spec.ts" >/dev/null; then
    # The real Pulumi CLI: the one on PATH, or built from Go modules (minutes, once).
    ensure_pulumi
    # The second leg of the version matrix (tests/support/matrix.ts): the newest CLI that
    # builds here, and Node.js 24 from the npm registry. Provided now, so that the
    # minutes a first build takes show here rather than inside a test.
    bash scripts/pulumi-cli.sh 3.276.0 >/dev/null
    bash scripts/node.sh 24 >/dev/null
    suites+=("tests/e2e/*.spec.ts")
  fi
fi
exec npx mocha "${suites[@]}"
