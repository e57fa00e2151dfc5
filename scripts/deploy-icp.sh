# shellcheck shell=bash
# `scripts/deploy-secure.sh --network ic`: the suite on mainnet with the icp CLI. Sourced by
# deploy-secure.sh (it uses its log/die, ROOT, HOST_BIN_DIR, service_config, smoke_test and
# check_web_app); never run on its own.
#
#   1. the identity (icp's default one) must hold enough cycles on the cycles ledger to create
#      the canisters the environment does not have yet, otherwise the script stops and says how
#      to get them;
#   2. `icp deploy -e ic` builds (scripts/build.sh), creates what is missing, sets the
#      `PUBLIC_CANISTER_ID:<name>` variables and installs or upgrades all seven canisters;
#   3. `suite wire-suite` does what icp cannot: registers the group, has the registry deliver
#      the access keys, stores the calendar wasm for scale-out, grants the balancer and the
#      backup canister;
#   4. the same verification as on the embedded network.
#
# ICP_MAINNET_URL=http://127.0.0.1:PORT: an embedded network stands in for mainnet. The project
# is then a generated copy of icp.yaml in <state dir>/icp-mainnet-standin whose `ic` environment
# points at that URL (root key fetched), so the committed ids of the real `ic` environment are
# never touched; its build steps run the checkout's scripts/build.sh.

ICP_CLI="$TOOLS_DIR/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"
# What icp deploy gives each new canister (its default), plus the ledger's fee per creation.
ICP_CANISTER_CYCLES=2000000000000
ICP_LEDGER_FEE=100000000

# The stand-in project: icp.yaml plus an `ic` environment on $1; links to the checkout's scripts
# and build outputs, which the build steps use (env.sh resolves the real checkout).
make_standin_project() {
    local dir="$1" url="$2"
    mkdir -p "$dir"
    ln -sfn "$ROOT/scripts" "$dir/scripts"
    ln -sfn "$ROOT/target" "$dir/target"
    {
        cat "$ROOT/icp.yaml"
        printf '  - name: mainnet-standin\n    mode: connected\n    url: %s\n    root-key: fetch\n' "$url"
        printf 'environments:\n  - name: ic\n    network: mainnet-standin\n'
    } >"$dir/icp.yaml"
}

# The number in an `icp cycles balance` answer (digits only).
cycles_of() {
    tr -d '_,' | grep -o '[0-9]\+' | head -1
}

deploy_with_icp() {
    [ -x "$ICP_CLI" ] || die "the icp CLI is missing: run scripts/setup.sh"
    local project="$ROOT" url suite_network=ic ids_network=ic
    if [ -n "${ICP_MAINNET_URL:-}" ]; then
        url="$ICP_MAINNET_URL"
        project="${LOCAL_NETWORK_STATE_DIR:-$ROOT/.local-network}/icp-mainnet-standin"
        make_standin_project "$project" "$url"
        suite_network="$url" ids_network=local
        log "mainnet stand-in: $url (project $project)"
    fi
    icp() { DO_NOT_TRACK=1 ICP_PROJECT_ROOT="$project" "$ICP_CLI" "$@"; }
    local ids="$project/.icp/data/mappings/ic.ids.json"
    local me name have=0 missing=0 balance need
    name=$(icp identity default) || die "icp has no default identity: icp identity new NAME, then icp identity default NAME"
    me=$(icp identity principal) || die "cannot read the principal of icp identity $name"
    [ "$me" != 2vxsx-fae ] || die "icp's default identity is anonymous, which cannot own canisters: icp identity new NAME, then icp identity default NAME"
    for kind in "${SUITE_CANISTERS[@]}" "${WEB_CANISTERS[@]}"; do
        if [ -f "$ids" ] && grep -q "\"$kind\"" "$ids"; then have=$((have + 1)); else missing=$((missing + 1)); fi
    done
    need=$(( missing * (ICP_CANISTER_CYCLES + ICP_LEDGER_FEE) ))
    balance=$(icp cycles balance -e ic 2>/dev/null | cycles_of) || true
    [ -n "$balance" ] || die "cannot read the cycles balance of identity $name ($me) on the ic environment"
    log "identity $name ($me): $balance cycles; $have canisters exist, $missing to create ($need cycles)"
    if [ "$balance" -lt "$need" ]; then
        die "identity $name ($me) has $balance cycles but creating $missing canisters needs $need.
Get cycles on its cycles-ledger account first, e.g. convert ICP: icp cycles mint --icp 10 -e ic
(or have someone send them: icp cycles transfer 16t $me -e ic), then run this again."
    fi
    log "icp deploy -e ic (build, create what is missing, install or upgrade)"
    icp deploy -e ic --yes || die "icp deploy -e ic failed"
    [ -f "$ids" ] || die "icp deploy wrote no $ids"

    # The group wiring as the same identity (a controller of every canister): its key is
    # exported for the project's client into a private temporary file, removed afterwards.
    local pem
    pem=$(mktemp)
    chmod 600 "$pem"
    icp identity export "$name" >"$pem" || { rm -f "$pem"; die "cannot export identity $name for the group wiring"; }
    local suite=("$HOST_BIN_DIR/suite" --network "$suite_network" --identity "$pem" --ids "$ids" --ids-network "$ids_network")
    build_host_tools
    log "wiring the group (suite wire-suite)"
    "${suite[@]}" wire-suite --wasm-dir "$ROOT/target/canisters" "${service_config[@]}" \
        || { rm -f "$pem"; die "suite wire-suite failed"; }
    log "verifying"
    local healthy=0
    wait_until_healthy "${suite[@]}" && healthy=1
    rm -f "$pem"
    [ $healthy = 1 ] || die "a canister is not healthy"
    if [ -n "${ICP_MAINNET_URL:-}" ]; then
        smoke_test "$url" "$ids"
        check_web_app "$url" "$ids"
    else
        smoke_test ic "$ids"
        local frontend
        frontend=$(id_of frontend "$ids")
        curl -sf -o /dev/null "https://$frontend.icp0.io/" || die "https://$frontend.icp0.io/ does not answer"
        log "the web app: https://$frontend.icp0.io/"
    fi
    log "the suite is deployed and verified on ${ICP_MAINNET_URL:-mainnet} with icp"
}
