//! The stored layout: its version, checked first in `post_upgrade` (`lifecycle.rs`), as every
//! canister of the suite does it (`canisters/user_registry/src/layout.rs` is the fuller
//! example, with a migration that re-encodes records).
//!
//! The version lives in the `Config` cell (`model::Config::layout`). [`migrate`] refuses data
//! from a newer layout (the caller traps, which undoes the upgrade) rather than guess at it.
//! The registry is not backed up, so install and upgrade are the only paths to its data.
//!
//! Versions:
//! - 0: releases before the version was stored (main up to f263996).
//! - 1: the version is recorded; nothing else changed. The registry's records (`model/`) were
//!   already its own record types, in Candid: few (at most 1,000 groups of 256 members), read
//!   per administrative call, never on a hot path, so Candid's tolerance of added optional
//!   fields is worth more here than postcard's speed, and re-encoding them would only add risk
//!   to the upgrade. The stored wasm's chunks are plain bytes. The wire `CanisterKind`,
//!   `MemberKeys`, `WasmInfo` and `WasmUploadStart` that layout 1 first stored inside them
//!   were later replaced by own types of the same Candid shape (`MemberKind`, `StoredKeys`,
//!   `StoredWasm`, `StoredUpload`): Candid decodes by field and variant name, so that changed
//!   no stored byte and is still layout 1 (`model/group.rs` and `model/wasm.rs` test it).
//!
//! A new version adds a step to [`migrate`] and a test that reads a stable-memory dump written
//! by the release before it (`tests/tests/canister_registry_migration.rs` reads the version-0
//! dump in `canisters/canister_registry/fixtures/`).

use canister_kit::layout::Outcome;
use ic_stable_structures::Memory;

use crate::registry::Registry;

/// The layout this code writes.
pub const CURRENT: u32 = 1;

/// Brings the stored data to the [`CURRENT`] layout, or says why it cannot.
pub fn migrate<M: Memory>(registry: &mut Registry<M>) -> Result<Outcome, String> {
    let outcome = canister_kit::layout::run_steps(registry.layout(), CURRENT, |from| match from {
        // 0 -> 1: only the version is new.
        0 => Ok(()),
        _ => unreachable!("every version below CURRENT has a step"),
    })?;
    if outcome != Outcome::Current {
        registry.set_layout(CURRENT);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;

    fn registry() -> Registry<VectorMemory> {
        let m = VectorMemory::default;
        Registry::init(m(), m(), m(), m(), m())
    }

    #[test]
    fn data_before_the_version_is_stamped_and_keeps_its_records() {
        let mut r = registry();
        r.set_timing(Some(5), None);
        assert_eq!(r.layout(), 0);
        assert_eq!(migrate(&mut r), Ok(Outcome::Migrated { from: 0 }));
        assert_eq!(r.layout(), CURRENT);
        assert_eq!(r.config().key_overlap_ns, 5);
        assert_eq!(migrate(&mut r), Ok(Outcome::Current));
    }

    #[test]
    fn a_newer_layout_is_refused_and_left_as_it_is() {
        let mut r = registry();
        r.set_layout(CURRENT + 1);
        assert!(migrate(&mut r).is_err());
        assert_eq!(r.layout(), CURRENT + 1);
    }
}
