#!/usr/bin/env bash
# The whole test suite: sets up what is missing (scripts/setup.sh, seconds when all is present),
# builds every canister and test fixture wasm the integration tests load,
# then runs every test of the workspace (unit tests natively, integration tests on the real wasm
# in the in-process IC runtime), then the end-to-end test of the main job with the real clients
# (scripts/e2e.sh). Extra arguments go to `cargo test` (and skip the end-to-end test).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" --all
log "running the workspace's tests"
cd "$ROOT"
cargo test --workspace "${CARGO_LOCKED[@]}" "$@"
log "running the web app's unit tests and its bundle budget (150 KiB gzipped before the week view)"
(cd "$ROOT/frontend" && npm run test:unit --silent && node scripts/size.mjs --max-kb 150)
if [ $# -eq 0 ]; then
    # `cargo test` built local-network and suite for their own tests: the end-to-end test uses them.
    SUITE_HOST_BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/debug" "$ROOT/scripts/e2e.sh"
fi
