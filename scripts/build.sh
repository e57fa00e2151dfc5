#!/usr/bin/env bash
# Builds release wasm for the named canisters (default: the suite's six and the frontend; `--all`:
# those and every test fixture canister) and writes
# target/canisters/<name>.wasm.gz, each shrunk, carrying its committed .did as `candid:service`
# metadata, with its exported methods checked against that .did and its imports checked to be
# ic0 only. Prints a table of sizes. Any failure stops the build with a message.
#
# A canister is a workspace crate in canisters/<name>/ or a test fixture in
# host/*/fixtures/<name>/, with its interface committed beside Cargo.toml as <name>.did.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

[ -x "$IC_WASM" ] || die "ic-wasm is missing: run scripts/setup.sh"

# One build at a time per checkout: `icp deploy` runs the canisters' build steps in parallel,
# and two builds writing the same target/canisters files would race.
mkdir -p "$ROOT/target"
exec 9>"$ROOT/target/.build.lock"
flock 9

fixture_names() {
    local dir
    for dir in "$ROOT"/host/*/fixtures/*/; do
        [ -f "$dir/Cargo.toml" ] && basename "$dir"
    done
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    names=("${SUITE_CANISTERS[@]}" "${WEB_CANISTERS[@]}")
elif [ "${names[0]}" = "--all" ]; then
    mapfile -t fixtures < <(fixture_names)
    names=("${SUITE_CANISTERS[@]}" "${WEB_CANISTERS[@]}" "${fixtures[@]}")
fi
# The frontend canister embeds the built app, so the app is built first.
for name in "${names[@]}"; do
    if [ "$name" = frontend ]; then "$ROOT/scripts/build-frontend.sh"; fi
done

crate_dir() {
    local name="$1" dir
    for dir in "$ROOT/canisters/$name" "$ROOT"/host/*/fixtures/"$name"; do
        [ -f "$dir/Cargo.toml" ] && { echo "$dir"; return; }
    done
    die "no canister crate named '$name' (looked in canisters/ and host/*/fixtures/)"
}

packages=()
for name in "${names[@]}"; do
    dir=$(crate_dir "$name")
    [ -f "$dir/$name.did" ] || die "$name: interface $dir/$name.did is not committed"
    packages+=(-p "$name")
done

log "compiling ${names[*]} for $WASM_TARGET (release)"
(cd "$ROOT" && wasm_cargo build --release "${CARGO_LOCKED[@]}" "${packages[@]}")

out_dir="$ROOT/target/canisters"
mkdir -p "$out_dir"
rows=()
for name in "${names[@]}"; do
    dir=$(crate_dir "$name")
    did="$dir/$name.did"
    raw="$ROOT/target/$WASM_TARGET/release/$name.wasm"
    [ -f "$raw" ] || die "$name: cargo produced no $raw"
    work="$out_dir/$name.wasm"

    # Cargo leaves an up-to-date wasm untouched, so an output newer than it, its .did and the
    # checking scripts is already shrunk, stamped and checked.
    if [ "$work.gz" -nt "$raw" ] && [ "$work.gz" -nt "$did" ] && [ "$work.gz" -nt "$ROOT/scripts/build.sh" ] \
        && [ "$work.gz" -nt "$ROOT/scripts/wasm_module.py" ]; then
        rows+=("$(printf '%-20s %12d %12d %12d  (unchanged)' "$name" "$(stat -c %s "$raw")" "$(stat -c %s "$work")" "$(stat -c %s "$work.gz")")")
        continue
    fi
    "$IC_WASM" "$raw" -o "$work" shrink
    "$IC_WASM" "$work" -o "$work" metadata candid:service -f "$did" -v public
    # System hooks (lifecycle, global timer, ic-cdk internals) are exported but never in a .did.
    python3 "$ROOT/scripts/wasm_module.py" system-exports "$work" > "$work.hidden"
    if ! "$IC_WASM" "$work" check-endpoints --candid "$did" --hidden "$work.hidden" >/dev/null 2>"$work.check"; then
        python3 "$ROOT/scripts/wasm_module.py" endpoint-errors "$did" < "$work.check" >&2 \
            || die "$name: exported methods do not match $name.did"
    fi
    python3 "$ROOT/scripts/wasm_module.py" check-imports "$work" || die "$name: imports something other than ic0"

    rm -f "$work.hidden" "$work.check"
    gzip -n -9 -c "$work" > "$work.gz.tmp" && mv "$work.gz.tmp" "$work.gz"
    rows+=("$(printf '%-20s %12d %12d %12d' "$name" "$(stat -c %s "$raw")" "$(stat -c %s "$work")" "$(stat -c %s "$work.gz")")")
done

printf '\n%-20s %12s %12s %12s\n' canister "cargo (B)" "shrunk (B)" "gzip (B)"
printf '%s\n' "${rows[@]}"
printf '\nwrote %s/<name>.wasm.gz\n' "${out_dir#"$ROOT"/}"
