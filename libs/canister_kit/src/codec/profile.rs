//! Where a call's instructions go, for the per-call benchmark.
//!
//! With the `profile` feature, [`mark`] records the instruction counter after each phase
//! (arguments decoded, reply encoded), [`span`] adds up the instructions spent in one kind of
//! work inside the logic (e.g. `storage`: reading and decoding stored records), and [`flush`]
//! prints them to the canister log in one line, `profile: <label>=<n> ...`, at the end of the
//! reply. Without the feature every function here is an empty inline call.

#[cfg(feature = "profile")]
mod enabled {
    use std::cell::RefCell;

    thread_local! {
        static MARKS: RefCell<Vec<(&'static str, u64)>> = const { RefCell::new(Vec::new()) };
    }

    fn now() -> u64 {
        ic_cdk::api::performance_counter(0)
    }

    /// Only a label's first mark counts: an argument read later by the logic (`Deferred`)
    /// passes the argument marks again.
    pub fn mark<T>(label: &'static str, f: impl FnOnce() -> T) -> T {
        let value = f();
        let at = now();
        MARKS.with(|m| {
            let mut marks = m.borrow_mut();
            if !marks.iter().any(|(l, _)| *l == label) {
                marks.push((label, at));
            }
        });
        value
    }

    pub fn logic_done() {
        let at = now();
        MARKS.with(|m| m.borrow_mut().push(("logic done", at)));
    }

    pub fn span<T>(label: &'static str, f: impl FnOnce() -> T) -> T {
        let start = now();
        let value = f();
        let spent = now() - start;
        MARKS.with(|m| m.borrow_mut().push((label, spent)));
        value
    }

    pub fn flush() {
        let line = MARKS.with(|m| {
            let marks = std::mem::take(&mut *m.borrow_mut());
            marks
                .iter()
                .map(|(label, n)| format!("{}={n}", label.replace(' ', "_")))
                .collect::<Vec<_>>()
                .join(" ")
        });
        ic_cdk::api::debug_print(format!("profile: {line}"));
    }
}

#[cfg(feature = "profile")]
pub use enabled::{flush, logic_done, mark, span};

/// Runs `f`; with the `profile` feature, records the counter after it under `label`.
#[cfg(not(feature = "profile"))]
#[inline(always)]
pub fn mark<T>(_label: &'static str, f: impl FnOnce() -> T) -> T {
    f()
}

/// With the `profile` feature, records the counter where the endpoint's logic ended.
#[cfg(not(feature = "profile"))]
#[inline(always)]
pub fn logic_done() {}

/// Runs `f`; with the `profile` feature, records the instructions it took under `label`.
#[cfg(not(feature = "profile"))]
#[inline(always)]
pub fn span<T>(_label: &'static str, f: impl FnOnce() -> T) -> T {
    f()
}

/// With the `profile` feature, prints the recorded marks to the canister log.
#[cfg(not(feature = "profile"))]
#[inline(always)]
pub fn flush() {}
