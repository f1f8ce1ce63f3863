#!/usr/bin/env bash
# Makes sure PostgreSQL's server programs (initdb, pg_ctl, postgres) are on this machine, for the
# PostgreSQL provider's tests (test/support/postgres-server.ts starts a throwaway server with them).
# Idempotent: does nothing when they are found on PATH or under /usr/lib/postgresql/*/bin; otherwise
# installs Debian's `postgresql` package with apt-get. Prints the directory that holds them.
set -euo pipefail

find_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  # Debian keeps the server programs off PATH, one folder per major version: the newest wins.
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if bin=$(find_bin); then
  echo "leakstop setup: PostgreSQL server programs found in $bin"
  exit 0
fi

echo "leakstop setup: installing PostgreSQL (apt-get install postgresql) for the PostgreSQL provider's tests"
as_root=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then as_root=sudo; fi
apt_log=$(mktemp)
# The package's own cluster is not wanted (the tests make their own): create_main_cluster=false.
if ! command -v apt-get >/dev/null 2>&1 \
  || ! { $as_root apt-get update -qq \
    && $as_root mkdir -p /etc/postgresql-common/createcluster.d \
    && echo 'create_main_cluster = false' | $as_root tee /etc/postgresql-common/createcluster.d/leakstop-no-main.conf >/dev/null \
    && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; } >"$apt_log" 2>&1 \
  || ! bin=$(find_bin); then
  tail -n 20 "$apt_log" >&2
  rm -f "$apt_log"
  echo "leakstop setup: could not install PostgreSQL; the PostgreSQL provider's tests (test/postgres) need initdb and pg_ctl." >&2
  echo "  Install Debian's 'postgresql' package (as root: apt-get install postgresql) or put initdb and pg_ctl on PATH." >&2
  exit 1
fi
rm -f "$apt_log"
echo "leakstop setup: PostgreSQL server programs installed in $bin"
