//! The registry's one piece of state, reached only through [`read`] and [`mutate`].

use std::cell::RefCell;

use crate::memory::{self, Memory};
use crate::registry::Registry;

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
