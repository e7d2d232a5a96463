# Sourced by test.sh, demo.sh and bench.sh (from the repo root): installs what the
# project needs and a fresh machine may lack. Each function says what it installs.

# npm packages, when node_modules is missing or older than the lockfile.
ensure_npm_deps() {
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "$1: installing npm dependencies (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# The package in provider/ built to provider/dist, as `npm pack ./provider` ships it: the
# example programs, the demo, the bench and the serialized provider all load it by name.
ensure_package_built() {
  if [[ ! -f provider/dist/index.js || -n "$(find provider -maxdepth 1 \( -name '*.ts' -o -name 'package.json' -o -name 'tsconfig.json' \) -newer provider/dist/index.js)" ]]; then
    echo "$1: building the package in provider/ (tsc)" >&2
    npm run --silent build -w provider
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
