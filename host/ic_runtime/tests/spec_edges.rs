//! The IC interface spec's rules where an independent test suite found the runtime differing,
//! one test each, on the hand-written `spec_probe` fixture (`fixtures/wat/spec_probe.wat`),
//! which also exports its memory under a name other than "memory".

mod common;

use std::time::Duration;

use candid::Principal;
use ic_runtime::management_types::CanisterSettings;
use ic_runtime::{ErrorCode, PocketIc, RejectCode};

const MIB: u32 = 1024 * 1024;

fn probe(pic: &PocketIc) -> Principal {
    let id = pic.create_canister();
    pic.install_canister(id, common::wat("spec_probe"), vec![], None);
    id
}

fn u64_of(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"))
}

fn query_u64(pic: &PocketIc, id: Principal, method: &str) -> u64 {
    u64_of(
        &pic.query_call(id, Principal::anonymous(), method, vec![])
            .unwrap(),
    )
}

/// What `relay` expects: callee, method, bounded flag, cycles, zero padding, payload.
fn relay_arg(callee: Principal, method: &str, bounded: bool, cycles: u64, pad: u32) -> Vec<u8> {
    let mut arg = vec![callee.as_slice().len() as u8];
    arg.extend_from_slice(callee.as_slice());
    arg.push(method.len() as u8);
    arg.extend_from_slice(method.as_bytes());
    arg.push(bounded as u8);
    arg.extend_from_slice(&cycles.to_le_bytes());
    arg.extend_from_slice(&pad.to_le_bytes());
    arg
}

fn relay(
    pic: &PocketIc,
    from: Principal,
    to: Principal,
    method: &str,
    bounded: bool,
    cycles: u64,
    pad: u32,
) -> Result<Vec<u8>, ic_runtime::RejectResponse> {
    let arg = relay_arg(to, method, bounded, cycles, pad);
    pic.update_call(from, Principal::anonymous(), "relay", arg)
}

#[test]
fn canister_version_moves_with_every_change_and_before_post_upgrade() {
    let pic = PocketIc::new();
    let id = probe(&pic);
    let installed = query_u64(&pic, id, "version");
    assert_eq!(installed, 1, "install moves the version from 0 to 1");

    pic.update_call(id, Principal::anonymous(), "noop", vec![])
        .unwrap();
    assert_eq!(query_u64(&pic, id, "version"), installed + 1, "an update");

    // A query, and an update that traps, change nothing.
    query_u64(&pic, id, "version");
    pic.update_call(id, Principal::anonymous(), "reject_bad_utf8", vec![])
        .unwrap_err();
    assert_eq!(query_u64(&pic, id, "version"), installed + 1);

    pic.update_canister_settings(id, None, CanisterSettings::default())
        .unwrap();
    assert_eq!(query_u64(&pic, id, "version"), installed + 2, "settings");

    pic.stop_canister(id, None).unwrap();
    pic.start_canister(id, None).unwrap();
    assert_eq!(query_u64(&pic, id, "version"), installed + 4, "stop, start");

    pic.upgrade_canister(id, common::wat("spec_probe"), vec![], None)
        .unwrap();
    let after = query_u64(&pic, id, "version");
    assert_eq!(after, installed + 5, "upgrade");
    assert_eq!(
        query_u64(&pic, id, "post_upgrade_version"),
        after,
        "post_upgrade already sees the new version"
    );
}

#[test]
fn a_query_method_called_bounded_wait_sees_no_deadline() {
    let pic = PocketIc::new();
    let (a, b) = (probe(&pic), probe(&pic));
    let query = relay(&pic, a, b, "deadline", true, 0, 0).unwrap();
    assert_eq!(u64_of(&query), 0, "replicated query: deadline 0");
    let update = relay(&pic, a, b, "deadline_update", true, 0, 0).unwrap();
    assert!(
        u64_of(&update) > 0,
        "an update method does see its deadline"
    );
    let unbounded = relay(&pic, a, b, "deadline_update", false, 0, 0).unwrap();
    assert_eq!(u64_of(&unbounded), 0, "unbounded wait: no deadline");
}

#[test]
fn no_cycles_are_available_after_replying() {
    let pic = PocketIc::new();
    let (a, b) = (probe(&pic), probe(&pic));
    relay(&pic, a, b, "cycles_probe", false, 1_000_000, 0).unwrap();
    let seen = pic
        .query_call(b, Principal::anonymous(), "cycles_seen", vec![])
        .unwrap();
    assert_eq!(u64_of(&seen[..8]), 1_000_000, "before msg_reply");
    assert_eq!(u64_of(&seen[8..]), 0, "after msg_reply");
}

#[test]
fn calls_within_the_subnet_carry_up_to_10_mib_ingress_2_mib() {
    let pic = PocketIc::new();
    let (a, b) = (probe(&pic), probe(&pic));
    let three = relay(&pic, a, b, "arg_size", false, 0, 3 * MIB).unwrap();
    assert_eq!(u64_of(&three), 3 * MIB as u64);
    let ten = relay(&pic, a, b, "arg_size", false, 0, 10 * MIB).unwrap();
    assert_eq!(u64_of(&ten), 10 * MIB as u64);

    let over = relay(&pic, a, b, "arg_size", false, 0, 10 * MIB + 1).unwrap_err();
    assert_eq!(over.error_code, ErrorCode::CanisterContractViolation);
    assert!(over.reject_message.contains("call_data_append"), "{over}");

    let ingress = pic
        .update_call(
            b,
            Principal::anonymous(),
            "arg_size",
            vec![0; 3 * MIB as usize],
        )
        .unwrap_err();
    assert!(
        ingress.reject_message.contains("exceeds the limit"),
        "{ingress}"
    );
}

