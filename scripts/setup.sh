#!/usr/bin/env bash
# Installs what building and testing the suite needs, and nothing twice: the wasm toolchain
# (rustup's target if present, otherwise Debian's rustc-web + std sources + wasm-ld), a pinned
# ic-wasm, the clients of the embedded network, Debian's Chromium for the browser tests, and
# python's icalendar for the feed test.
# The web app's npm packages come from its lockfile (scripts/build-frontend.sh). Safe to run
# again; with everything present it only checks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

start=$(date +%s)
did_something=0

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# `apt-get update` once per run, before the first install.
apt_updated=0
apt_install() {
    if [ $apt_updated = 0 ]; then
        as_root apt-get update -q
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# Prints those of the named Debian packages that are not installed.
missing_debian_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
    done
}

# 1. Wasm toolchain.
if rustup_has_wasm_target; then
    log "wasm: rustup has $WASM_TARGET; using it"
else
    mapfile -t missing < <(missing_debian_packages "${DEBIAN_WASM_PACKAGES[@]}")
    if [ ${#missing[@]} -gt 0 ]; then
        log "wasm: rustup lacks $WASM_TARGET; installing Debian packages: ${missing[*]}"
        apt_install "${missing[@]}"
        did_something=1
    else
        log "wasm: Debian toolchain present ($(/usr/bin/rustc --version), $(wasm-ld --version | head -n1))"
    fi
fi

# 2. ic-wasm, pinned, from the npm registry (a prebuilt binary inside a registry package).
if [ -x "$IC_WASM" ] && [ "$("$IC_WASM" --version 2>/dev/null)" = "ic-wasm $IC_WASM_VERSION" ]; then
    log "ic-wasm $IC_WASM_VERSION present"
else
    command -v npm >/dev/null 2>&1 || die "npm is needed to install ic-wasm"
    log "installing ic-wasm $IC_WASM_VERSION into .tools/"
    mkdir -p "$TOOLS_DIR"
    [ -f "$TOOLS_DIR/package.json" ] || echo '{ "private": true }' > "$TOOLS_DIR/package.json"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error \
        "@icp-sdk/ic-wasm-linux-x64@$IC_WASM_VERSION"
    "$IC_WASM" --version >/dev/null || die "ic-wasm did not install"
    did_something=1
fi

# 3. Clients of the embedded local network (host/local_network; issue 8), pinned, from npm into
#    .tools/ like ic-wasm: the `icp` CLI (a prebuilt binary) and agent-js (`@icp-sdk/core`),
#    which the network's tests and the scripts drive against the suite.
ICP_CLI_VERSION="1.5.0"
ICP_SDK_CORE_VERSION="6.1.0"
ICP_CLI="$TOOLS_DIR/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"
npm_pkg_version() { # prints the installed version of an npm package in .tools/, or nothing
    local manifest="$TOOLS_DIR/node_modules/$1/package.json"
    [ -f "$manifest" ] && node -p "require('$manifest').version" 2>/dev/null || true
}
client_missing=()
[ -x "$ICP_CLI" ] && [ "$(npm_pkg_version @icp-sdk/icp-cli-linux-x64)" = "$ICP_CLI_VERSION" ] ||
    client_missing+=("@icp-sdk/icp-cli-linux-x64@$ICP_CLI_VERSION")
[ "$(npm_pkg_version @icp-sdk/core)" = "$ICP_SDK_CORE_VERSION" ] ||
    client_missing+=("@icp-sdk/core@$ICP_SDK_CORE_VERSION")
if [ ${#client_missing[@]} -gt 0 ]; then
    command -v npm >/dev/null 2>&1 || die "npm is needed to install ${client_missing[*]}"
    log "installing ${client_missing[*]} into .tools/"
    mkdir -p "$TOOLS_DIR"
    [ -f "$TOOLS_DIR/package.json" ] || echo '{ "private": true }' > "$TOOLS_DIR/package.json"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error --save-exact \
        "${client_missing[@]}"
    "$ICP_CLI" --version >/dev/null || die "the icp CLI did not install"
    did_something=1
else
    log "icp CLI $ICP_CLI_VERSION and @icp-sdk/core $ICP_SDK_CORE_VERSION present"
fi

# 4. The browser the web app's end-to-end tests drive (playwright-core, from the app's own
#    lockfile, launches it; no browser download): Debian's Chromium, and a font to render with.
BROWSER_PACKAGES=(chromium fonts-dejavu-core)
mapfile -t browser_missing < <(missing_debian_packages "${BROWSER_PACKAGES[@]}")
if [ ${#browser_missing[@]} -gt 0 ]; then
    log "installing Debian packages for the browser tests: ${browser_missing[*]}"
    apt_install "${browser_missing[@]}"
    did_something=1
else
    log "chromium present ($(chromium --version 2>/dev/null | head -n1))"
fi

# 5. Python's `icalendar`, the standard client the feed test parses the served calendar with
#    (host/local_network/tests/feeds.rs), pinned, from PyPI.
ICALENDAR_VERSION="7.3.2"
if [ "$(python3 -c 'import icalendar; print(icalendar.__version__)' 2>/dev/null)" = "$ICALENDAR_VERSION" ]; then
    log "python icalendar $ICALENDAR_VERSION present"
else
    log "installing python icalendar $ICALENDAR_VERSION"
    python3 -m pip install --quiet "icalendar==$ICALENDAR_VERSION" \
        || python3 -m pip install --quiet --break-system-packages "icalendar==$ICALENDAR_VERSION"
    did_something=1
fi

if [ $did_something = 1 ]; then
    log "setup done in $(( $(date +%s) - start ))s"
else
    log "setup: everything already present ($(( $(date +%s) - start ))s)"
fi
