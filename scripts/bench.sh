#!/usr/bin/env bash
# The benchmark (npm run bench): installs what is missing, then runs bench/main.ts.
#   npm run bench                      N = 1, 10, 50; 3 runs; writes BENCHMARKS.md
#   npm run bench -- --n 1,10 --runs 3
#   npm run bench -- --smoke           CI: N = 1, 1 run, T = 5 s only; report to a temp file
#   npm run bench -- --help
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

AWSCLI_VERSION=1.46.3 # the baseline's AWS CLI (v1, from PyPI), in the git-ignored .tools/venv

source scripts/deps.sh
ensure_npm_deps bench
ensure_package_built bench
ensure_moto bench
venv=.tools/venv
if [[ "$("$venv/bin/aws" --version 2>&1 || true)" != "aws-cli/$AWSCLI_VERSION "* ]]; then
  echo "bench: installing the AWS CLI $AWSCLI_VERSION into $venv (pip install awscli)" >&2
  [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "awscli==$AWSCLI_VERSION"
fi
ensure_pulumi
exec npx ts-node bench/main.ts "$@"