#[test]
fn rejecting_with_invalid_utf8_traps() {
    let pic = PocketIc::new();
    let b = probe(&pic);
    let err = pic
        .update_call(b, Principal::anonymous(), "reject_bad_utf8", vec![])
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError, "{err}");
    assert_eq!(
        err.error_code,
        ErrorCode::CanisterContractViolation,
        "{err}"
    );
    assert!(err.reject_message.contains("UTF-8"), "{err}");
}

#[test]
fn a_replicated_query_keeps_the_cycles_it_accepts() {
    let pic = PocketIc::new();
    let (a, b) = (probe(&pic), probe(&pic));
    let (a_before, b_before) = (pic.cycle_balance(a), pic.cycle_balance(b));
    let accepted = relay(&pic, a, b, "accept_all", false, 5_000_000, 0).unwrap();
    assert_eq!(u64_of(&accepted), 5_000_000);
    assert_eq!(pic.cycle_balance(b), b_before + 5_000_000);
    assert_eq!(pic.cycle_balance(a), a_before - 5_000_000);
}

#[test]
fn root_key_is_the_certificate_key_and_traps_in_a_non_replicated_query() {
    let pic = PocketIc::new();
    let (a, b) = (probe(&pic), probe(&pic));
    let err = pic
        .query_call(b, Principal::anonymous(), "root_key", vec![])
        .unwrap_err();
    assert_eq!(
        err.error_code,
        ErrorCode::CanisterContractViolation,
        "{err}"
    );
    assert!(err.reject_message.contains("root_key_size"), "{err}");

    // The same method as an update call runs replicated and sees the key certificates use.
    let key = pic
        .update_call(b, Principal::anonymous(), "root_key", vec![])
        .unwrap();
    assert_eq!(Some(key.clone()), pic.root_key());
    assert_eq!(key.len(), 133, "DER BLS12-381 public key");
    let relayed = relay(&pic, a, b, "root_key", false, 0, 0).unwrap();
    assert_eq!(relayed, key, "called by a canister, too");
}

#[test]
fn an_ingress_status_can_be_read_again_until_it_expires() {
    let pic = PocketIc::new();
    let b = probe(&pic);
    let id = pic
        .submit_call(b, Principal::anonymous(), "noop", vec![])
        .unwrap();
    pic.await_call(id.clone()).unwrap();
    assert!(matches!(pic.ingress_status(id.clone()), Some(Ok(_))));
    assert!(matches!(pic.ingress_status(id.clone()), Some(Ok(_))));
    assert!(
        pic.await_call(id.clone()).is_ok(),
        "awaiting again works too"
    );

    pic.advance_time(Duration::from_secs(6 * 60));
    pic.tick();
    assert!(
        pic.ingress_status(id).is_none(),
        "forgotten after 5 minutes"
    );
}

#[test]
fn a_1_mib_stable_write_costs_what_the_ic_charges() {
    let pic = PocketIc::new();
    let b = probe(&pic);
    // The first call grows stable memory, so both measured calls find it grown.
    pic.update_call(b, Principal::anonymous(), "stable_write_none", vec![])
        .unwrap();
    let without = pic
        .update_call(b, Principal::anonymous(), "stable_write_none", vec![])
        .unwrap();
    let with_write = pic
        .update_call(b, Principal::anonymous(), "stable_write_1mib", vec![])
        .unwrap();
    let extra = u64_of(&with_write) - u64_of(&without);
    // IC: 20 instructions + 1 per byte for stable64_write, plus the handful of wasm
    // instructions that push its arguments.
    let expected = 20 + MIB as u64;
    assert!(
        (expected..expected + 20).contains(&extra),
        "a 1 MiB stable write cost {extra} instructions, expected {expected} + a few"
    );
}

#[test]
fn a_large_heap_is_rolled_back_page_by_page() {
    let pic = PocketIc::new();
    let b = probe(&pic);
    let peek = |pic: &PocketIc| {
        pic.query_call(b, Principal::anonymous(), "peek", vec![])
            .unwrap()
    };
    let call =
        |method: &str, arg: &[u8]| pic.update_call(b, Principal::anonymous(), method, arg.to_vec());
    call("store_arg", b"kept.123").unwrap();
    assert_eq!(
        peek(&pic),
        b"kept.123kept.123",
        "host and wasm writes committed"
    );

    call("store_arg_trap", b"gone.456").unwrap_err();
    assert_eq!(peek(&pic), b"kept.123kept.123", "a trap undoes both");
    pic.query_call(
        b,
        Principal::anonymous(),
        "store_arg_query",
        b"qury.789".to_vec(),
    )
    .unwrap();
    assert_eq!(
        peek(&pic),
        b"kept.123kept.123",
        "a query's writes are discarded"
    );

    let pages = query_u64(&pic, b, "heap_pages");
    call("grow_write_trap", b"").unwrap_err();
    assert_eq!(query_u64(&pic, b, "heap_pages"), pages, "growth undone");
    assert_eq!(peek(&pic), b"kept.123kept.123");

    // The journal keeps working after all that.
    call("store_arg", b"next.000").unwrap();
    call("store_arg_trap", b"gone.999").unwrap_err();
    assert_eq!(peek(&pic), b"next.000next.000");
}
