//! The stored layout: its version, checked first in `post_upgrade` (`lifecycle.rs`), as every
//! canister of the suite does it (`canisters/user_registry/src/layout.rs` is the fuller
//! example, with a migration that re-encodes records).
//!
//! The frontend stores one record, its configuration, and the version lives in it
//! (`model::StoredConfig::layout`). [`migrate`] refuses data from a newer layout (the caller
//! traps, which undoes the upgrade) rather than guess at it.
//!
//! Versions:
//! - 0: releases before the version was stored (main up to f263996): the wire `FrontendInit`,
//!   Candid.
//! - 1: `model::StoredConfig`, this canister's own record with the same Candid fields and the
//!   version: layout-0 bytes decode as it unchanged, so the step only records the version. A
//!   singleton read once per install, so Candid stays.
//!
//! A new version adds a step to [`migrate`] and a test that reads a stable-memory dump written
//! by the release before it (`tests/tests/frontend_migration.rs` reads the version-0 dump in
//! `canisters/frontend/fixtures/`).

use canister_kit::layout::Outcome;

use crate::model::StoredConfig;

/// The layout this code writes.
pub const CURRENT: u32 = 1;

/// Brings the stored configuration to the [`CURRENT`] layout, or says why it cannot.
pub fn migrate(config: &mut StoredConfig) -> Result<Outcome, String> {
    let outcome =
        canister_kit::layout::run_steps(config.layout.unwrap_or(0), CURRENT, |from| match from {
            // 0 -> 1: only the version is new.
            0 => Ok(()),
            _ => unreachable!("every version below CURRENT has a step"),
        })?;
    if outcome != Outcome::Current {
        config.layout = Some(CURRENT);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Principal;
    use interfaces::frontend::FrontendInit;

    #[test]
    fn a_layout_0_configuration_reads_back_and_is_stamped() {
        let v0 = FrontendInit {
            canister_ids: vec![("calendar".into(), Principal::from_slice(&[7; 10]))],
            root_key: Some(vec![1; 133]),
        };
        let mut config: StoredConfig =
            candid::decode_one(&candid::encode_one(&v0).unwrap()).unwrap();
        assert_eq!(config.layout, None);
        assert_eq!(migrate(&mut config), Ok(Outcome::Migrated { from: 0 }));
        assert_eq!((config.to_init(), config.layout), (v0, Some(CURRENT)));
        assert_eq!(migrate(&mut config), Ok(Outcome::Current));
    }

    #[test]
    fn a_newer_layout_is_refused_and_left_as_it_is() {
        let mut config = StoredConfig {
            layout: Some(CURRENT + 1),
            ..Default::default()
        };
        assert!(migrate(&mut config).is_err());
        assert_eq!(config.layout, Some(CURRENT + 1));
    }
}
