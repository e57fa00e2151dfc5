//! The canister's one piece of state, reached only through [`read`] and [`mutate`].

use std::cell::RefCell;

use crate::accounts::Accounts;
use crate::memory::{self, Memory};

thread_local! {
    static ACCOUNTS: RefCell<Accounts<Memory>> = RefCell::new(Accounts::init(memory::get));
}

pub fn read<R>(f: impl FnOnce(&Accounts<Memory>) -> R) -> R {
    ACCOUNTS.with_borrow(f)
}

pub fn mutate<R>(f: impl FnOnce(&mut Accounts<Memory>) -> R) -> R {
    ACCOUNTS.with_borrow_mut(f)
}
