//! Stable memory layout of the user_registry canister: a named `MemoryId` per structure, and one
//! `MemoryManager` with its accessors (`canister_kit::tracked_memories!`). An id is never
//! reused for something else, or an upgrade would read garbage: a retired id stays retired (its
//! number is never given to a new structure).

use ic_stable_structures::memory_manager::MemoryId;

/// The group membership cache (`canister_kit::member`).
const MEMBERSHIP: MemoryId = MemoryId::new(0);
/// Counters (`StableCell`).
pub const CONFIG: MemoryId = MemoryId::new(1);
/// Registered users: profile, settings, shard.
pub const USERS: MemoryId = MemoryId::new(2);
/// Calls that must not be lost (shard requests, deletion steps), by id.
pub const OUTBOX: MemoryId = MemoryId::new(3);
/// The outbox in the order it is due: `(next attempt ns, id)`.
pub const OUTBOX_SCHEDULE: MemoryId = MemoryId::new(4);
/// Account deletions in progress, and completed ones for a day.
pub const DELETIONS: MemoryId = MemoryId::new(5);
/// Completed deletions in the order they completed: `(completed at ns, user)`, for retention.
pub const DELETION_RECEIPTS: MemoryId = MemoryId::new(6);
/// The data version (`StableCell<u64>`): moves with every message that changed ids 1..=6. Kept
/// outside the data so a restore does not roll it back.
const DATA_VERSION: MemoryId = MemoryId::new(7);
/// Backups (`stable_snapshot`): what is staged, and the export and import staging copies.
const SNAPSHOT_STATE: MemoryId = MemoryId::new(8);
const EXPORT_STAGING: MemoryId = MemoryId::new(9);
const IMPORT_STAGING: MemoryId = MemoryId::new(10);

/// The canister's data (ids 1..=6) in a fixed order: what a snapshot copies and a restore
/// replaces.
const DATA: [MemoryId; 6] = [
    CONFIG,
    USERS,
    OUTBOX,
    OUTBOX_SCHEDULE,
    DELETIONS,
    DELETION_RECEIPTS,
];

canister_kit::tracked_memories! {
    membership: MEMBERSHIP,
    data: DATA,
    data_version: DATA_VERSION,
    snapshot_state: SNAPSHOT_STATE,
    export_staging: EXPORT_STAGING,
    import_staging: IMPORT_STAGING,
}
