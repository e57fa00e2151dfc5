//! Health measurement shared by the suite's six canisters.
//!
//! Each canister calls [`on_code_installed`] from its one lifecycle path (init and post_upgrade),
//! counts its update calls with [`record_request`], and answers `health_check` with [`report`].
//! The counters live on the heap and restart with the code: `started_at_ns` in the report says
//! from when they count. The module hash is not readable through `ic0`, so a zero-delay timer
//! asks the management canister's `canister_info` for it right after install (a canister may not
//! make calls from `init` itself).

use std::cell::RefCell;
use std::time::Duration;

use interfaces::{CanisterKind, HealthReport};

mod counters;
pub mod deployment;

pub use counters::Counters;

thread_local! {
    static STATE: RefCell<HealthState> = RefCell::new(HealthState::default());
}

#[derive(Default)]
struct HealthState {
    counters: Counters,
    module_hash: Option<Vec<u8>>,
    module_hash_error: Option<String>,
}

/// Starts measuring for freshly installed (or upgraded) code and schedules the module-hash lookup.
pub fn on_code_installed() {
    let now = ic_cdk::api::time();
    STATE.with_borrow_mut(|s| {
        *s = HealthState {
            counters: Counters::new(now),
            ..Default::default()
        }
    });
    ic_cdk_timers::set_timer(Duration::ZERO, fetch_module_hash());
}

/// Counts one handled update call; `ok` is false when it answered with an error.
pub fn record_request(ok: bool) {
    STATE.with_borrow_mut(|s| s.counters.record(ok));
}

/// Counts a handled update call from its result and passes the result through.
pub fn track<T, E>(result: Result<T, E>) -> Result<T, E> {
    record_request(result.is_ok());
    result
}

/// The health record, measured now.
pub fn report(canister: CanisterKind) -> HealthReport {
    let now = ic_cdk::api::time();
    STATE.with_borrow(|s| HealthReport {
        canister,
        version: env!("CARGO_PKG_VERSION").to_string(),
        module_hash: s.module_hash.clone(),
        module_hash_error: s.module_hash_error.clone(),
        canister_version: ic_cdk::api::canister_version(),
        heap_memory_bytes: heap_memory_bytes(),
        stable_memory_bytes: ic_cdk::stable::stable_size() * WASM_PAGE_BYTES,
        cycles_balance: ic_cdk::api::canister_cycle_balance().into(),
        now_ns: now,
        started_at_ns: s.counters.started_at_ns,
        uptime_ns: s.counters.uptime_ns(now),
        requests: s.counters.requests,
        errors: s.counters.errors,
    })
}

const WASM_PAGE_BYTES: u64 = 65_536;

#[cfg(target_arch = "wasm32")]
fn heap_memory_bytes() -> u64 {
    core::arch::wasm32::memory_size(0) as u64 * WASM_PAGE_BYTES
}

#[cfg(not(target_arch = "wasm32"))]
fn heap_memory_bytes() -> u64 {
    // Native builds only run unit tests, which never ask for a health report.
    0
}

async fn fetch_module_hash() {
    let args = ic_cdk::management_canister::CanisterInfoArgs {
        canister_id: ic_cdk::api::canister_self(),
        num_requested_changes: None,
    };
    // Awaiting lets other messages run; the result only fills two fields, so nothing to guard.
    let outcome = ic_cdk::management_canister::canister_info(&args).await;
    STATE.with_borrow_mut(|s| match outcome {
        Ok(info) => s.module_hash = info.module_hash,
        Err(err) => s.module_hash_error = Some(err.to_string()),
    });
}
