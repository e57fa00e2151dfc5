//! Stable memory layout of the canister registry: one `MemoryManager`, and a named `MemoryId`
//! per structure. An id is never reused for something else, or an upgrade would read garbage.

use std::cell::RefCell;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

pub const CONFIG: MemoryId = MemoryId::new(0);
pub const ADMINS: MemoryId = MemoryId::new(1);
pub const GROUPS: MemoryId = MemoryId::new(2);
pub const MEMBER_INDEX: MemoryId = MemoryId::new(3);
pub const OUTBOX: MemoryId = MemoryId::new(4);
/// The stored calendar wasm: which slot is stored, the staged upload (`StableCell`).
pub const WASM_META: MemoryId = MemoryId::new(5);
/// The stored calendar wasm's chunks, `(slot, index)` to bytes.
pub const WASM_CHUNKS: MemoryId = MemoryId::new(6);

thread_local! {
    static MANAGER: RefCell<MemoryManager<DefaultMemoryImpl>> =
        RefCell::new(MemoryManager::init(DefaultMemoryImpl::default()));
}

pub fn get(id: MemoryId) -> Memory {
    MANAGER.with_borrow(|m| m.get(id))
}
