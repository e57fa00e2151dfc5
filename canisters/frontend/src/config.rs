//! The install argument: the suite's canister ids and, on a local network, its root key. It is
//! kept in stable memory, so an upgrade without an argument keeps serving the same configuration.

use candid_storable::Candid;
use ic_stable_structures::StableCell;
use interfaces::frontend::FrontendInit;
use std::cell::RefCell;

use crate::memory::{self, Memory};

thread_local! {
    static CONFIG: RefCell<StableCell<Candid<FrontendInit>, Memory>> =
        RefCell::new(StableCell::init(memory::config(), Candid::default()));
}

/// Stores `args` when given and returns the configuration in force.
pub fn apply(args: Option<FrontendInit>) -> FrontendInit {
    CONFIG.with_borrow_mut(|cell| {
        if let Some(args) = args {
            cell.set(Candid(args));
        }
        cell.get().0.clone()
    })
}
