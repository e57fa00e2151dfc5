//! Benchmark (not a test): what an authorized group call costs on the real wasm, in
//! instructions, and how many inter-canister calls authorizing it makes.
//!
//! The original suite verified every inter-canister call by asking the registry (three
//! messages per check); here the callee decides from its cached group snapshot. Run with
//! `cargo bench -p integration_tests --bench security`.

use candid::{encode_args, Principal};
use ic_runtime::{query_candid, update_candid_as, PocketIc};
use integration_tests::{operator, wasm};
use interfaces::registry::RegistryInit;
use interfaces::security::{GroupInfo, GroupPing, MemberInit};
use interfaces::{CanisterKind, Error};

fn install(pic: &PocketIc, name: &str, arg: Vec<u8>) -> Principal {
    let settings = ic_runtime::management_types::CanisterSettings {
        controllers: Some(vec![operator()]),
        ..Default::default()
    };
    let id = pic.create_canister_with_settings(Some(operator()), Some(settings));
    pic.install_canister(id, wasm(name), arg, Some(operator()));
    id
}

fn main() {
    let pic = PocketIc::new();
    let registry = install(
        &pic,
        "canister_registry",
        encode_args((Some(RegistryInit::default()),)).unwrap(),
    );
    let member_arg = || encode_args((Some(MemberInit { registry }),)).unwrap();
    let caller = install(&pic, "calendar", member_arg());
    let callee = install(&pic, "notification", member_arg());
    let (r,): (Result<GroupInfo, Error>,) = update_candid_as(
        &pic,
        registry,
        operator(),
        "register_canister_group",
        ("bench",),
    )
    .unwrap();
    r.unwrap();
    for (member, kind) in [
        (caller, CanisterKind::Calendar),
        (callee, CanisterKind::Notification),
    ] {
        let (r,): (Result<GroupInfo, Error>,) = update_candid_as(
            &pic,
            registry,
            operator(),
            "add_canister_to_group",
            ("bench", member, kind, None::<String>),
        )
        .unwrap();
        r.unwrap();
    }
    for _ in 0..10 {
        pic.tick();
    }

    const ROUNDS: usize = 200;
    let mut self_reported = Vec::with_capacity(ROUNDS);
    let mut callee_message = Vec::with_capacity(ROUNDS);
    let mut calls_made = Vec::with_capacity(ROUNDS);
    let started = std::time::Instant::now();
    for _ in 0..ROUNDS {
        let calls_before = pic.canister_calls_made(callee);
        let (ping,): (Result<GroupPing, Error>,) =
            update_candid_as(&pic, caller, operator(), "check_group_peer", (callee,)).unwrap();
        let ping = ping.expect("an authorized group call succeeds");
        self_reported.push(ping.instructions);
        callee_message.push(pic.canister_last_instructions(callee));
        calls_made.push(pic.canister_calls_made(callee) - calls_before);
    }
    let elapsed = started.elapsed();
    let (snapshot_members,): (u64,) = {
        let (status,): (interfaces::security::MembershipStatus,) =
            query_candid(&pic, callee, "get_membership", ()).unwrap();
        (status.members,)
    };

    let median = |v: &mut Vec<u64>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    println!(
        "authorized group call (callee side), {ROUNDS} rounds, group of {snapshot_members} members"
    );
    println!("{:<58} {:>14}", "measure", "value");
    println!(
        "{:<58} {:>14}",
        "instructions to authorize + answer (performance_counter)",
        median(&mut self_reported)
    );
    println!(
        "{:<58} {:>14}",
        "instructions for the whole callee message (runtime fuel)",
        median(&mut callee_message)
    );
    println!(
        "{:<58} {:>14}",
        "inter-canister calls the callee made per authorized call",
        calls_made.iter().max().unwrap()
    );
    println!(
        "{:<58} {:>14}",
        "original suite: messages per verified call", 3
    );
    println!(
        "{:<58} {:>14.1}",
        "round trips per second (check_group_peer, wall clock)",
        ROUNDS as f64 / elapsed.as_secs_f64()
    );
}
