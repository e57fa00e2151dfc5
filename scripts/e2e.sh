#!/usr/bin/env bash
# End-to-end test of the main job on this machine, with the real clients (run by scripts/test.sh):
#   1. on a fresh state directory, scripts/deploy-secure.sh brings the suite up and verifies it,
#      web app included;
#   2. the real `icp` CLI (root key fetched) creates and reads a private event as one identity;
#   3. agent-js in Node, as another identity, creates and reads its own event and cannot read
#      the first identity's private event;
#   4. scripts/monitor-system.sh exits 0, and non-zero once a shard is stopped;
#   5. stopping and restarting the network, and running deploy-secure.sh again (an upgrade),
#      keep the event;
#   6. the web app's end-to-end suite (frontend/e2e/run.mjs) drives Debian's Chromium at
#      http://<frontend-id>.localhost:<port>/ as two users (playwright-core). Last, because it
#      stops a shard and raises alerts that the health checks above would count.
# Skipped when dfx is installed (deploy-secure.sh would use dfx's replica instead).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

if command -v dfx >/dev/null 2>&1; then
    log "e2e: dfx is installed, so deploy-secure.sh targets dfx; this test covers the embedded network only: skipped"
    exit 0
fi

work=$(mktemp -d)
export LOCAL_NETWORK_STATE_DIR="$work/state"
LOCAL_NETWORK_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export LOCAL_NETWORK_PORT
BIN_DIR="$HOST_BIN_DIR"
ICP="$ROOT/.tools/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"

stop_network() {
    local pid
    pid=$(cat "$LOCAL_NETWORK_STATE_DIR/network.pid" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    die "the embedded network did not stop"
}
trap 'stop_network; rm -rf "$work"' EXIT
fail() { log "e2e FAILED: $*"; exit 1; }

started=$(date +%s.%N)
scripts/deploy-secure.sh || fail "deploy-secure.sh on a fresh state directory"
took=$(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')")
log "e2e: from nothing to a verified suite in ${took} s (builds included when needed)"

url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$LOCAL_NETWORK_STATE_DIR/network.json")
ids="$LOCAL_NETWORK_STATE_DIR/canister_ids.json"
calendar=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["calendar"]["local"])' "$ids")

# 2. The icp CLI as "alice" (a fresh plaintext identity in a throwaway HOME: only icp gets it,
#    so the redeploy below still builds with the machine's cargo and toolchains).
mkdir -p "$work/home"
icp() { HOME="$work/home" DO_NOT_TRACK=1 "$ICP" "$@"; }
openssl genpkey -algorithm ed25519 -out "$work/alice.pem" 2>/dev/null
icp identity import --storage plaintext --from-pem "$work/alice.pem" alice >/dev/null
icp identity default alice
icp_call() { icp canister call "$calendar" "$@" -n "$url" -k fetch; }
out=$(icp_call create_event '(record { title = "Alice private lesson"; time = variant { Timed = record { start_ns = 1_893_456_000_000_000_000 : nat64; end_ns = 1_893_459_600_000_000_000 : nat64 } }; time_zone = "Europe/Berlin" })') \
    || fail "icp create_event: $out"
event=$(printf '%s' "$out" | tr -d '\n' | sed -n 's/.*id = \([0-9_]*\) : nat64.*/\1/p' | tr -d _)
[ -n "$event" ] || fail "icp create_event answered: $out"
icp_call get_event "($event : nat64)" --query | grep 'Alice private lesson' >/dev/null || fail "icp get_event"
log "e2e: icp created and read private event $event"

# 3. agent-js as another identity.
js=$(ICP_TOOLS_DIR="$ROOT/.tools" node scripts/e2e_agent.cjs "$url" "$calendar" "$event") || fail "agent-js: $js"
printf '%s\n' "$js" | grep '"own_title":"agent-js lesson"' >/dev/null || fail "agent-js could not read its own event: $js"
printf '%s\n' "$js" | grep '"other":"NotFound"' >/dev/null || fail "agent-js read another user's private event: $js"
log "e2e: agent-js created and read its own event and got NotFound for alice's"

# 4. The monitor (as the operator, who may read backup statistics): healthy, with the balancer's
#    view of the shard; then the stopped shard is reported.
export SUITE_BIN="$BIN_DIR/suite"
monitor=(scripts/monitor-system.sh --network "$url" --ids "$ids" --identity "$LOCAL_NETWORK_STATE_DIR/operator.pem")
out=$("${monitor[@]}") || fail "monitor-system.sh reports a problem on a healthy suite: $out"
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -q "users" || fail "the monitor shows no shard load: $out"
suite=("$BIN_DIR/suite" --network "$url" --identity "$LOCAL_NETWORK_STATE_DIR/operator.pem" --ids "$ids")
"${suite[@]}" stop calendar >/dev/null
if out=$("${monitor[@]}"); then
    fail "monitor-system.sh exited 0 with the calendar shard stopped: $out"
fi
printf '%s\n' "$out"
printf '%s\n' "$out" | grep "$calendar" | grep -q "unreachable" || fail "the monitor does not name the stopped shard: $out"
"${suite[@]}" start calendar >/dev/null
log "e2e: monitor-system.sh exits 0 when healthy and non-zero, naming the shard, once it is stopped"

# 5. Restart the network, then deploy again (an upgrade): the event is still there.
stop_network
scripts/deploy-secure.sh || fail "deploy-secure.sh again (upgrade)"
url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$LOCAL_NETWORK_STATE_DIR/network.json")
icp_call get_event "($event : nat64)" --query | grep 'Alice private lesson' >/dev/null \
    || fail "the event did not survive a network restart and an upgrade"
log "e2e: the event survived a network restart and an upgrade in place"

# 6. The web app in the browser, through the gateway (certified responses only).
frontend=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["frontend"]["local"])' "$ids")
app_url="http://$frontend.localhost:$LOCAL_NETWORK_PORT/"
browser_started=$(date +%s)
(cd frontend && node e2e/run.mjs "$app_url") || fail "the web app's browser tests at $app_url"
log "e2e: the web app's browser tests passed in $(( $(date +%s) - browser_started )) s (screenshots in frontend/e2e/out/)"
log "e2e passed"
