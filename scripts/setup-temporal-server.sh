#!/usr/bin/env bash
# Builds the production Temporal server for the cluster topology test (test/cluster) and the bench:
#   - `temporal-server`: go.temporal.io/server/cmd/server, the same server release as docker-compose.yml's
#     temporalio/server image and the dev server of scripts/setup.sh (TEMPORAL_SERVER_VERSION below);
#   - `temporal-sql-tool`: its cmd/tools/sql, which creates and migrates the PostgreSQL schemas (what the
#     admin-tools image's temporal-sql-tool does in deploy/temporal/setup-schema.sh).
# Both come from the Go module proxy (no release page is reachable) into .tools/temporal-server/, with
# the schema folder of the same module beside them. Idempotent: does nothing when both binaries of the
# pinned version are there. The Go build cache is our own and removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

TEMPORAL_SERVER_VERSION=1.32.0
dir=.tools/temporal-server
stamp=$dir/version.txt

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "v$TEMPORAL_SERVER_VERSION" ] \
  && [ -x "$dir/temporal-server" ] && [ -x "$dir/temporal-sql-tool" ] && [ -d "$dir/schema/postgresql" ]; then
  echo "leakstop setup: temporal-server and temporal-sql-tool v$TEMPORAL_SERVER_VERSION found in $dir"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "leakstop setup: Go is needed to build the Temporal server v$TEMPORAL_SERVER_VERSION for the cluster topology test." >&2
  exit 1
fi

echo "leakstop setup: building temporal-server and temporal-sql-tool v$TEMPORAL_SERVER_VERSION into $dir"
echo "  (once, from the Go module proxy: a few minutes on 2 cores; the build cache is removed afterwards)"
started=$(date +%s)
mkdir -p "$dir"
work=$(mktemp -d)
export GOCACHE="$work/cache"
export CGO_ENABLED=0
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# The module has no replace directives, so `go install pkg@version` builds it exactly as published.
GOBIN="$work/bin" go install -trimpath -ldflags="-s -w" \
  "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
  "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
mv "$work/bin/server" "$dir/temporal-server"
mv "$work/bin/sql" "$dir/temporal-sql-tool"
# The versioned schema files the sql tool applies (setup-schema / update-schema --schema-dir).
src=$(go mod download -json "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
rm -rf "$dir/schema"
mkdir -p "$dir/schema"
cp -R "$src/schema/postgresql" "$dir/schema/postgresql"
chmod -R u+w "$dir/schema"
cache_size=$(du -sh "$GOCACHE" | cut -f1)
echo "v$TEMPORAL_SERVER_VERSION" > "$stamp"
echo "leakstop setup: built temporal-server v$TEMPORAL_SERVER_VERSION in $(( $(date +%s) - started ))s; removing the ${cache_size} build cache"
