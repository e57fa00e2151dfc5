//! Stable memory layout of the user_registry canister: one `MemoryManager`, and a named `MemoryId`
//! per structure. An id is never reused for something else, or an upgrade would read garbage.

use std::cell::RefCell;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// The group membership cache (`security_base::member`).
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
