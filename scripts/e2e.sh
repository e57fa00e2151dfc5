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
#   6. `icp deploy` with the committed icp.yaml on a second, fresh embedded network deploys all
#      seven canisters, `suite wire-suite` wires the group, and icp's `canister status`, `logs`,
#      `settings update`, `top-up`, `call` and `cycles balance` work; a second `icp deploy`
#      upgrades and keeps the data;
#   7. `deploy-secure.sh --network ic` with that network standing in for mainnet refuses an
#      identity without cycles, then (funded) deploys, wires and verifies, and again (upgrade);
#   8. the web app's end-to-end suite (frontend/e2e/run.mjs) drives Debian's Chromium at
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
# The second network's stop is defined where it starts (step 6): before that there is none.
trap 'stop_network; if declare -F stop_icp_network >/dev/null; then stop_icp_network; fi; rm -rf "$work"' EXIT
fail() { log "e2e FAILED: $*"; exit 1; }

started=$(date +%s.%N)
scripts/deploy-secure.sh || fail "deploy-secure.sh on a fresh state directory"
took=$(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')")
log "e2e: from nothing to a verified suite in ${took} s (builds included when needed)"

url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$LOCAL_NETWORK_STATE_DIR/network.json")
ids="$LOCAL_NETWORK_STATE_DIR/canister_ids.json"
calendar=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["calendar"]["local"])' "$ids")

# 2. The icp CLI as "alice" (a fresh plaintext identity in a throwaway HOME: only icp gets it).
#    The builds `icp deploy` runs keep the machine's cargo and rustup homes: under the
#    throwaway HOME cargo would fetch every crate again and rebuild every canister (the
#    registry's path is part of each crate's fingerprint), minutes of CI for nothing.
mkdir -p "$work/home"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
icp() { HOME="$work/home" CARGO_HOME="$cargo_home" RUSTUP_HOME="$rustup_home" DO_NOT_TRACK=1 "$ICP" "$@"; }
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

