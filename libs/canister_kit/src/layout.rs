//! The stored layout version every canister keeps with its data: a migration runs first
//! whenever code meets data it did not write itself (install, upgrade, restore), refuses data
//! from a newer layout rather than guess at it, and runs every step from the stored version up.
//! [`pending_steps`] is that check, once; each canister's `layout.rs` holds its steps.

use std::ops::Range;

/// The versions whose migration step must run, in order (`stored..current`; empty when the data
/// is current), or why this code may not touch the data.
pub fn pending_steps(stored: u32, current: u32) -> Result<Range<u32>, String> {
    if stored > current {
        return Err(format!(
            "the stored data has layout version {stored}, newer than this code's {current}: \
             install a release that knows it"
        ));
    }
    Ok(stored..current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_data_runs_every_step_up_and_newer_data_is_refused() {
        assert_eq!(pending_steps(0, 2), Ok(0..2));
        assert!(pending_steps(2, 2).unwrap().is_empty());
        let refused = pending_steps(3, 2).unwrap_err();
        assert!(refused.contains("version 3") && refused.contains("this code's 2"));
    }
}
