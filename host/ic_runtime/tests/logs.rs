//! debug_print and traps kept as per-canister logs.

mod common;

use candid::{encode_one, Principal};
use common::*;
use ic_runtime::{update_candid, PocketIc};

fn lines(pic: &PocketIc, id: Principal) -> Vec<String> {
    pic.fetch_canister_logs(id, Principal::anonymous())
        .unwrap()
        .into_iter()
        .map(|r| String::from_utf8_lossy(&r.content).into_owned())
        .collect()
}

#[test]
fn debug_print_and_traps_are_logged_in_order() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let () = update_candid(&pic, store, "log", ("hello",)).unwrap();
    pic.update_call(
        store,
        user(),
        "log_and_trap",
        encode_one("before the trap").unwrap(),
    )
    .unwrap_err();
    let logs = lines(&pic, store);
    let hello = logs
        .iter()
        .position(|l| l == "hello")
        .expect("debug_print missing");
    let before = logs
        .iter()
        .position(|l| l == "before the trap")
        .expect("print of a trapped message missing");
    let trap = logs
        .iter()
        .position(|l| l == "[TRAP]: trapped after logging")
        .expect("trap missing");
    assert!(hello < before && before < trap, "{logs:?}");
    let records = pic
        .fetch_canister_logs(store, Principal::anonymous())
        .unwrap();
    assert!(records
        .windows(2)
        .all(|w| w[0].idx < w[1].idx && w[0].timestamp_nanos <= w[1].timestamp_nanos));
    assert_eq!(
        records[hello].timestamp_nanos,
        pic.get_time().as_nanos_since_unix_epoch() - 1
    );
}

#[test]
fn only_controllers_read_logs() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    assert!(pic.fetch_canister_logs(store, user()).is_err());
    assert!(pic
        .fetch_canister_logs(store, Principal::anonymous())
        .is_ok());
}
