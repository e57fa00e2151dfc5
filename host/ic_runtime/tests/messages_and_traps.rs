//! Atomic messages, reply/reject rules, reject codes and IC-shaped errors.

mod common;

use candid::{encode_args, encode_one, Principal};
use common::*;
use ic_runtime::{query_candid, update_candid, ErrorCode, PocketIc, RejectCode};

#[test]
fn updates_change_state_and_queries_read_it() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let (a,): (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    let (b,): (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    assert_eq!((a, b), (1, 2));
    let () = update_candid(&pic, store, "put", ("k", "v")).unwrap();
    let (v,): (Option<String>,) = query_candid(&pic, store, "get", ("k",)).unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    assert_eq!(counter(&pic, store), 2);
}

#[test]
fn trap_rolls_back_heap_and_stable_memory() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let _: (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    let () = update_candid(&pic, store, "put", ("a", "1")).unwrap();
    let err = pic
        .update_call(store, user(), "boom", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap);
    assert_eq!(err.error_code.to_string(), "IC0503");
    assert!(err.reject_message.starts_with(&format!("Error from Canister {store}: Canister called `ic0.trap` with message: 'boom requested'")), "{}", err.reject_message);
    let s = stats(&pic, store);
    assert_eq!(s.counter, 1, "heap change of the trapped message survived");
    assert_eq!(
        s.map_len, 1,
        "stable-memory change of the trapped message survived"
    );
    let (boom,): (Option<String>,) = query_candid(&pic, store, "get", ("boom",)).unwrap();
    assert_eq!(boom, None);
}

#[test]
fn trap_that_grew_memory_leaves_memory_as_before() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let (pages_before,): (u64,) = query_candid(&pic, store, "wasm_pages", ()).unwrap();
    let err = pic
        .update_call(store, user(), "grow_and_trap", encode_args(()).unwrap())
        .unwrap_err();
    assert!(
        err.reject_message.contains("grew 8388608 bytes"),
        "{}",
        err.reject_message
    );
    let (pages_after,): (u64,) = query_candid(&pic, store, "wasm_pages", ()).unwrap();
    assert_eq!(pages_after, pages_before);
    assert_eq!(counter(&pic, store), 0);
    // The canister still works after the re-instantiation.
    let (n,): (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn replying_twice_traps_and_discards_the_first_reply() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let err = pic
        .update_call(store, user(), "reply_twice", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterContractViolation);
    assert!(
        err.reject_message.contains("the call is already replied"),
        "{}",
        err.reject_message
    );
}

#[test]
fn explicit_reject_is_code_4_with_the_canisters_text() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let err = pic
        .update_call(
            store,
            user(),
            "explicit_reject",
            encode_one("nope").unwrap(),
        )
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterReject);
    assert_eq!(err.error_code, ErrorCode::CanisterRejectedMessage);
    assert_eq!(err.reject_message, "nope");
    assert!(err.certified);
}

#[test]
fn a_method_that_never_replies_gets_did_not_reply() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let err = pic
        .update_call(store, user(), "no_reply", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterDidNotReply);
}

#[test]
fn unknown_method_and_unknown_canister() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let err = pic
        .update_call(store, user(), "nope", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterMethodNotFound);
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert!(err.reject_message.contains("has no update method 'nope'"));
    let err = pic
        .query_call(store, user(), "inc", encode_args(()).unwrap())
        .unwrap_err();
    assert!(err.reject_message.contains("has no query method 'inc'"));
    assert!(!err.certified);
    let ghost = Principal::from_slice(&[9; 10]);
    let err = pic
        .update_call(ghost, user(), "inc", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::DestinationInvalid);
    assert_eq!(err.error_code, ErrorCode::CanisterNotFound);
}

#[test]
fn empty_canister_rejects_messages() {
    let pic = PocketIc::new();
    let id = pic.create_canister();
    let err = pic
        .update_call(id, user(), "inc", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterWasmModuleNotFound);
}

#[test]
fn caller_is_the_sender() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let (who,): (Principal,) =
        ic_runtime::query_candid_as(&pic, store, user(), "whoami", ()).unwrap();
    assert_eq!(who, user());
    let (anon,): (Principal,) = query_candid(&pic, store, "whoami", ()).unwrap();
    assert_eq!(anon, Principal::anonymous());
}
