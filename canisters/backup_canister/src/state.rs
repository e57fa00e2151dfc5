//! The canister's one piece of state, reached only through [`read`] and [`mutate`].

use std::cell::RefCell;

use crate::layout;
use crate::memory::{self, Memory};
use crate::store::Store;

thread_local! {
    static STORE: RefCell<Store<Memory>> = RefCell::new(Store::init(memory::store()));
}

pub fn read<R>(f: impl FnOnce(&Store<Memory>) -> R) -> R {
    STORE.with_borrow(f)
}

pub fn mutate<R>(f: impl FnOnce(&mut Store<Memory>) -> R) -> R {
    STORE.with_borrow_mut(f)
}

/// Brings the stored data to this code's layout (`layout.rs`); data this code cannot read stops
/// the message, which undoes the upgrade.
pub fn migrate_layout() {
    if let Err(reason) = mutate(|s| layout::migrate(s, memory::store)) {
        ic_cdk::trap(reason);
    }
}
