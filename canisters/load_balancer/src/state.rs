//! The canister's one piece of state, reached only through [`read`] and [`mutate`].

use std::cell::RefCell;

use crate::balancer::Balancer;
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
