//! Per-method call, error and instruction counts since the code started (heap only: they
//! describe this code's run, like the health counters, and restart at every upgrade).

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use ic_stable_structures::Memory;
use interfaces::calendar::{CalendarMetrics, MethodMetrics};

use crate::store::Store;

thread_local! {
    /// Hashed, not ordered: each call finds its method's entry, and comparing method names
    /// along a B-tree's path costs ~10 instructions per byte in wasm (a byte-loop `memcmp`).
    static METHODS: RefCell<FxHashMap<&'static str, MethodMetrics>> =
        RefCell::new(FxHashMap::default());
}

/// Records one finished call of `method`: `instructions` is `ic0.performance_counter(0)` at the
/// end of the method's work.
pub fn record(method: &'static str, ok: bool, instructions: u64) {
    METHODS.with_borrow_mut(|m| {
        let entry = m.entry(method).or_insert_with(|| MethodMetrics {
            method: method.to_string(),
            calls: 0,
            errors: 0,
            instructions_total: 0,
            instructions_max: 0,
            instructions_last: 0,
        });
        entry.calls += 1;
        entry.errors += u64::from(!ok);
        entry.instructions_total += instructions;
        entry.instructions_max = entry.instructions_max.max(instructions);
        entry.instructions_last = instructions;
    });
}

/// Every method's counts, by method name.
pub fn all() -> Vec<MethodMetrics> {
    let mut all: Vec<MethodMetrics> = METHODS.with_borrow(|m| m.values().cloned().collect());
    all.sort_by(|a, b| a.method.cmp(&b.method));
    all
}

/// The shard's metrics (`get_metrics`): its store's counters, its memory and these counts.
pub fn report<M: Memory>(s: &Store<M>) -> CalendarMetrics {
    CalendarMetrics {
        events: s.event_count(),
        recurring_events: s.series_count(),
        users: s.user_count(),
        data_version: s.meta().data_version,
        stable_memory_bytes: ic_cdk::stable::stable_size() * 65_536,
        heap_memory_bytes: heap_bytes(),
        reminder_outbox: s.outbox_len(),
        methods: all(),
    }
}

fn heap_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}
