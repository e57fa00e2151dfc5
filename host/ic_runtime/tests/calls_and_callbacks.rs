//! Inter-canister calls as ic-cdk 0.19 makes them: call contexts, callbacks by table index,
//! cleanup after a trapping callback, one-way calls, bounded-wait deadlines.

mod common;

use std::time::Duration;

use candid::{encode_args, Principal};
use common::*;
use ic_runtime::{query_candid, update_candid, ErrorCode, PocketIc, RejectCode};

type Outcome<T> = Result<T, Rejected>;

#[test]
fn unbounded_call_round_trip() {
    let pic = PocketIc::new();
    let (store, caller) = (install_store(&pic), install_caller(&pic));
    let (r,): (Outcome<()>,) = update_candid(&pic, caller, "call_put", (store, "k", "v")).unwrap();
    r.unwrap();
    let (v,): (Option<String>,) = query_candid(&pic, store, "get", ("k",)).unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    let (n,): (Outcome<u64>,) = update_candid(&pic, caller, "call_inc", (store,)).unwrap();
    assert_eq!(n.unwrap(), 1);
    // Raw reply bytes pass through untouched: ic-cdk encodes a `()` return as one null value.
    let (bytes,): (Outcome<Vec<u8>>,) =
        update_candid(&pic, caller, "call_method", (store, "noop")).unwrap();
    assert_eq!(bytes.unwrap(), candid::encode_one(()).unwrap());
}

#[test]
fn callee_errors_reach_the_caller_with_their_codes() {
    let pic = PocketIc::new();
    let (store, caller) = (install_store(&pic), install_caller(&pic));
    let call = |method: &str| -> Rejected {
        let (r,): (Outcome<Vec<u8>>,) =
            update_candid(&pic, caller, "call_method", (store, method)).unwrap();
        r.unwrap_err()
    };
    let trapped = call("boom");
    assert_eq!(trapped.code, 5);
    assert!(
        trapped.message.contains("boom requested"),
        "{}",
        trapped.message
    );
    let silent = call("no_reply");
    assert_eq!(silent.code, 5);
    assert!(
        silent.message.contains("did not produce a response"),
        "{}",
        silent.message
    );
    let missing = call("nope");
    assert_eq!(missing.code, 5);
    assert!(missing.message.contains("has no update method 'nope'"));
    let (r,): (Outcome<Vec<u8>>,) = update_candid(
        &pic,
        caller,
        "call_method",
        (Principal::from_slice(&[7; 10]), "x"),
    )
    .unwrap();
    assert_eq!(
        r.unwrap_err().code,
        3,
        "unknown canister is DESTINATION_INVALID"
    );
    assert_eq!(counter(&pic, store), 0, "the trapped callee kept a change");
}

#[test]
fn trap_after_await_rolls_back_the_callback_and_runs_cleanup() {
    let pic = PocketIc::new();
    let (store, caller) = (install_store(&pic), install_caller(&pic));
    let err = pic
        .update_call(
            caller,
            user(),
            "trap_after_call",
            candid::encode_one(store).unwrap(),
        )
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap);
    assert!(
        err.reject_message.contains("trap after await"),
        "{}",
        err.reject_message
    );
    // The execution before the await committed; the callback's change was rolled back.
    let (before, after): (u64, u64) = query_candid(&pic, caller, "await_counters", ()).unwrap();
    assert_eq!((before, after), (1, 0));
    assert_eq!(
        counter(&pic, store),
        1,
        "the callee's committed change stays"
    );
    // The call context closed (else stopping would wait forever) and the trap is in the log.
    pic.stop_canister(caller, None).unwrap();
    let logs = pic
        .fetch_canister_logs(caller, Principal::anonymous())
        .unwrap();
    assert!(logs
        .iter()
        .any(|l| String::from_utf8_lossy(&l.content).contains("[TRAP]: trap after await")));
}

#[test]
fn one_way_call_runs_and_its_response_is_dropped() {
    let pic = PocketIc::new();
    let (store, caller) = (install_store(&pic), install_caller(&pic));
    let (sent,): (bool,) = update_candid(&pic, caller, "fire_and_forget", (store,)).unwrap();
    assert!(sent);
    pic.tick();
    assert_eq!(counter(&pic, store), 1);
    pic.stop_canister(caller, None)
        .expect("no call context left open by the one-way call");
}

#[test]
fn bounded_wait_call_replies_before_its_deadline() {
    let pic = PocketIc::new();
    let (store, caller) = (install_store(&pic), install_caller(&pic));
    let () = update_candid(&pic, store, "put", ("k", "v")).unwrap();
    let (r,): (Outcome<Option<String>>,) =
        update_candid(&pic, caller, "call_get_bounded", (store, "k", 60u32)).unwrap();
    assert_eq!(r.unwrap().as_deref(), Some("v"));
}

#[test]
fn bounded_wait_deadline_gives_sys_unknown() {
    let pic = PocketIc::new();
    let (store, caller) = (install_store(&pic), install_caller(&pic));
    let until = pic.get_time().as_nanos_since_unix_epoch() + 100_000_000_000;
    let msg = pic
        .submit_call(
            caller,
            user(),
            "wait_bounded",
            encode_args((store, until, 1u32)).unwrap(),
        )
        .unwrap();
    pic.tick();
    assert!(
        pic.ingress_status(msg.clone()).is_none(),
        "answered before the deadline"
    );
    pic.advance_time(Duration::from_secs(2));
    let bytes = pic.await_call(msg).unwrap();
    let (r,): (Outcome<u64>,) = candid::decode_args(&bytes).unwrap();
    let rejected = r.unwrap_err();
    assert_eq!(rejected.code, 6, "{rejected:?}");
    assert!(rejected.message.contains("deadline has expired"));
    // The callee keeps going; once time passes `until` it finishes and its late reply is dropped.
    pic.advance_time(Duration::from_secs(200));
    pic.tick();
    pic.tick();
    pic.stop_canister(store, None)
        .expect("the callee's context completed");
}
