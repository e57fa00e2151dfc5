#!/usr/bin/env bash
# Builds the web app (frontend/, SvelteKit) into frontend/build, which the frontend canister
# embeds at compile time. Installs its npm dependencies from the lockfile first when they are
# missing or older than the lockfile. Safe to run again: npm and vite skip what is current.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

app="$ROOT/frontend"
[ -f "$app/package-lock.json" ] || die "frontend/package-lock.json is missing"
command -v npm >/dev/null 2>&1 || die "npm is needed to build the web app"
if [ ! -d "$app/node_modules" ] || [ "$app/package-lock.json" -nt "$app/node_modules/.package-lock.json" ]; then
    log "installing the web app's npm dependencies (npm ci)"
    (cd "$app" && npm ci --no-audit --no-fund --loglevel=error)
fi
# Up to date when the build is newer than every input (sources, configuration, lockfile, the
# canisters' .did files the bindings come from): vite's output is not byte-identical from one run
# to the next, so rebuilding anyway would change the frontend module on every deploy.
if [ -f "$app/build/index.html" ] && [ -z "$(find "$app/src" "$app/scripts" "$app/package.json" \
    "$app/package-lock.json" "$app/svelte.config.js" "$app/vite.config.ts" "$app/tsconfig.json" \
    "$ROOT"/canisters/*/*.did -newer "$app/build/index.html" -print -quit 2>/dev/null)" ]; then
    log "the web app is up to date (frontend/build)"
    exit 0
fi
log "building the web app (frontend/build)"
(cd "$app" && npm run build --silent)
[ -f "$app/build/index.html" ] || die "the web app's build wrote no frontend/build/index.html"
