//! Stable memory layout of the backup_canister canister: one `MemoryManager`, and a named `MemoryId`
//! per structure. An id is never reused for something else, or an upgrade would read garbage.
//! Everything the canister stores (snapshots, their chunks, its bookkeeping) is in these
//! structures, so an upgrade keeps every snapshot without a `pre_upgrade` step.

use std::cell::RefCell;

use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::DefaultMemoryImpl;

use crate::store::Memories;

pub type Memory = VirtualMemory<DefaultMemoryImpl>;

/// The group membership cache (`canister_kit::member`).
const MEMBERSHIP: MemoryId = MemoryId::new(0);
/// Configuration, the id counter and statistics (`StableCell`).
const META: MemoryId = MemoryId::new(1);
/// Snapshot records by id.
const SNAPSHOTS: MemoryId = MemoryId::new(2);
/// Snapshot bytes: `(snapshot id, chunk index)` to the chunk (at most 1.5 MiB).
const CHUNKS: MemoryId = MemoryId::new(3);
/// Per data canister: its last complete snapshot and last error.
const CANISTERS: MemoryId = MemoryId::new(4);
/// Per lost shard: the new shard created to restore it into, until its users moved there.
const NEW_SHARDS: MemoryId = MemoryId::new(5);

thread_local! {
    static MANAGER: RefCell<MemoryManager<DefaultMemoryImpl>> =
        RefCell::new(MemoryManager::init(DefaultMemoryImpl::default()));
}

fn get(id: MemoryId) -> Memory {
    MANAGER.with_borrow(|m| m.get(id))
}

pub fn membership() -> Memory {
    get(MEMBERSHIP)
}

pub fn new_shards() -> Memory {
    get(NEW_SHARDS)
}

pub fn store() -> Memories<Memory> {
    Memories {
        meta: get(META),
        snapshots: get(SNAPSHOTS),
        chunks: get(CHUNKS),
        canisters: get(CANISTERS),
    }
}
