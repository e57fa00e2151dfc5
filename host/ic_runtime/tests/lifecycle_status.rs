//! Controllers, running/stopping/stopped, delete, inspect_message.

mod common;

use std::time::Duration;

use candid::{encode_args, encode_one, Principal};
use common::*;
use ic_runtime::management_types::{CanisterIdRecord, CanisterStatusType};
use ic_runtime::{query_candid, update_candid, ErrorCode, PocketIc, RejectCode};

#[test]
fn stopped_canister_rejects_calls_until_started() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let (code,): (u32,) = query_candid(&pic, store, "status_code", ()).unwrap();
    assert_eq!(code, 1);
    pic.stop_canister(store, None).unwrap();
    assert_eq!(
        pic.canister_status(store, None).unwrap().status,
        CanisterStatusType::Stopped
    );
    let err = pic
        .update_call(store, user(), "inc", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(
        (err.reject_code, err.error_code),
        (RejectCode::CanisterError, ErrorCode::CanisterStopped)
    );
    let err = pic
        .query_call(store, user(), "counter", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterStopped);
    // Calls from other canisters are refused too.
    let caller = install_caller(&pic);
    let (r,): (Result<u64, Rejected>,) = update_candid(&pic, caller, "call_inc", (store,)).unwrap();
    assert_eq!(r.unwrap_err().code, 5);
    pic.start_canister(store, None).unwrap();
    let (n,): (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn stopping_waits_for_open_call_contexts() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let until = pic.get_time().as_nanos_since_unix_epoch() + 30_000_000_000;
    let busy = pic
        .submit_call(store, user(), "wait_until", encode_one(until).unwrap())
        .unwrap();
    pic.tick();
    let stop = pic
        .submit_call(
            Principal::management_canister(),
            Principal::anonymous(),
            "stop_canister",
            encode_one(CanisterIdRecord { canister_id: store }).unwrap(),
        )
        .unwrap();
    pic.tick();
    assert!(
        pic.ingress_status(stop.clone()).is_none(),
        "stopped while a call context was open"
    );
    assert_eq!(
        pic.canister_status(store, None).unwrap().status,
        CanisterStatusType::Stopping
    );
    let err = pic
        .update_call(store, user(), "inc", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterStopping);
    pic.advance_time(Duration::from_secs(31));
    pic.await_call(stop)
        .expect("stop completes once the context closes");
    pic.await_call(busy)
        .expect("the open call still got its reply");
    assert_eq!(
        pic.canister_status(store, None).unwrap().status,
        CanisterStatusType::Stopped
    );
}

#[test]
fn controllers_and_is_controller() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    assert_eq!(pic.get_controllers(store), vec![Principal::anonymous()]);
    let (yes,): (bool,) = query_candid(&pic, store, "is_ctrl", (Principal::anonymous(),)).unwrap();
    let (no,): (bool,) = query_candid(&pic, store, "is_ctrl", (user(),)).unwrap();
    assert!(yes && !no);
    let err = pic.canister_status(store, Some(user())).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidController);
    pic.set_controllers(store, None, vec![user()]).unwrap();
    let (now,): (bool,) = query_candid(&pic, store, "is_ctrl", (user(),)).unwrap();
    assert!(now);
    assert!(
        pic.canister_status(store, None).is_err(),
        "the old controller kept access"
    );
    assert!(pic.canister_status(store, Some(user())).is_ok());
    let err = pic
        .upgrade_canister(
            store,
            wasm("rt_store"),
            encode_args((None::<String>,)).unwrap(),
            None,
        )
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidController);
}

#[test]
fn delete_needs_a_stopped_canister() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let err = pic.delete_canister(store, None).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterNotStopped);
    pic.stop_canister(store, None).unwrap();
    pic.delete_canister(store, None).unwrap();
    assert!(!pic.canister_exists(store));
    let err = pic
        .update_call(store, user(), "inc", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterNotFound);
}

#[test]
fn inspect_message_filters_ingress_only() {
    let pic = PocketIc::new();
    let (store, caller) = (install_store(&pic), install_caller(&pic));
    let err = pic
        .update_call(store, user(), "forbidden", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterReject);
    assert_eq!(err.error_code, ErrorCode::CanisterRejectedMessage);
    assert_eq!(err.error_code.to_string(), "IC0406");
    assert_eq!(counter(&pic, store), 0);
    // Not for inter-canister calls.
    let (r,): (Result<Vec<u8>, Rejected>,) =
        update_candid(&pic, caller, "call_method", (store, "forbidden")).unwrap();
    assert!(r.is_ok());
    assert_eq!(counter(&pic, store), 1);
}

#[test]
fn cycles_start_at_100t_and_can_be_added() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    assert_eq!(pic.cycle_balance(store), 100_000_000_000_000);
    assert_eq!(pic.add_cycles(store, 5), 100_000_000_000_005);
    let status = pic.canister_status(store, None).unwrap();
    assert_eq!(status.cycles, candid::Nat::from(100_000_000_000_005u128));
}
