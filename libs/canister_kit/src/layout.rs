//! The stored layout version every canister keeps with its data: a migration runs first
//! whenever code meets data it did not write itself (install, upgrade, restore), refuses data
//! from a newer layout rather than guess at it, and runs every step from the stored version up.
//! [`pending_steps`] is that check, once, and [`run_steps`] runs a canister's steps after it;
//! each canister's `layout.rs` holds its steps, built from [`candid_values_to_compact`] where a
//! step moves records from Candid to `Compact`.

use std::ops::Range;

use candid::CandidType;
use ic_stable_structures::{Memory, StableBTreeMap, Storable};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::stored::Compact;

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

/// What a migration found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The data was already in the current layout.
    Current,
    /// The data was migrated from this version.
    Migrated { from: u32 },
}

/// Runs `step(v)`, the migration from version `v` to `v + 1`, for every version from `stored`
/// up to `current`, in order, stopping at the first that fails; refuses data newer than
/// `current` without running anything. The caller stamps `current` when the answer is
/// [`Outcome::Migrated`].
pub fn run_steps(
    stored: u32,
    current: u32,
    mut step: impl FnMut(u32) -> Result<(), String>,
) -> Result<Outcome, String> {
    let steps = pending_steps(stored, current)?;
    if steps.is_empty() {
        return Ok(Outcome::Current);
    }
    for from in steps {
        step(from)?;
    }
    Ok(Outcome::Migrated { from: stored })
}

/// A migration step shared by every canister that moved a map's values from Candid to
/// [`Compact`]: each value of the `StableBTreeMap` in `memory` is decoded as the `Old` type layout
/// `N` wrote and written back as `Compact<New>`, keys unchanged. The values are read and written
/// as raw bytes (both encodings are unbounded blobs), so the map is rewritten in place; `what`
/// names the records in the error a value that does not decode gives.
pub fn candid_values_to_compact<M, K, Old, New>(memory: M, what: &str) -> Result<(), String>
where
    M: Memory,
    K: Storable + Ord + Clone + std::fmt::Debug,
    Old: CandidType + DeserializeOwned,
    New: From<Old> + Serialize + DeserializeOwned,
{
    let mut raw: StableBTreeMap<K, Vec<u8>, M> = StableBTreeMap::init(memory);
    let old: Vec<(K, Vec<u8>)> = raw.iter().map(|e| (e.key().clone(), e.value())).collect();
    for (key, bytes) in old {
        let value: Old = candid::decode_one(&bytes)
            .map_err(|e| format!("{what} {key:?} does not decode as its older layout: {e}"))?;
        raw.insert(key, Compact(New::from(value)).into_bytes());
    }
    Ok(())
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

    #[test]
    fn steps_run_in_order_once_each_and_stop_at_a_failure() {
        let mut ran = vec![];
        let outcome = run_steps(1, 3, |v| {
            ran.push(v);
            Ok(())
        });
        assert_eq!(
            (outcome, ran),
            (Ok(Outcome::Migrated { from: 1 }), vec![1, 2])
        );
        assert_eq!(run_steps(3, 3, |_| unreachable!()), Ok(Outcome::Current));
        assert!(run_steps(4, 3, |_| unreachable!()).is_err());
        let failed = run_steps(0, 2, |v| {
            if v == 0 {
                Err("bad".into())
            } else {
                unreachable!()
            }
        });
        assert_eq!(failed, Err("bad".to_string()));
    }

    #[derive(CandidType, serde::Deserialize)]
    struct OldRecord {
        name: String,
    }

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct NewRecord {
        name: String,
        renamed: bool,
    }

    impl From<OldRecord> for NewRecord {
        fn from(o: OldRecord) -> Self {
            NewRecord {
                name: o.name,
                renamed: false,
            }
        }
    }

    #[test]
    fn candid_values_are_rewritten_compact_and_garbage_is_refused() {
        use ic_stable_structures::memory_manager::{MemoryId, MemoryManager};
        use ic_stable_structures::VectorMemory;
        let manager = MemoryManager::init(VectorMemory::default());
        let mut raw: StableBTreeMap<u64, Vec<u8>, _> =
            StableBTreeMap::init(manager.get(MemoryId::new(0)));
        raw.insert(
            7,
            candid::encode_one(OldRecord { name: "a".into() }).unwrap(),
        );
        candid_values_to_compact::<_, u64, OldRecord, NewRecord>(
            manager.get(MemoryId::new(0)),
            "record",
        )
        .unwrap();
        let new: StableBTreeMap<u64, Compact<NewRecord>, _> =
            StableBTreeMap::init(manager.get(MemoryId::new(0)));
        assert_eq!(
            new.get(&7).unwrap().0,
            NewRecord {
                name: "a".into(),
                renamed: false
            }
        );
        let mut garbage: StableBTreeMap<u64, Vec<u8>, _> =
            StableBTreeMap::init(manager.get(MemoryId::new(1)));
        garbage.insert(8, vec![1, 2, 3]);
        let refused = candid_values_to_compact::<_, u64, OldRecord, NewRecord>(
            manager.get(MemoryId::new(1)),
            "record",
        );
        assert!(refused.unwrap_err().contains("record 8"));
    }
}
