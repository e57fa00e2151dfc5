//! Per-method call, error and instruction counts since the code started (heap only: they
//! describe this code's run, like the health counters, and restart at every upgrade).

use std::cell::RefCell;
use std::collections::BTreeMap;

use interfaces::calendar::MethodMetrics;

thread_local! {
    static METHODS: RefCell<BTreeMap<&'static str, MethodMetrics>> =
        const { RefCell::new(BTreeMap::new()) };
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

pub fn all() -> Vec<MethodMetrics> {
    METHODS.with_borrow(|m| m.values().cloned().collect())
}
