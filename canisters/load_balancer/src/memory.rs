//! Stable memory layout of the load_balancer canister: one `MemoryManager`, and a named `MemoryId`
//! per structure. An id is never reused for something else, or an upgrade would read garbage.

use std::cell::RefCell;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// The group membership cache (`canister_kit::member`).
const MEMBERSHIP: MemoryId = MemoryId::new(0);
/// Configuration, counters, the random generator and the scale-out in progress (`StableCell`).
pub const STATE: MemoryId = MemoryId::new(1);
/// Every shard the balancer has known: health, latency, user count, owed follow-ups.
pub const SHARDS: MemoryId = MemoryId::new(2);
/// The sticky directory: user to shard.
pub const ASSIGNMENTS: MemoryId = MemoryId::new(3);

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
