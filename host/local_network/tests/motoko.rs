//! A Motoko canister (npm `motoko`, default settings: wasm64, enhanced orthogonal persistence;
//! the module committed in host/ic_runtime/fixtures/motoko) on the embedded network over
//! HTTP: created, installed, called with ic-agent, upgraded keeping its wasm memory as dfx and
//! icp-cli do for Motoko, and still holding its stable variables after a server restart.

mod common;

use candid::{Nat, Principal};
use common::{agent, identity, query, tokio, update, Server, TempDir};
use ic_management_canister_types::{
    CanisterInstallMode, InstallCodeArgs, UpgradeFlags, WasmMemoryPersistence,
};
use suite_client::manage::{self, Mode};
use suite_client::registry::default_effective_id;

fn counter_wasm() -> Vec<u8> {
    let path = common::repo_root().join("host/ic_runtime/fixtures/motoko/counter.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `install_code` in upgrade mode with `wasm_memory_persistence = keep`.
async fn upgrade_keeping_memory(agent: &ic_agent::Agent, id: Principal, wasm: Vec<u8>) {
    let args = InstallCodeArgs {
        mode: CanisterInstallMode::Upgrade(Some(UpgradeFlags {
            skip_pre_upgrade: None,
            wasm_memory_persistence: Some(WasmMemoryPersistence::Keep),
        })),
        canister_id: id,
        wasm_module: wasm,
        arg: candid::encode_args(()).unwrap(),
        sender_canister_version: None,
    };
    agent
        .update(&Principal::management_canister(), "install_code")
        .with_effective_canister_id(id)
        .with_arg(candid::encode_one(&args).unwrap())
        .call_and_wait()
        .await
        .expect("upgrade keeping the wasm memory");
}

#[test]
fn a_motoko_canister_runs_upgrades_and_survives_a_restart_on_the_network() {
    let dir = TempDir::new("net-motoko");
    let rt = tokio();
    let wasm = counter_wasm();
    let server = Server::start(&dir.0);
    let id = rt.block_on(async {
        let agent = agent(&server.url, identity(3)).await;
        let me = agent.get_principal().unwrap();
        let id = manage::create_canister(&agent, default_effective_id(), vec![me], None)
            .await
            .unwrap();
        manage::install_with(&agent, id, &wasm, (), Mode::Install)
            .await
            .unwrap();
        let (n,): (Nat,) = update(&agent, id, "inc", ()).await.unwrap();
        assert_eq!(n, 1u8);
        let (n,): (Nat,) = update(&agent, id, "inc_twice", ()).await.unwrap();
        assert_eq!(n, 3u8);
        let (_,): (Nat,) = update(&agent, id, "add", ("bob",)).await.unwrap();
        let (who,): (Principal,) = query(&agent, id, "whoami", ()).await.unwrap();
        assert_eq!(who, me);

        // An upgrade that drops the heap is refused; one keeping it keeps the stable vars.
        let refused = manage::install_with(&agent, id, &wasm, (), Mode::Upgrade).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("wasm_memory_persistence")),
            "{refused:?}"
        );
        upgrade_keeping_memory(&agent, id, wasm.clone()).await;
        let (n,): (Nat,) = query(&agent, id, "get", ()).await.unwrap();
        assert_eq!(n, 3u8);
        id
    });
    server.stop();

    // The saved state holds the wasm64 heap: after a restart the values are still there.
    let server = Server::start(&dir.0);
    rt.block_on(async {
        let agent = agent(&server.url, identity(3)).await;
        let (n,): (Nat,) = query(&agent, id, "get", ()).await.unwrap();
        assert_eq!(n, 3u8);
        let (name,): (String,) = query(&agent, id, "first_name", ()).await.unwrap();
        assert_eq!(name, "bob");
        let (n,): (Nat,) = update(&agent, id, "inc", ()).await.unwrap();
        assert_eq!(n, 4u8);
    });
    server.stop();
}
