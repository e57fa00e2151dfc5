//! A Motoko canister compiled by the npm `motoko` package with its default settings (enhanced
//! orthogonal persistence: a wasm64 module whose heap survives upgrades) installs, answers
//! updates, queries and calls to itself, rolls back a trap, and upgrades with its stable
//! variables kept. The module is committed (`fixtures/motoko/counter.wasm`, rebuilt by
//! `fixtures/motoko/build.sh`), so this test needs no npm.

use std::path::PathBuf;

use candid::{encode_args, Principal};
use ic_runtime::{query_candid, update_candid, update_candid_as, ErrorCode, PocketIc};

fn counter_wasm() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/motoko/counter.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn get(pic: &PocketIc, id: Principal) -> u64 {
    let (n,): (candid::Nat,) = query_candid(pic, id, "get", ()).unwrap();
    n.0.try_into().unwrap()
}

#[test]
fn a_default_motoko_canister_runs_and_keeps_its_stable_variables_across_upgrades() {
    let wasm = counter_wasm();
    let pic = PocketIc::new();
    let id = pic.create_canister();
    pic.install_canister(id, wasm.clone(), encode_args(()).unwrap(), None);

    let (one,): (candid::Nat,) = update_candid(&pic, id, "inc", ()).unwrap();
    assert_eq!(one, 1u8);
    let (_,): (candid::Nat,) = update_candid(&pic, id, "add", ("alice",)).unwrap();
    // Two awaited calls to itself: wasm64 call_new, callbacks and replies from them.
    let (three,): (candid::Nat,) = update_candid(&pic, id, "inc_twice", ()).unwrap();
    assert_eq!(three, 3u8);
    assert_eq!(get(&pic, id), 3);

    // A trap after a write leaves nothing behind.
    let err = update_candid::<_, (), ()>(&pic, id, "boom", ()).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap, "{err}");
    assert_eq!(get(&pic, id), 3);

    let user = Principal::from_slice(&[7; 29]);
    let (me,): (Principal,) = ic_runtime::query_candid_as(&pic, id, user, "whoami", ()).unwrap();
    assert_eq!(me, user);
    let (_,): (candid::Nat,) = update_candid_as(&pic, id, user, "inc", ()).unwrap();
    assert_eq!(get(&pic, id), 4);

    // Like the IC, an upgrade that would drop the heap is refused for such a module...
    let refused = pic
        .upgrade_canister(id, wasm.clone(), encode_args(()).unwrap(), None)
        .unwrap_err();
    assert!(
        refused.reject_message.contains("wasm_memory_persistence"),
        "{refused}"
    );
    assert_eq!(get(&pic, id), 4, "a refused upgrade changes nothing");

    // ...and one keeping it (what dfx and icp-cli do for Motoko) keeps the stable variables.
    pic.upgrade_eop_canister(id, wasm, encode_args(()).unwrap(), None)
        .unwrap();
    assert_eq!(get(&pic, id), 4, "stable var count kept");
    let (name,): (String,) = query_candid(&pic, id, "first_name", ()).unwrap();
    assert_eq!(name, "alice", "stable var names kept");
    let (since,): (candid::Nat,) = query_candid(&pic, id, "since_upgrade", ()).unwrap();
    assert_eq!(since, 0u8, "transient var reset");
    let (five,): (candid::Nat,) = update_candid(&pic, id, "inc", ()).unwrap();
    assert_eq!(five, 5u8);
}
