//! The registry's state, reached only through [`read`] and [`mutate`] (groups, keys, admins)
//! and [`read_wasm`] and [`mutate_wasm`] (the stored calendar wasm).

use std::cell::RefCell;

use crate::layout;
use crate::memory::{self, Memory};
use crate::registry::Registry;
use crate::wasm_store::WasmStore;

thread_local! {
    static REGISTRY: RefCell<Registry<Memory>> = RefCell::new(Registry::init(
        memory::get(memory::CONFIG),
        memory::get(memory::ADMINS),
        memory::get(memory::GROUPS),
        memory::get(memory::MEMBER_INDEX),
        memory::get(memory::OUTBOX),
    ));
}

pub fn read<R>(f: impl FnOnce(&Registry<Memory>) -> R) -> R {
    REGISTRY.with_borrow(f)
}

pub fn mutate<R>(f: impl FnOnce(&mut Registry<Memory>) -> R) -> R {
    REGISTRY.with_borrow_mut(f)
}

/// Checks and records the stored layout (`layout.rs`); data this code cannot read stops the
/// message, which undoes the upgrade.
pub fn migrate_layout() {
    if let Err(reason) = mutate(layout::migrate) {
        ic_cdk::trap(reason);
    }
}

thread_local! {
    static WASM: RefCell<WasmStore<Memory>> = RefCell::new(WasmStore::init(
        memory::get(memory::WASM_META),
        memory::get(memory::WASM_CHUNKS),
    ));
}

pub fn read_wasm<R>(f: impl FnOnce(&WasmStore<Memory>) -> R) -> R {
    WASM.with_borrow(f)
}

pub fn mutate_wasm<R>(f: impl FnOnce(&mut WasmStore<Memory>) -> R) -> R {
    WASM.with_borrow_mut(f)
}
