//! Stable memory layout of the notification canister: one `MemoryManager`, and a named `MemoryId`
//! per structure. An id is never reused for something else, or an upgrade would read garbage.

use std::cell::RefCell;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// The group membership cache (`security_base::member`).
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

thread_local! {
    static MANAGER: RefCell<MemoryManager<DefaultMemoryImpl>> =
        RefCell::new(MemoryManager::init(DefaultMemoryImpl::default()));
}

pub fn membership() -> Memory {
    get(MEMBERSHIP)
}

pub fn get(id: MemoryId) -> Memory {
    MANAGER.with_borrow(|m| m.get(id))
}
