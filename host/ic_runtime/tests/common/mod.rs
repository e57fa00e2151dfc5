//! Shared setup for the fixture tests: loading the fixture wasm (never skipping when it is
//! missing) and installing the fixtures on a fresh runtime.
#![allow(dead_code)]

use std::path::PathBuf;

use candid::{encode_args, Principal};
use ic_runtime::PocketIc;

/// Reads `target/canisters/<name>.wasm.gz`, failing with the command that builds it.
pub fn wasm(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/canisters")
        .join(format!("{name}.wasm.gz"));
    let how = format!("scripts/build.sh {name}");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "fixture {} is missing ({e}): run `{how}` first",
            path.display()
        )
    })
}

/// A user principal that is not a controller of anything.
pub fn user() -> Principal {
    Principal::from_slice(&[0xAB; 29])
}

pub fn install_store(pic: &PocketIc) -> Principal {
    let id = pic.create_canister();
    pic.install_canister(
        id,
        wasm("rt_store"),
        encode_args((None::<String>,)).unwrap(),
        None,
    );
    id
}

pub fn install_caller(pic: &PocketIc) -> Principal {
    let id = pic.create_canister();
    pic.install_canister(id, wasm("rt_caller"), encode_args(()).unwrap(), None);
    id
}

/// The reject as rt_caller reports it.
#[derive(candid::CandidType, candid::Deserialize, Clone, Debug)]
pub struct Rejected {
    pub code: u32,
    pub message: String,
}

#[derive(candid::CandidType, candid::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    pub counter: u64,
    pub time: u64,
    pub stable_pages: u64,
    pub map_len: u64,
    pub version: u64,
    pub init_arg: Option<String>,
}

#[derive(candid::CandidType, candid::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TimerStats {
    pub init_timer_runs: u64,
    pub interval_ticks: u64,
    pub oneshot_runs: u64,
    pub module_hash: Option<Vec<u8>>,
}

pub fn stats(pic: &PocketIc, store: Principal) -> Stats {
    let (s,): (Stats,) = ic_runtime::query_candid(pic, store, "stats", ()).unwrap();
    s
}

pub fn counter(pic: &PocketIc, store: Principal) -> u64 {
    let (n,): (u64,) = ic_runtime::query_candid(pic, store, "counter", ()).unwrap();
    n
}

/// A hand-written fixture canister from `fixtures/wat/<name>.wat`, assembled to wasm.
pub fn wat(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/wat")
        .join(format!("{name}.wat"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
