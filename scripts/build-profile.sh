#!/usr/bin/env bash
# Builds the calendar wasm with instruction marks per phase (the `profile` feature) into
# target/canisters/calendar_profile.wasm.gz, for tests/benches/per_call.rs. A separate target
# directory keeps the deployable build untouched: the two differ only in features, and cargo
# would otherwise write both to the same output file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

log "compiling calendar with the profile feature for $WASM_TARGET (release)"
(cd "$ROOT" && CARGO_TARGET_DIR="$ROOT/target/profile" \
    wasm_cargo build --release "${CARGO_LOCKED[@]}" -p calendar --features profile)
mkdir -p "$ROOT/target/canisters"
"$IC_WASM" "$ROOT/target/profile/$WASM_TARGET/release/calendar.wasm" \
    -o "$ROOT/target/canisters/calendar_profile.wasm" shrink
gzip -9 -n -f "$ROOT/target/canisters/calendar_profile.wasm"
log "wrote target/canisters/calendar_profile.wasm.gz"
