//! The work one message may do. Validating an event may expand its recurrence, which is bounded
//! per event (`recurrence::MAX_PERIODS` periods per walk, COUNT at most
//! `validate::MAX_COUNT`, overrides checked in one walk), so a batch (an ICS import of up to
//! `ics::MAX_IMPORT_EVENTS` series) is bounded by its length times that. That bound is still
//! above what a message should spend, so a batch also checks the instructions this message has
//! used before each event, and past [`MAX_BATCH_INSTRUCTIONS`] it answers a typed error
//! instead of going on: the IC's 40 B limit would trap, undo the message (and with it the
//! caller's rate-limit charge) and tell the caller nothing.
//!
//! Nothing is written until the whole batch is checked, so refusing midway changes nothing.

use interfaces::{Error, InputProblem};

/// Instructions a batch may have used before it checks one more event. One event's checks
/// cost well under 1 B (measured: `tests/tests/endpoint_bounds.rs` prints the worst cases), and
/// writing a checked batch is cheap, so a message stays under the suite's 10 B rule.
pub const MAX_BATCH_INSTRUCTIONS: u64 = 6_000_000_000;

/// Instructions this message has used so far (0 natively, where nothing is metered).
fn used() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        ic_cdk::api::performance_counter(0)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// `Ok` while the message may check `done` + 1 of `total` items; otherwise why not.
pub fn may_continue(field: &str, done: usize, total: usize) -> Result<(), Error> {
    if total <= 1 {
        // One item fits any message: no need to ask the system.
        return Ok(());
    }
    check(field, done, total, used())
}

fn check(field: &str, done: usize, total: usize, used: u64) -> Result<(), Error> {
    if used <= MAX_BATCH_INSTRUCTIONS {
        return Ok(());
    }
    Err(Error::invalid(
        field,
        InputProblem::Malformed {
            reason: format!(
                "too much work for one message: {used} instructions after checking {done} of \
                 {total} events (the limit is {MAX_BATCH_INSTRUCTIONS}); split it into smaller \
                 parts"
            ),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_with_a_typed_error_past_the_budget() {
        assert_eq!(check("ics", 3, 10, MAX_BATCH_INSTRUCTIONS), Ok(()));
        let refused = check("ics", 3, 10, MAX_BATCH_INSTRUCTIONS + 1);
        assert!(
            matches!(&refused, Err(Error::InvalidInput { field, .. }) if field == "ics"),
            "{refused:?}"
        );
        assert_eq!(
            may_continue("ics", 0, 1),
            Ok(()),
            "nothing is metered natively"
        );
    }
}
