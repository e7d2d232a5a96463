# Sourced by test.sh, demo.sh and bench.sh (from the repo root): installs what the
# project needs and a fresh machine may lack. Each function says what it installs.

# npm packages, when node_modules is missing or older than the lockfile.
ensure_npm_deps() {
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "$1: installing npm dependencies (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# moto_server, the local ECR API that tests, the demo and the bench start.
ensure_moto() {
  if ! command -v moto_server >/dev/null 2>&1; then
    echo "$1: installing moto_server (pip install 'moto[server]')" >&2
    python3 -m pip install --quiet 'moto[server]==5.2.1'
  fi
}

# The Pulumi CLI on PATH: the user's, or built from Go modules (scripts/pulumi-cli.sh).
ensure_pulumi() {
  PATH="$(bash scripts/pulumi-cli.sh):$PATH"
  export PATH
}
