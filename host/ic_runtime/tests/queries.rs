//! Queries discard their changes; composite queries call other canisters' queries.

mod common;

use candid::{encode_args, Principal};
use common::*;
use ic_runtime::{query_candid, update_candid, ErrorCode, PocketIc};

type Outcome<T> = Result<T, Rejected>;

fn install_composite(pic: &PocketIc) -> Principal {
    let id = pic.create_canister();
    pic.install_canister(id, wasm("rt_composite"), encode_args(()).unwrap(), None);
    id
}

#[test]
fn query_changes_are_discarded() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let _: (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    let (seen,): (u64,) = query_candid(&pic, store, "mutate_in_query", ()).unwrap();
    assert_eq!(seen, 2, "the query ran on committed state");
    let (again,): (u64,) = query_candid(&pic, store, "mutate_in_query", ()).unwrap();
    assert_eq!(again, 2, "the previous query's change was kept");
    assert_eq!(counter(&pic, store), 1);
}

#[test]
fn update_call_to_a_query_method_runs_replicated_and_still_discards() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let (seen,): (u64,) = update_candid(&pic, store, "mutate_in_query", ()).unwrap();
    assert_eq!(seen, 1);
    assert_eq!(counter(&pic, store), 0);
}

#[test]
fn a_plain_query_cannot_call_other_canisters() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let err = pic
        .query_call(store, user(), "call_in_query", encode_args(()).unwrap())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterContractViolation);
    assert!(
        err.reject_message
            .contains("ic0_call_new\" cannot be executed in non replicated query mode"),
        "{}",
        err.reject_message
    );
}

#[test]
fn composite_query_reads_another_canisters_query() {
    let pic = PocketIc::new();
    let (store, cq) = (install_store(&pic), install_composite(&pic));
    let () = update_candid(&pic, store, "put", ("k", "v")).unwrap();
    let (r,): (Outcome<Option<String>>,) = query_candid(&pic, cq, "cq_get", (store, "k")).unwrap();
    assert_eq!(r.unwrap().as_deref(), Some("v"));
    let (r,): (Outcome<Option<String>>,) =
        query_candid(&pic, cq, "cq_get", (store, "missing")).unwrap();
    assert_eq!(r.unwrap(), None);
}

#[test]
fn composite_query_changes_are_discarded_everywhere() {
    let pic = PocketIc::new();
    let (store, cq) = (install_store(&pic), install_composite(&pic));
    let (r,): (Outcome<(u64, u64)>,) = query_candid(&pic, cq, "cq_mutate_twice", (store,)).unwrap();
    // Each query execution starts from committed state, as on the IC.
    assert_eq!(r.unwrap(), (1, 1));
    assert_eq!(counter(&pic, store), 0);
}

#[test]
fn composite_query_may_not_call_update_methods() {
    let pic = PocketIc::new();
    let (store, cq) = (install_store(&pic), install_composite(&pic));
    let (r,): (Outcome<u64>,) = query_candid(&pic, cq, "cq_call_update", (store,)).unwrap();
    let rejected = r.unwrap_err();
    assert_eq!(rejected.code, 5);
    assert!(
        rejected.message.contains("has no query method 'inc'"),
        "{}",
        rejected.message
    );
    assert_eq!(counter(&pic, store), 0);
}

#[test]
fn composite_query_in_replicated_mode_is_rejected() {
    let pic = PocketIc::new();
    let (store, cq) = (install_store(&pic), install_composite(&pic));
    let err = pic
        .update_call(cq, user(), "cq_get", encode_args((store, "k")).unwrap())
        .unwrap_err();
    assert_eq!(
        err.error_code,
        ErrorCode::CompositeQueryCalledInReplicatedMode
    );
}
