//! The stored layout: its version, checked first in `post_upgrade` (`lifecycle.rs`), as every
//! canister of the suite does it (`canisters/user_registry/src/layout.rs` is the fuller
//! example, with a migration that re-encodes records).
//!
//! The version lives in the state cell (`model::Stored::layout`). [`migrate`] refuses data from
//! a newer layout (the caller traps, which undoes the upgrade) rather than guess at it. The
//! balancer is not backed up, so install and upgrade are the only paths to its data.
//!
//! Versions:
//! - 0: releases before the version was stored (main up to f263996).
//! - 1: the version is recorded; nothing else changed. The balancer's records (`model/`) were
//!   already its own types: the directory maps a user's principal to a shard's principal (fixed
//!   size, nothing to encode), and the state cell and the shard records (at most 256) are
//!   Candid, read as a whole and tolerant of added optional fields (as `scale_out_guard` and
//!   `layout` were added), so re-encoding them would only add risk to the upgrade. The wire
//!   `BalancerConfig` (with its `Strategy`), `ShardHealth` and `FollowUp` that layout 1 first
//!   stored inside them were later replaced by own types of the same Candid shape
//!   (`model/settings.rs`, which tests it): Candid decodes by field and variant name, so that
//!   changed no stored byte and is still layout 1.
//!
//! A new version adds a step to [`migrate`] and a test that reads a stable-memory dump written
//! by the release before it (`tests/tests/load_balancer_migration.rs` reads the version-0 dump
//! in `canisters/load_balancer/fixtures/`).

use canister_kit::layout::Outcome;
use ic_stable_structures::Memory;

use crate::balancer::Balancer;

/// The layout this code writes.
pub const CURRENT: u32 = 1;

/// Brings the stored data to the [`CURRENT`] layout, or says why it cannot.
pub fn migrate<M: Memory>(balancer: &mut Balancer<M>) -> Result<Outcome, String> {
    let stored = balancer.stored().layout.unwrap_or(0);
    let outcome = canister_kit::layout::run_steps(stored, CURRENT, |from| match from {
        // 0 -> 1: only the version is new.
        0 => Ok(()),
        _ => unreachable!("every version below CURRENT has a step"),
    })?;
    if outcome != Outcome::Current {
        balancer.update_stored(|s| s.layout = Some(CURRENT));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;

    #[test]
    fn data_before_the_version_is_stamped_then_left_alone() {
        let mut b = Balancer::init(|_| VectorMemory::default());
        assert_eq!(b.stored().layout, None);
        assert_eq!(migrate(&mut b), Ok(Outcome::Migrated { from: 0 }));
        assert_eq!(b.stored().layout, Some(CURRENT));
        assert_eq!(migrate(&mut b), Ok(Outcome::Current));
    }

    #[test]
    fn a_newer_layout_is_refused_and_left_as_it_is() {
        let mut b = Balancer::init(|_| VectorMemory::default());
        b.update_stored(|s| s.layout = Some(CURRENT + 1));
        assert!(migrate(&mut b).is_err());
        assert_eq!(b.stored().layout, Some(CURRENT + 1));
    }
}
