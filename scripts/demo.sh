#!/usr/bin/env bash
# The demo (npm start): ImageScan's main job under the real Pulumi CLI, on a local ECR
# API (moto_server) that it starts and stops itself. Installs what is missing first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "demo: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
if ! command -v moto_server >/dev/null 2>&1; then
  echo "demo: installing moto_server (pip install 'moto[server]')" >&2
  python3 -m pip install --quiet 'moto[server]==5.2.1'
fi
PATH="$(bash scripts/pulumi-cli.sh):$PATH"
export PATH
exec npx ts-node scripts/demo.ts
