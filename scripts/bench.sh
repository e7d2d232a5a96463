#!/usr/bin/env bash
# The benchmark (npm run bench): installs what is missing, then runs bench/main.ts.
#   npm run bench                      N = 1, 10, 50; 3 runs; writes BENCHMARKS.md
#   npm run bench -- --n 1,10 --runs 3
#   npm run bench -- --smoke           CI: N = 1, 1 run, T = 5 s only; report to a temp file
#   npm run bench -- --help
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

AWSCLI_VERSION=1.46.3 # the baseline's AWS CLI (v1, from PyPI), in the git-ignored .tools/venv

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "bench: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
if ! command -v moto_server >/dev/null 2>&1; then
  echo "bench: installing moto_server (pip install 'moto[server]')" >&2
  python3 -m pip install --quiet 'moto[server]==5.2.1'
fi
venv=.tools/venv
if [[ "$("$venv/bin/aws" --version 2>&1 || true)" != "aws-cli/$AWSCLI_VERSION "* ]]; then
  echo "bench: installing the AWS CLI $AWSCLI_VERSION into $venv (pip install awscli)" >&2
  [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "awscli==$AWSCLI_VERSION"
fi
PATH="$(bash scripts/pulumi-cli.sh):$PATH"
export PATH
exec npx ts-node bench/main.ts "$@"
