#!/usr/bin/env bash
# The test command (npm test): installs what is missing, then type-checks and runs
# every suite. Integration and end-to-end tests start their own moto_server.
#   bash scripts/test.sh            all suites
#   bash scripts/test.sh unit       unit tests only (no moto_server, no Pulumi CLI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
what=${1:-all}

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "test: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

if [[ "$what" != unit ]] && ! command -v moto_server >/dev/null 2>&1; then
  echo "test: installing moto_server (pip install 'moto[server]')" >&2
  python3 -m pip install --quiet 'moto[server]==5.2.1'
fi

echo "test: type-checking" >&2
npx tsc --noEmit -p .

suites=("tests/*.spec.ts")
if [[ "$what" != unit ]]; then
  suites+=("tests/integration/*.spec.ts")
  if compgen -G "tests/e2e/*.spec.ts" >/dev/null; then
    # The real Pulumi CLI: the one on PATH, or built from Go modules (minutes, once).
    PATH="$(bash scripts/pulumi-cli.sh):$PATH"
    export PATH
    suites+=("tests/e2e/*.spec.ts")
  fi
fi
exec npx mocha "${suites[@]}"