# 6. icp deploy with the committed icp.yaml, on a second embedded network of its own (fresh
#    state directory, free port). The project is a generated copy of icp.yaml whose `local`
#    network is that port (icp has no URL override), linked to this checkout's scripts/target.
icp_state="$work/icp-state"
icp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
icp_url="http://127.0.0.1:$icp_port"
stop_icp_network() {
    local pid
    pid=$(cat "$icp_state/network.pid" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
}
mkdir -p "$icp_state"
nohup "$BIN_DIR/local-network" serve --state-dir "$icp_state" --port "$icp_port" >>"$work/icp-network.log" 2>&1 &
echo $! >"$icp_state/network.pid"
for _ in $(seq 1 300); do grep -q '"url"' "$icp_state/network.json" 2>/dev/null && break; sleep 0.2; done
grep -q '"url"' "$icp_state/network.json" || fail "the second embedded network did not start"
project="$work/icp-project"
mkdir -p "$project"
ln -s "$ROOT/scripts" "$project/scripts"
ln -s "$ROOT/target" "$project/target"
sed "s#url: http://127.0.0.1:4943#url: $icp_url#" icp.yaml >"$project/icp.yaml"
grep -q "url: $icp_url" "$project/icp.yaml" || fail "icp.yaml declares no local network at http://127.0.0.1:4943"
export ICP_HOME="$work/icp-home"
picp() { ICP_PROJECT_ROOT="$project" icp "$@"; }
picp identity new deployer --storage plaintext >/dev/null
picp identity default deployer
deployer=$(picp identity principal)
# Local cycles: the anonymous principal is the embedded network's faucet.
picp cycles transfer 50t "$deployer" --identity anonymous >/dev/null || fail "icp cycles transfer from the faucet"
balance_before=$(picp cycles balance | tr -d '_,' | grep -o '[0-9]\+' | head -1)
[ "$balance_before" = 50000000000000 ] || fail "icp cycles balance after funding: $balance_before"
out=$(picp deploy --yes 2>&1) || fail "icp deploy: $out"
printf '%s\n' "$out" | tail -20
icp_ids="$project/.icp/data/mappings/local.ids.json"
for kind in "${SUITE_CANISTERS[@]}" "${WEB_CANISTERS[@]}"; do
    grep -q "\"$kind\"" "$icp_ids" || fail "icp deploy recorded no id for $kind: $(cat "$icp_ids")"
done
balance_after=$(picp cycles balance | tr -d '_,' | grep -o '[0-9]\+' | head -1)
log "e2e: icp deploy created and installed 7 canisters for $((balance_before - balance_after)) cycles"
picp identity export deployer >"$work/deployer.pem"
isuite=("$BIN_DIR/suite" --network "$icp_url" --identity "$work/deployer.pem" --ids "$icp_ids")
"${isuite[@]}" wire-suite --wasm-dir "$ROOT/target/canisters" || fail "suite wire-suite after icp deploy"
healthy=0
for _ in $(seq 1 30); do "${isuite[@]}" health >/dev/null 2>&1 && { healthy=1; break; }; sleep 1; done
[ $healthy = 1 ] || fail "the icp-deployed suite is not healthy: $("${isuite[@]}" health 2>&1)"
# The members found the registry through PUBLIC_CANISTER_ID:canister_registry (install arg null).
status=$(picp canister status calendar) || fail "icp canister status: $status"
printf '%s\n' "$status" | grep -q 'PUBLIC_CANISTER_ID:canister_registry' || fail "icp canister status shows no environment variables: $status"
picp canister call calendar check_group_peer "(principal \"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["notification"])' "$icp_ids")\")" \
    | grep 'Ok' >/dev/null || fail "the icp-deployed calendar is not in the group"
out=$(picp canister call calendar create_event '(record { title = "icp deployed lesson"; time = variant { Timed = record { start_ns = 1_893_456_000_000_000_000 : nat64; end_ns = 1_893_459_600_000_000_000 : nat64 } }; time_zone = "UTC" })') \
    || fail "icp canister call create_event: $out"
icp_event=$(printf '%s' "$out" | tr -d '\n' | sed -n 's/.*id = \([0-9_]*\) : nat64.*/\1/p' | tr -d _)
[ -n "$icp_event" ] || fail "icp create_event answered: $out"
picp canister logs calendar >"$work/logs.txt" || fail "icp canister logs"
log "e2e: icp canister logs: $(wc -l <"$work/logs.txt") records"
picp canister settings update calendar --log-visibility public -f >/dev/null || fail "icp canister settings update"
# (grep without -q reads all its input: an early exit would break icp's pipe under pipefail, and
# icp panics on a broken pipe. A CI run failed that way with the setting already public.)
settings=$(picp canister settings show calendar) || fail "icp canister settings show: $settings"
grep -qi 'log visibility: public' <<<"$settings" || fail "log visibility did not change: $settings"
# Public logs: now anyone may read them (a fresh identity that controls nothing).
picp canister logs "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["calendar"])' "$icp_ids")" --identity anonymous -n "$icp_url" -k fetch >/dev/null \
    || fail "public logs are not readable by a non-controller"
cycles_before=$(picp canister status calendar | tr -d '_,' | sed -n 's/.*Cycles: *\([0-9]*\).*/\1/p' | head -1)
picp canister top-up calendar --amount 1t >/dev/null || fail "icp canister top-up"
cycles_after=$(picp canister status calendar | tr -d '_,' | sed -n 's/.*Cycles: *\([0-9]*\).*/\1/p' | head -1)
[ -n "$cycles_before" ] && [ -n "$cycles_after" ] && [ "$cycles_after" -gt "$cycles_before" ] \
    || fail "top-up did not add cycles ($cycles_before -> $cycles_after)"
log "e2e: icp status, logs, settings update (log visibility public) and top-up ($cycles_before -> $cycles_after cycles) work"
hash_before=$(picp canister status calendar | grep -i 'module hash')
out=$(picp deploy --yes 2>&1) || fail "the second icp deploy (upgrade): $out"
picp canister call calendar get_event "($icp_event : nat64)" --query | grep 'icp deployed lesson' >/dev/null \
    || fail "the event did not survive the second icp deploy"
[ "$(picp canister status calendar | grep -i 'module hash')" = "$hash_before" ] || fail "the module changed on a redeploy of the same build"
log "e2e: a second icp deploy upgraded in place and kept event $icp_event"

# 7. deploy-secure.sh --network ic, the same network standing in for mainnet: refused without
#    cycles, then deployed and verified, then upgraded in place.
picp identity new mainnet-operator --storage plaintext >/dev/null
picp identity default mainnet-operator
if out=$(ICP_MAINNET_URL="$icp_url" LOCAL_NETWORK_STATE_DIR="$icp_state" scripts/deploy-secure.sh --network ic 2>&1); then
    fail "deploy-secure.sh --network ic deployed with an identity that has no cycles"
fi
printf '%s\n' "$out" | grep -q 'icp cycles mint' || fail "the refusal does not say how to get cycles: $out"
log "e2e: deploy-secure.sh --network ic refused an identity without cycles and said how to get them"
picp cycles transfer 20t "$(picp identity principal)" --identity anonymous >/dev/null || fail "funding mainnet-operator"
ICP_MAINNET_URL="$icp_url" LOCAL_NETWORK_STATE_DIR="$icp_state" scripts/deploy-secure.sh --network ic \
    || fail "deploy-secure.sh --network ic against the stand-in"
ICP_MAINNET_URL="$icp_url" LOCAL_NETWORK_STATE_DIR="$icp_state" scripts/deploy-secure.sh --network ic \
    || fail "deploy-secure.sh --network ic again (upgrade)"
picp identity default deployer
unset ICP_HOME
log "e2e: deploy-secure.sh --network ic deployed, verified and upgraded on the mainnet stand-in"

# 8. The web app in the browser, through the gateway (certified responses only).
frontend=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["frontend"]["local"])' "$ids")
app_url="http://$frontend.localhost:$LOCAL_NETWORK_PORT/"
browser_started=$(date +%s)
(cd frontend && node e2e/run.mjs "$app_url") || fail "the web app's browser tests at $app_url"
log "e2e: the web app's browser tests passed in $(( $(date +%s) - browser_started )) s (screenshots in frontend/e2e/out/)"
log "e2e passed"
