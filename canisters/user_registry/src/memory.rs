//! Stable memory layout of the user_registry canister: one `MemoryManager`, and a named `MemoryId`
//! per structure. An id is never reused for something else, or an upgrade would read garbage:
//! a retired id stays retired (its number is never given to a new structure).

use std::cell::RefCell;

use canister_kit::backup::DataMemories;
use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;
use stable_snapshot::tracked::Tracked;

/// Every structure's memory notes its writes, so the data version moves only on real changes
/// (`state::mutate`).
pub type Memory = Tracked<RawMemory>;
pub type RawMemory = VirtualMemory<DefaultMemoryImpl>;

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

thread_local! {
    static MANAGER: RefCell<MemoryManager<DefaultMemoryImpl>> =
        RefCell::new(MemoryManager::init(DefaultMemoryImpl::default()));
}

pub fn membership() -> RawMemory {
    raw(MEMBERSHIP)
}

fn raw(id: MemoryId) -> RawMemory {
    MANAGER.with_borrow(|m| m.get(id))
}

pub fn get(id: MemoryId) -> Memory {
    Tracked(raw(id))
}

/// The data memories in [`DATA`] order.
pub fn data() -> Vec<Memory> {
    DATA.iter().map(|&id| get(id)).collect()
}

/// Where the data version and the snapshot staging live (`canister_kit::backup::DataState`).
pub fn data_state() -> DataMemories<RawMemory> {
    DataMemories {
        data_version: raw(DATA_VERSION),
        snapshot_state: get(SNAPSHOT_STATE),
        export_staging: get(EXPORT_STAGING),
        import_staging: get(IMPORT_STAGING),
    }
}
