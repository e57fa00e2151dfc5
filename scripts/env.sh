# shellcheck shell=bash
# Shared settings for the project's scripts: where things are and how to run cargo for wasm.
# Sourced, never run. Everything here is read-only: scripts/setup.sh installs what is missing.

# Physical paths: icp's generated stand-in project links to scripts/ and target/, and its build
# steps must still build this checkout.
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TOOLS_DIR="$ROOT/.tools"
# Pinned: the ic-wasm release whose `check-endpoints` understands ic-cdk 0.19's hidden methods.
IC_WASM_VERSION="0.11.1"
IC_WASM="$TOOLS_DIR/node_modules/@icp-sdk/ic-wasm-linux-x64/bin/ic-wasm"
WASM_TARGET="wasm32-unknown-unknown"
# The six canisters of the suite, in deployment order.
SUITE_CANISTERS=(canister_registry user_registry calendar notification load_balancer backup_canister)
# The web app's asset canister: built after the app (scripts/build-frontend.sh), deployed last.
WEB_CANISTERS=(frontend)
# Debian's toolchain for wasm when rustup cannot provide the target (DESIGN.md section 6).
DEBIAN_WASM_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-clippy lld)

# The host tools (local-network, suite) are built with Cargo's `host` profile (release without
# the wasm profile's LTO) into $HOST_BIN_DIR. scripts/test.sh sets SUITE_HOST_BIN_DIR to the
# binaries `cargo test` has just built (dev profile, its crypto and wasm compiler optimised), so
# the end-to-end test does not spend a quarter of an hour building them again.
HOST_BIN_DIR="${SUITE_HOST_BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/host}"

# CI builds exactly what Cargo.lock pins; locally a new dependency may still update the lock.
CARGO_LOCKED=()
[ "${CI:-}" = true ] && CARGO_LOCKED=(--locked)
# A CI run builds everything once from scratch: incremental caches (2.6 GB of a cold run's
# target/debug) would never be read again.
[ "${CI:-}" = true ] && export CARGO_INCREMENTAL=0

# Every step's line carries the time since the first script of this run started, so a CI log
# shows where its minutes went.
: "${SUITE_STARTED_AT:=$(date +%s)}"
export SUITE_STARTED_AT
log() {
    local elapsed=$(($(date +%s) - SUITE_STARTED_AT))
    printf '\033[1m==>\033[0m [%d:%02d] %s\n' $((elapsed / 60)) $((elapsed % 60)) "$*" >&2
}
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Builds both host tools, unless SUITE_HOST_BIN_DIR names prebuilt ones. Always the two together:
# Cargo unifies dependency features over the packages of one build, so building `suite_client`
# alone would compile a different variant of their shared dependencies (minutes, for nothing).
build_host_tools() {
    [ -z "${SUITE_HOST_BIN_DIR:-}" ] || return 0
    log "building the embedded network and the suite client (profile host)"
    (cd "$ROOT" && cargo build --quiet --profile host "${CARGO_LOCKED[@]}" -p local_network -p suite_client)
}

# True when rustup's toolchain already has the wasm32 standard library.
rustup_has_wasm_target() {
    command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -x "$WASM_TARGET" >/dev/null
}

# Runs `cargo <subcommand> --target wasm32-unknown-unknown ...` with whichever toolchain can build
# wasm here: rustup's when it has the target, otherwise Debian's rustc-web with std built from
# source (`-Zbuild-std` needs RUSTC_BOOTSTRAP on a stable compiler) and linked by wasm-ld.
wasm_cargo() {
    local subcommand="$1"
    shift
    if rustup_has_wasm_target; then
        cargo "$subcommand" --target "$WASM_TARGET" "$@"
    else
        [ -x /usr/bin/cargo ] && [ -x /usr/bin/wasm-ld ] || die "no wasm toolchain: run scripts/setup.sh"
        # /usr/bin first so that cargo finds Debian's cargo-clippy/rustc, not rustup's proxies.
        env PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
            CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
            /usr/bin/cargo "$subcommand" --target "$WASM_TARGET" -Zbuild-std=std,panic_abort "$@"
    fi
}
