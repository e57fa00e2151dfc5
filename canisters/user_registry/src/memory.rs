//! Stable memory layout of the user_registry canister: one `MemoryManager`, and a named `MemoryId`
//! per structure. An id is never reused for something else, or an upgrade would read garbage.

use std::cell::RefCell;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// The group membership cache (`security_base::member`).
const MEMBERSHIP: MemoryId = MemoryId::new(0);

thread_local! {
    static MANAGER: RefCell<MemoryManager<DefaultMemoryImpl>> =
        RefCell::new(MemoryManager::init(DefaultMemoryImpl::default()));
}

pub fn membership() -> Memory {
    MANAGER.with_borrow(|m| m.get(MEMBERSHIP))
}
