//! Stable memory layout of the frontend canister: one `MemoryManager` and a named `MemoryId`
//! per structure; an id is never reused for something else. Only the install configuration is
//! stored: the assets are part of the module, so an upgrade replaces them with the code.

use std::cell::RefCell;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// The configuration the canister was last installed or upgraded with, and the stored layout
/// version (`model::StoredConfig` in a `StableCell`).
const CONFIG: MemoryId = MemoryId::new(0);

thread_local! {
    static MANAGER: RefCell<MemoryManager<DefaultMemoryImpl>> =
        RefCell::new(MemoryManager::init(DefaultMemoryImpl::default()));
}

pub fn config() -> Memory {
    MANAGER.with_borrow(|m| m.get(CONFIG))
}
