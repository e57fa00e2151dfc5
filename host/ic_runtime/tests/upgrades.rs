//! install / upgrade / reinstall: hooks, what survives, and atomic failure.

mod common;

use candid::encode_args;
use common::*;
use ic_runtime::{query_candid, update_candid, ErrorCode, PocketIc};

fn arg(s: Option<&str>) -> Vec<u8> {
    encode_args((s.map(str::to_string),)).unwrap()
}

/// Stats without the clock (each management call takes a round, which moves time by 1 ns).
fn state(pic: &PocketIc, store: candid::Principal) -> Stats {
    Stats {
        time: 0,
        ..stats(pic, store)
    }
}

fn timer_runs(pic: &PocketIc, store: candid::Principal) -> u64 {
    let (t,): (TimerStats,) = query_candid(pic, store, "timer_stats", ()).unwrap();
    t.init_timer_runs
}

fn prepared(pic: &PocketIc) -> candid::Principal {
    let store = install_store(pic);
    pic.tick();
    for _ in 0..3 {
        let _: (u64,) = update_candid(pic, store, "inc", ()).unwrap();
    }
    let () = update_candid(pic, store, "put", ("k", "v")).unwrap();
    assert_eq!(timer_runs(pic, store), 1);
    store
}

#[test]
fn upgrade_keeps_stable_memory_discards_heap_and_runs_hooks() {
    let pic = PocketIc::new();
    let store = prepared(&pic);
    let version = stats(&pic, store).version;
    pic.upgrade_canister(store, wasm("rt_store"), arg(Some("up")), None)
        .unwrap();
    let s = stats(&pic, store);
    assert_eq!(
        s.counter, 3,
        "pre_upgrade saved / post_upgrade restored the counter"
    );
    assert_eq!(s.map_len, 1, "stable map lost");
    assert_eq!(
        s.init_arg.as_deref(),
        Some("up"),
        "post_upgrade did not get its argument"
    );
    assert_eq!(s.version, version + 1);
    assert_eq!(timer_runs(&pic, store), 0, "heap survived the upgrade");
    pic.tick();
    assert_eq!(
        timer_runs(&pic, store),
        1,
        "post_upgrade's zero-delay timer did not run"
    );
}

#[test]
fn failed_post_upgrade_leaves_the_canister_as_it_was() {
    let pic = PocketIc::new();
    let store = prepared(&pic);
    let before = state(&pic, store);
    let err = pic
        .upgrade_canister(store, wasm("rt_store"), arg(Some("trap")), None)
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap);
    assert!(err.reject_message.contains("post_upgrade refused"));
    assert_eq!(state(&pic, store), before);
    assert_eq!(
        timer_runs(&pic, store),
        1,
        "the old heap must still be there"
    );
}

#[test]
fn reinstall_wipes_heap_and_stable_memory() {
    let pic = PocketIc::new();
    let store = prepared(&pic);
    pic.reinstall_canister(store, wasm("rt_store"), arg(None), None)
        .unwrap();
    let s = stats(&pic, store);
    assert_eq!((s.counter, s.map_len), (0, 0));
}

#[test]
fn failed_reinstall_and_failed_install_change_nothing() {
    let pic = PocketIc::new();
    let store = prepared(&pic);
    let before = state(&pic, store);
    let err = pic
        .reinstall_canister(store, wasm("rt_store"), arg(Some("trap")), None)
        .unwrap_err();
    assert!(err.reject_message.contains("init refused"));
    assert_eq!(state(&pic, store), before);

    let empty = pic.create_canister();
    let wasm = wasm("rt_store");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pic.install_canister(empty, wasm, arg(Some("trap")), None)
    }));
    assert!(
        result.is_err(),
        "install_canister must panic when init traps"
    );
    let err = pic
        .update_call(empty, user(), "inc", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(
        err.error_code,
        ErrorCode::CanisterWasmModuleNotFound,
        "a failed install left code behind"
    );
}

#[test]
fn install_twice_is_refused_and_raw_wasm_is_accepted() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let status = pic.canister_status(store, None).unwrap();
    assert_eq!(
        status.module_hash,
        Some(ic_runtime::engine::sha256(&wasm("rt_store")).to_vec())
    );
    let raw = ic_runtime::instrument::decompress(&wasm("rt_store")).unwrap();
    let other = pic.create_canister();
    pic.install_canister(other, raw.clone(), arg(None), None);
    let status = pic.canister_status(other, None).unwrap();
    assert_eq!(
        status.module_hash,
        Some(ic_runtime::engine::sha256(&raw).to_vec())
    );
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pic.install_canister(store, raw, arg(None), None)
    }));
    assert!(err.is_err(), "installing over existing code must fail");
}

#[test]
fn skip_pre_upgrade_keeps_stable_memory_but_skips_the_hook() {
    use ic_runtime::management_types::{CanisterInstallMode, InstallCodeArgs, UpgradeFlags};
    let pic = PocketIc::new();
    let store = prepared(&pic);
    let flags = UpgradeFlags {
        skip_pre_upgrade: Some(true),
        wasm_memory_persistence: None,
    };
    let args = InstallCodeArgs {
        mode: CanisterInstallMode::Upgrade(Some(flags)),
        canister_id: store,
        wasm_module: wasm("rt_store"),
        arg: arg(None),
        sender_canister_version: None,
    };
    let () = update_candid(
        &pic,
        candid::Principal::management_canister(),
        "install_code",
        (args,),
    )
    .unwrap();
    let s = stats(&pic, store);
    assert_eq!(
        s.counter, 0,
        "pre_upgrade ran although skipped (it saves the counter)"
    );
    assert_eq!(s.map_len, 1, "stable memory must survive");
}

#[test]
fn uninstall_removes_code_and_state() {
    let pic = PocketIc::new();
    let store = prepared(&pic);
    pic.uninstall_canister(store, None).unwrap();
    let err = pic
        .update_call(store, user(), "inc", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterWasmModuleNotFound);
    assert!(pic.get_stable_memory(store).is_empty());
    assert_eq!(pic.canister_status(store, None).unwrap().module_hash, None);
    pic.install_canister(store, wasm("rt_store"), arg(None), None);
    let s = stats(&pic, store);
    assert_eq!((s.counter, s.map_len), (0, 0));
}
