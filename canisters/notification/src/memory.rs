//! Stable memory layout of the notification canister: a named `MemoryId` per structure, and one
//! `MemoryManager` with its accessors (`canister_kit::tracked_memories!`). An id is never
//! reused for something else, or an upgrade would read garbage: a retired id stays retired (its
//! number is never given to a new structure).

use ic_stable_structures::memory_manager::MemoryId;

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

canister_kit::tracked_memories! {
    membership: MEMBERSHIP,
    data: DATA,
    data_version: DATA_VERSION,
    snapshot_state: SNAPSHOT_STATE,
    export_staging: EXPORT_STAGING,
    import_staging: IMPORT_STAGING,
}
