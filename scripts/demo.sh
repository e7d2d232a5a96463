#!/usr/bin/env bash
# The demo (npm start): ImageScan's main job under the real Pulumi CLI, on a local ECR
# API (moto_server) that it starts and stops itself. Installs what is missing first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/deps.sh
ensure_npm_deps demo
ensure_package_built demo
ensure_moto demo
ensure_pulumi
exec npx ts-node scripts/demo.ts
