//! Stable memory layout of the notification canister: one `MemoryManager`, and a named `MemoryId`
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
/// Id counters and the firing statistics (`StableCell`).
pub const COUNTERS: MemoryId = MemoryId::new(1);
/// Each event's reminder plan and window, or its tombstone: `(shard, event id)`.
pub const EVENTS: MemoryId = MemoryId::new(2);
/// Reminders waiting for their moment: `(due ns, sequence)`, so the earliest is first.
pub const DUE: MemoryId = MemoryId::new(3);
/// Which events address each user: `(user, shard, event id)`, for account deletion.
pub const RECIPIENTS: MemoryId = MemoryId::new(4);
/// Tombstones in the order they were made: `(made at ns, shard, event id)`, for retention.
pub const TOMBSTONES: MemoryId = MemoryId::new(5);
/// Delivered notifications: `(user, notification id)`.
pub const INBOX: MemoryId = MemoryId::new(6);
/// Per user: (notifications held, of which unread).
pub const INBOX_COUNTS: MemoryId = MemoryId::new(7);
/// Notification id to its user, oldest first, for retention by age.
pub const DELIVERY_ORDER: MemoryId = MemoryId::new(8);
/// Operator alerts by id.
pub const ALERTS: MemoryId = MemoryId::new(9);
/// Open alerts by `(kind, raised by, subject)`, to count repeats into one alert.
pub const OPEN_ALERTS: MemoryId = MemoryId::new(10);
/// The schedule of each active event (read only to refill its window).
pub const SCHEDULES: MemoryId = MemoryId::new(11);
/// The data version (`StableCell<u64>`): moves with every message that changed ids 1..=11. Kept
/// outside the data so a restore does not roll it back.
const DATA_VERSION: MemoryId = MemoryId::new(12);
/// Backups (`stable_snapshot`): what is staged, and the export and import staging copies.
const SNAPSHOT_STATE: MemoryId = MemoryId::new(13);
const EXPORT_STAGING: MemoryId = MemoryId::new(14);
const IMPORT_STAGING: MemoryId = MemoryId::new(15);

/// The canister's data (ids 1..=11) in a fixed order: what a snapshot copies and a restore
/// replaces.
const DATA: [MemoryId; 11] = [
    COUNTERS,
    EVENTS,
    DUE,
    RECIPIENTS,
    TOMBSTONES,
    INBOX,
    INBOX_COUNTS,
    DELIVERY_ORDER,
    ALERTS,
    OPEN_ALERTS,
    SCHEDULES,
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
