# syntax=docker/dockerfile:1
# One image for every Leakstop role; LEAKSTOP_ROLE (set by docker-compose.yml) picks worker or ingress.
#
# bookworm-slim, not alpine: @temporalio/core-bridge ships prebuilt native binaries for glibc.

# --- build: full dependency tree, because tsc and the type packages are devDependencies ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first so the dependency layer is reused until package-lock.json changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# tsc emits to dist/ with rootDir ".", so worker/main.ts becomes dist/worker/main.js.
RUN npm run build

# --- runtime: production dependencies + compiled output only ---
FROM node:20-bookworm-slim AS runtime
# Set only here: in the build stage it would make `npm ci` skip the devDependencies tsc needs.
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Pre-create the data dir owned by the unprivileged user: a fresh named volume copies this
# ownership, otherwise /data would be root-owned and unwritable for the worker.
RUN mkdir -p /data && chown node:node /data
# The official image's built-in non-root user (uid 1000). Leakstop holds cloud credentials;
# a compromise of the process should not also be root in the container.
USER node
CMD ["node", "dist/worker/main.js"]
