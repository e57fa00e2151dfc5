//! Stable memory layout of the calendar canister: one `MemoryManager`, and a named `MemoryId`
//! per structure. An id is never reused for something else, or an upgrade would read garbage.

use std::cell::RefCell;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

use crate::feeds::FeedMemories;
use crate::store::Memories;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// The group membership cache (`canister_kit::member`).
const MEMBERSHIP: MemoryId = MemoryId::new(0);
// The event store (`store::Store`): ids 1..=10. Together they are the shard's data, which a
// backup snapshot copies and a restore replaces.
const META: MemoryId = MemoryId::new(1);
const EVENTS: MemoryId = MemoryId::new(2);
const OWNED: MemoryId = MemoryId::new(3);
const BY_TIME: MemoryId = MemoryId::new(4);
const BY_SERIES: MemoryId = MemoryId::new(5);
const BY_UID: MemoryId = MemoryId::new(6);
const USERS: MemoryId = MemoryId::new(7);
const PARTICIPATIONS: MemoryId = MemoryId::new(8);
const POLICIES: MemoryId = MemoryId::new(9);
const REMINDER_OUTBOX: MemoryId = MemoryId::new(10);
/// Backups (`stable_snapshot`): what is staged, and the export and import staging copies.
const SNAPSHOT_STATE: MemoryId = MemoryId::new(11);
const EXPORT_STAGING: MemoryId = MemoryId::new(12);
const IMPORT_STAGING: MemoryId = MemoryId::new(13);
// Id 14 is taken on another branch; 18 and up are the invitations'.
/// Feeds and subscriptions (`feeds::Feeds`): feeds by token hash, feeds by owner, and
/// subscriptions to outside feeds. Not in a backup snapshot (see the README).
const FEED_TOKENS: MemoryId = MemoryId::new(15);
const FEEDS_BY_OWNER: MemoryId = MemoryId::new(16);
const SUBSCRIPTIONS: MemoryId = MemoryId::new(17);

/// The store's memories in a fixed order (the order snapshots list them in).
pub const DATA: [MemoryId; 10] = [
    META,
    EVENTS,
    OWNED,
    BY_TIME,
    BY_SERIES,
    BY_UID,
    USERS,
    PARTICIPATIONS,
    POLICIES,
    REMINDER_OUTBOX,
];

thread_local! {
    static MANAGER: RefCell<MemoryManager<DefaultMemoryImpl>> =
        RefCell::new(MemoryManager::init(DefaultMemoryImpl::default()));
}

pub fn get(id: MemoryId) -> Memory {
    MANAGER.with_borrow(|m| m.get(id))
}

pub fn membership() -> Memory {
    get(MEMBERSHIP)
}

pub fn store() -> Memories<Memory> {
    Memories {
        meta: get(META),
        events: get(EVENTS),
        owned: get(OWNED),
        by_time: get(BY_TIME),
        by_series: get(BY_SERIES),
        by_uid: get(BY_UID),
        users: get(USERS),
        participations: get(PARTICIPATIONS),
        policies: get(POLICIES),
        reminder_outbox: get(REMINDER_OUTBOX),
    }
}

pub fn feeds() -> FeedMemories<Memory> {
    FeedMemories {
        tokens: get(FEED_TOKENS),
        by_owner: get(FEEDS_BY_OWNER),
        subscriptions: get(SUBSCRIPTIONS),
    }
}

pub fn export_staging() -> Memory {
    get(EXPORT_STAGING)
}

pub fn import_staging() -> Memory {
    get(IMPORT_STAGING)
}

/// The store's memories in [`DATA`] order.
pub fn data() -> Vec<Memory> {
    DATA.iter().map(|&id| get(id)).collect()
}

pub fn snapshot_state() -> Memory {
    get(SNAPSHOT_STATE)
}
