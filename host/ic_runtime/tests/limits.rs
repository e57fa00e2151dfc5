//! Instruction limits (wasmtime fuel), performance_counter, instructions of the last message,
//! and the 2 MiB payload caps.

mod common;

use candid::{encode_args, encode_one};
use common::*;
use ic_runtime::{
    query_candid, update_candid, ErrorCode, Limits, PocketIc, PocketIcBuilder, RejectCode,
};

#[test]
fn performance_counter_and_last_instructions_come_from_fuel() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let (small,): (u64,) = update_candid(&pic, store, "spin", (1_000u64,)).unwrap();
    let (big,): (u64,) = update_candid(&pic, store, "spin", (1_000_000u64,)).unwrap();
    assert!(
        big > small * 100,
        "counter does not grow with work: {small} vs {big}"
    );
    assert!(big > 1_000_000 && big < 100_000_000, "{big}");
    // The whole message used at least what the canister measured mid-way.
    assert!(pic.canister_last_instructions(store) >= big);
    assert!(pic.last_instructions() >= big);
    let (q,): (u64,) = query_candid(&pic, store, "spin_query", (1_000u64,)).unwrap();
    assert!(q > 0 && pic.last_instructions() >= q);
}

#[test]
fn update_over_the_limit_traps_and_rolls_back() {
    let limits = Limits {
        update: 50_000_000,
        query: 20_000_000,
        ..Limits::default()
    };
    let pic = PocketIcBuilder::new().with_limits(limits).build();
    let store = install_store(&pic);
    let err = pic
        .update_call(store, user(), "spin", encode_one(100_000_000u64).unwrap())
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterInstructionLimitExceeded);
    assert!(
        err.reject_message
            .contains("exceeded the limit of 50000000 instructions"),
        "{}",
        err.reject_message
    );
    let err = pic
        .query_call(
            store,
            user(),
            "spin_query",
            encode_one(100_000_000u64).unwrap(),
        )
        .unwrap_err();
    assert!(err
        .reject_message
        .contains("exceeded the limit of 20000000 instructions"));
    let (n,): (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn default_update_limit_is_40_billion() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let err = pic
        .update_call(store, user(), "spin", encode_one(u64::MAX).unwrap())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterInstructionLimitExceeded);
    assert!(
        err.reject_message
            .contains("limit of 40000000000 instructions"),
        "{}",
        err.reject_message
    );
}

#[test]
fn ingress_payload_over_2_mib_is_refused() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let ok = vec![1u8; 2 * 1024 * 1024 - 100];
    let (back,): (Vec<u8>,) = update_candid(
        &pic,
        store,
        "echo",
        (serde_bytes::ByteBuf::from(ok.clone()),),
    )
    .unwrap();
    assert_eq!(back.len(), ok.len());
    let too_big = encode_one(serde_bytes::ByteBuf::from(vec![1u8; 2 * 1024 * 1024 + 1])).unwrap();
    let err = pic.update_call(store, user(), "echo", too_big).unwrap_err();
    assert!(
        err.reject_message
            .contains("exceeds the limit of 2097152 bytes"),
        "{}",
        err.reject_message
    );
}

#[test]
fn reply_over_2_mib_traps() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let err = pic
        .update_call(
            store,
            user(),
            "big_reply",
            encode_one(2u64 * 1024 * 1024 + 10).unwrap(),
        )
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterContractViolation);
    assert!(
        err.reject_message.contains("cannot be larger than 2097152"),
        "{}",
        err.reject_message
    );
}

#[test]
fn inter_canister_request_over_10_mib_traps_the_caller() {
    let pic = PocketIc::new();
    let (store, caller) = (install_store(&pic), install_caller(&pic));
    let (r,): (Result<u64, Rejected>,) =
        update_candid(&pic, caller, "call_echo", (store, 1_000_000u64)).unwrap();
    assert_eq!(r.unwrap(), 1_000_000);
    let err = pic
        .update_call(
            caller,
            user(),
            "call_echo",
            // Calls within one subnet may carry 10 MiB (spec_edges tests the 3 MiB case).
            encode_args((store, 11u64 * 1024 * 1024)).unwrap(),
        )
        .unwrap_err();
    assert!(
        err.reject_message
            .contains("ic0.call_data_append: payload size"),
        "{}",
        err.reject_message
    );
}
