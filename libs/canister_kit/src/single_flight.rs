//! One run at a time for a canister's background work: an outbox, a health round, a backup
//! cycle, a scale-out. Such a run awaits other canisters, so a timer tick can start a second
//! run while the first still waits; the second must return at once and leave the work to the
//! first. The flag is cleared when the guard drops, which also happens when the run's task is
//! dropped after a trap in one of its callbacks, so a trap never wedges the work.

use std::cell::Cell;
use std::thread::LocalKey;

/// The flag a kind of run holds: `thread_local! { static RUNNING: Cell<bool> = ... }`.
pub type Flag = LocalKey<Cell<bool>>;

/// Held by the run under way; dropping it lets the next run start.
#[must_use = "the run holds its flag only while this guard lives"]
pub struct Running(&'static Flag);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// Takes `flag` for this run, or `None` when another run holds it.
pub fn begin(flag: &'static Flag) -> Option<Running> {
    if flag.replace(true) {
        None
    } else {
        Some(Running(flag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static RUNNING: Cell<bool> = const { Cell::new(false) };
    }

    #[test]
    fn a_second_run_waits_until_the_first_guard_drops() {
        let first = begin(&RUNNING).expect("nothing runs yet");
        assert!(begin(&RUNNING).is_none());
        drop(first);
        assert!(begin(&RUNNING).is_some());
    }

    #[test]
    fn a_panicking_run_releases_its_flag() {
        let result = std::panic::catch_unwind(|| {
            let _running = begin(&RUNNING).unwrap();
            panic!("trap in a callback");
        });
        assert!(result.is_err());
        assert!(begin(&RUNNING).is_some());
    }
}
