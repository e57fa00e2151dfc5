#!/usr/bin/env bash
# One table of the suite's health: each canister's status, memory, cycles, requests and errors,
# from its `health_check` (interfaces::HealthReport), and what the suite knows about it: shard
# load and the balancer's verdict, the age of the last snapshot (admins only: the operator's
# identity), open operator alerts. Read through the project's client (`suite health`,
# host/suite_client). Exits non-zero when any canister is unhealthy or unreachable, a shard is
# out of service, a backup failed, or an alert is open.
#
# usage: scripts/monitor-system.sh [--network local|ic|URL] [--ids FILE] [--identity PEM]
#                                  [--json] [--watch N]
#   --network  local (default): the embedded network of .local-network/ if it runs, else dfx's
#              replica at 127.0.0.1:4943; ic: mainnet; or a URL
#   --ids      canister ids (dfx's canister_ids.json shape); default: .local-network/canister_ids.json,
#              then .dfx/local/canister_ids.json (local), canister_ids.json (ic)
#   --identity PEM the caller (default for the embedded network: its operator.pem)
#   --json     machine-readable output; --watch N: refresh every N seconds until interrupted
#   SUITE_BIN=path uses an already built `suite` binary instead of target/host/suite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

network=local ids="" identity="" json=0 watch=0
while [ $# -gt 0 ]; do
    case "$1" in
        --network) network="$2"; shift 2 ;;
        --ids) ids="$2"; shift 2 ;;
        --identity) identity="$2"; shift 2 ;;
        --json) json=1; shift ;;
        --watch) watch="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ "$watch" =~ ^[0-9]+$ ]] || die "--watch needs a number of seconds"

# The embedded network writes its URL here while it runs (host/local_network README).
STATE_DIR="${LOCAL_NETWORK_STATE_DIR:-$ROOT/.local-network}"
url="$network" ids_network=local
case "$network" in
    local)
        if [ -f "$STATE_DIR/network.json" ]; then
            url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$STATE_DIR/network.json")
        else
            url=http://127.0.0.1:4943
        fi
        if [ -z "$identity" ] && [ -f "$STATE_DIR/network.json" ] && [ -f "$STATE_DIR/operator.pem" ]; then
            identity="$STATE_DIR/operator.pem"
        fi
        if [ -z "$ids" ]; then
            for f in "$STATE_DIR/canister_ids.json" "$ROOT/.dfx/local/canister_ids.json"; do
                [ -f "$f" ] && { ids="$f"; break; }
            done
        fi ;;
    ic) ids_network=ic; [ -n "$ids" ] || ids="$ROOT/canister_ids.json" ;;
esac
[ -n "$ids" ] && [ -f "$ids" ] || die "no canister ids file (deploy first, or pass --ids FILE)"

# The client binary: $SUITE_BIN if set, else built once (profile host) into the shared target dir.
SUITE="${SUITE_BIN:-$HOST_BIN_DIR/suite}"
if [ -z "${SUITE_BIN:-}" ] && { [ ! -x "$SUITE" ] || [ -n "$(find "$ROOT/host/suite_client" "$ROOT/libs/interfaces" -newer "$SUITE" -name '*.rs' -print -quit)" ]; }; then
    build_host_tools >&2
fi

args=(--network "$url" --ids "$ids" --ids-network "$ids_network")
[ -n "$identity" ] && args+=(--identity "$identity")
[ $json = 1 ] && args+=(--json)

check() { "$SUITE" "${args[@]}" health; }

if [ "$watch" -gt 0 ]; then
    while true; do
        [ $json = 1 ] || { clear 2>/dev/null || true; date '+%F %T'; }
        check || true
        sleep "$watch"
    done
fi
check
