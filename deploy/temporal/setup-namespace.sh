#!/bin/sh
# One-shot: make the `default` namespace and Leakstop's search attributes exist (admin-tools image).
#
# temporalio/server, unlike the retired auto-setup image, creates no namespace, and workers
# that upsert an unregistered search attribute fail their workflow tasks forever. Both steps
# are idempotent (describe-before-create; the server skips attributes that already exist with
# the same type), so this is safe on every `docker compose up`.
set -eu

: "${TEMPORAL_ADDRESS:?}"   # read by the temporal CLI itself
namespace=${LEAKSTOP_NAMESPACE:-default}
retention=${LEAKSTOP_NAMESPACE_RETENTION:-720h}   # closed incidents stay inspectable for 30 days

retry() {
  n=1
  until "$@"; do
    [ "$n" -lt 40 ] || { echo "temporal-setup: giving up on: $*" >&2; return 1; }
    n=$((n + 1)); sleep 3
  done
}

# The compose healthcheck only proves the port is open; this proves the cluster serves RPCs.
retry temporal operator cluster health

if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  echo "temporal-setup: namespace '$namespace' exists"
else
  retry temporal operator namespace create --namespace "$namespace" --retention "$retention"
fi

# Retried because a just-created namespace takes a few seconds to reach the frontend's cache.
# Keyword = exact-match filters, which is how incidents are looked up in the UI and CLI.
retry temporal operator search-attribute create --namespace "$namespace" \
  --name LeakstopProvider --type Keyword \
  --name LeakstopCredential --type Keyword \
  --name LeakstopPhase --type Keyword \
  --name LeakstopSeverity --type Keyword \
  --name LeakstopStatus --type Keyword

temporal operator search-attribute list --namespace "$namespace"
echo "temporal-setup: done"
