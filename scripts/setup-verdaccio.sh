#!/usr/bin/env bash
# Installs the npm registry the npm token provider's tests run against: Verdaccio, pinned in
# scripts/verdaccio/ (package.json + its committed package-lock.json), into the git-ignored
# .tools/verdaccio/ with `npm ci`. Kept out of the root package.json: it is a test server, not a
# dependency of Leakstop. Idempotent: nothing happens while the installed lock matches the pinned one.
set -euo pipefail
cd "$(dirname "$0")/.."

src=scripts/verdaccio
dest=.tools/verdaccio

if [ -x "$dest/node_modules/.bin/verdaccio" ] && cmp -s "$src/package-lock.json" "$dest/package-lock.json" && cmp -s "$src/package.json" "$dest/package.json"; then
  exit 0
fi

echo "leakstop setup: installing the pinned Verdaccio (npm registry for the npm token tests) into $dest (npm ci)"
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
