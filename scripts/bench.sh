#!/usr/bin/env bash
# Runs every benchmark and prints their tables: the in-process runtime's throughput and compile
# times, and the suite's instruction counts on the real wasm. Benchmarks measure; they assert
# nothing about time. The first run compiles wasmtime optimized, which takes several minutes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" --all
"$ROOT/scripts/build-profile.sh"
cd "$ROOT"
cargo bench "${CARGO_LOCKED[@]}" -p ic_runtime
cargo bench "${CARGO_LOCKED[@]}" -p integration_tests
