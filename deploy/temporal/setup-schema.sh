#!/bin/sh
# One-shot: create or migrate Temporal's PostgreSQL databases (runs in temporalio/admin-tools).
#
# Every step is idempotent: `create` ignores an existing database, `setup-schema -v 0.0` leaves a
# newer recorded version alone, and `update-schema` applies only the versions still missing. So
# this runs on every `docker compose up`, and bumping the server/admin-tools tags together *is*
# the schema upgrade path. Connection settings come from the SQL_* env vars temporal-sql-tool reads.
set -eu

: "${SQL_HOST:?}" "${SQL_PORT:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}" "${SQL_PLUGIN:?}"
# Schema files ship inside the admin-tools image, so they always match its server version. The cluster
# topology test (test/support/temporal-cluster.ts) runs this same script with the schema folder of the
# server it built from the same release (scripts/setup-temporal-server.sh).
schema_root=${TEMPORAL_SCHEMA_ROOT:-/etc/temporal/schema}/postgresql/v12

# compose only starts us once PostgreSQL is healthy, but a retry keeps manual runs and
# slow first boots from failing the whole stack on a transient connection error.
retry() {
  n=1
  until "$@"; do
    [ "$n" -lt 10 ] || { echo "temporal-schema: giving up on: $*" >&2; return 1; }
    n=$((n + 1)); sleep 3
  done
}

migrate() { # $1 = database name, $2 = schema directory under $schema_root
  echo "temporal-schema: migrating database '$1'"
  retry temporal-sql-tool --db "$1" create
  temporal-sql-tool --db "$1" setup-schema -v 0.0
  temporal-sql-tool --db "$1" update-schema -d "$schema_root/$2/versioned"
}

# Names must match DBNAME / VISIBILITY_DBNAME on the temporal services (the same variables, with the
# same upstream defaults).
migrate "${DBNAME:-temporal}" temporal
migrate "${VISIBILITY_DBNAME:-temporal_visibility}" visibility
# Leakstop's shared vault (LEAKSTOP_VAULT_URL): an empty database; Leakstop makes its table on first use.
if [ -n "${LEAKSTOP_VAULT_DBNAME:-}" ]; then
  echo "temporal-schema: creating database '$LEAKSTOP_VAULT_DBNAME' (Leakstop's vault)"
  retry temporal-sql-tool --db "$LEAKSTOP_VAULT_DBNAME" create
fi
echo "temporal-schema: done"
