//! The stored layout: its version and the migrations from older versions, as
//! `canisters/user_registry/src/layout.rs` does it.
//!
//! The version lives in the `Meta` cell (`model::Meta::layout`). [`migrate`] runs first in
//! `post_upgrade` (`lifecycle.rs`), before anything reads a record; it refuses data from a newer
//! layout (the caller traps, which undoes the upgrade) rather than guess at it. The backup
//! canister is not itself backed up or restored, so install and upgrade are the only paths.
//!
//! Versions:
//! - 0: releases before the version was stored (main up to f263996). Snapshot records are the
//!   wire `SnapshotInfo` and per-canister records [`CanisterRecordV0`], both Candid.
//! - 1: both are this canister's own types (`model::SnapshotRecord`, `model::CanisterRecord`),
//!   stored `Compact`. The migration from 0 re-encodes every snapshot record and canister record
//!   (a few thousand at most, each a few thousand instructions: far below the upgrade's
//!   limit); the chunks, plain bytes, are not touched. The `Meta` cell stayed Candid; the wire
//!   `BackupConfig` and `CycleReport` it first held were later replaced by own types of the
//!   same Candid shape (`model::meta::Settings`, `CycleRecord`): Candid decodes by field name,
//!   so that changed no stored byte and is still layout 1 (`model/meta.rs` tests it).
//!
//! A new version adds a step to [`migrate`] and a test that reads a stable-memory dump written
//! by the release before it (`tests/tests/backup_migration.rs` reads the version-0 dump in
//! `canisters/backup_canister/fixtures/`).

use candid::{CandidType, Deserialize, Principal};
use canister_kit::layout::{candid_values_to_compact, Outcome};
use ic_stable_structures::Memory;
use interfaces::backup::SnapshotInfo;
use interfaces::CanisterKind;

use crate::model::{CanisterRecord, SnapshotRecord};
use crate::store::{Memories, Store};

/// The layout this code writes.
pub const CURRENT: u32 = 1;

/// A data canister's record as layout 0 stored it (Candid, the wire kind inside).
#[derive(CandidType, Deserialize)]
pub struct CanisterRecordV0 {
    pub kind: CanisterKind,
    pub last_complete: Option<u64>,
    pub last_data_version: Option<u64>,
    pub last_snapshot_at_ns: Option<u64>,
    pub in_progress: Option<u64>,
    pub last_error: Option<String>,
}

impl From<CanisterRecordV0> for CanisterRecord {
    fn from(v0: CanisterRecordV0) -> Self {
        CanisterRecord {
            kind: v0.kind.into(),
            last_complete: v0.last_complete,
            last_data_version: v0.last_data_version,
            last_snapshot_at_ns: v0.last_snapshot_at_ns,
            in_progress: v0.in_progress,
            last_error: v0.last_error,
        }
    }
}

/// Brings the stored data to the [`CURRENT`] layout, or says why it cannot. `open` gives the
/// store's memories (as `Store::init` takes them); the store is re-opened after the steps, which
/// rewrote structures underneath it.
pub fn migrate<M: Memory>(
    store: &mut Store<M>,
    open: impl Fn() -> Memories<M>,
) -> Result<Outcome, String> {
    let outcome = canister_kit::layout::run_steps(store.layout(), CURRENT, |from| match from {
        0 => {
            candid_values_to_compact::<M, u64, SnapshotInfo, SnapshotRecord>(
                open().snapshots,
                "snapshot",
            )?;
            candid_values_to_compact::<M, Principal, CanisterRecordV0, CanisterRecord>(
                open().canisters,
                "canister record",
            )
        }
        _ => unreachable!("every version below CURRENT has a step"),
    })?;
    if outcome != Outcome::Current {
        *store = Store::init(open());
        store.set_layout(CURRENT);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
    use ic_stable_structures::{StableBTreeMap, VectorMemory};
    use interfaces::backup::{SnapshotStatus, SnapshotTrigger};

    type Mem = VirtualMemory<VectorMemory>;

    /// The store's memories over one shared manager, as often as asked.
    fn memories() -> impl Fn() -> Memories<Mem> {
        let manager = MemoryManager::init(VectorMemory::default());
        move || Memories {
            meta: manager.get(MemoryId::new(1)),
            snapshots: manager.get(MemoryId::new(2)),
            chunks: manager.get(MemoryId::new(3)),
            canisters: manager.get(MemoryId::new(4)),
        }
    }

    fn shard() -> Principal {
        Principal::from_slice(&[1; 10])
    }

    fn v0_snapshot() -> SnapshotInfo {
        SnapshotInfo {
            id: 4,
            canister: shard(),
            kind: CanisterKind::Calendar,
            trigger: SnapshotTrigger::Scheduled,
            status: SnapshotStatus::Complete,
            data_version: 8,
            total_bytes: 0,
            chunk_bytes: 1,
            chunk_count: 0,
            sha256: vec![0; 32],
            started_at_ns: 1,
            finished_at_ns: Some(2),
        }
    }

    #[test]
    fn layout_0_records_are_re_encoded_and_read_back() {
        let open = memories();
        {
            // What layout 0 wrote: Candid records, the wire types inside.
            let mut snapshots: StableBTreeMap<u64, Vec<u8>, _> =
                StableBTreeMap::init(open().snapshots);
            snapshots.insert(4, candid::encode_one(v0_snapshot()).unwrap());
            let mut canisters: StableBTreeMap<Principal, Vec<u8>, _> =
                StableBTreeMap::init(open().canisters);
            let record = CanisterRecordV0 {
                kind: CanisterKind::Calendar,
                last_complete: Some(4),
                last_data_version: Some(8),
                last_snapshot_at_ns: Some(2),
                in_progress: None,
                last_error: Some("once".into()),
            };
            canisters.insert(shard(), candid::encode_one(record).unwrap());
        }
        let mut store = Store::init(open());
        assert_eq!(store.layout(), 0);
        assert_eq!(
            migrate(&mut store, &open),
            Ok(Outcome::Migrated { from: 0 })
        );
        assert_eq!(store.layout(), CURRENT);
        assert_eq!(store.latest_complete(&shard()), Some(v0_snapshot()));
        assert_eq!(
            store.stats().canisters[0].last_error.as_deref(),
            Some("once")
        );
        assert_eq!(migrate(&mut store, &open), Ok(Outcome::Current));
        assert_eq!(Store::init(open()).layout(), CURRENT);
    }

    #[test]
    fn a_newer_layout_is_refused_and_left_as_it_is() {
        let open = memories();
        let mut store = Store::init(open());
        store.set_layout(CURRENT + 1);
        assert!(migrate(&mut store, &open).is_err());
        assert_eq!(store.layout(), CURRENT + 1);
    }
}
