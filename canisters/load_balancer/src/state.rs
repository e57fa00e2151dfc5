//! The canister's one piece of state, reached only through [`read`] and [`mutate`], and the
//! group's shards (from the cached group snapshot).

use std::cell::RefCell;

use candid::Principal;
use interfaces::CanisterKind;

use crate::balancer::Balancer;
use crate::layout;
use crate::memory::{self, Memory};

thread_local! {
    static BALANCER: RefCell<Balancer<Memory>> = RefCell::new(Balancer::init(memory::get));
}

pub fn read<R>(f: impl FnOnce(&Balancer<Memory>) -> R) -> R {
    BALANCER.with_borrow(f)
}

pub fn mutate<R>(f: impl FnOnce(&mut Balancer<Memory>) -> R) -> R {
    BALANCER.with_borrow_mut(f)
}

/// Checks and records the stored layout (`layout.rs`); data this code cannot read stops the
/// message, which undoes the upgrade.
pub fn migrate_layout() {
    if let Err(reason) = mutate(layout::migrate) {
        ic_cdk::trap(reason);
    }
}

/// The group's calendar members: the shards.
pub fn group_shards() -> Vec<Principal> {
    canister_kit::member::members_of_kind(CanisterKind::Calendar)
}
