//! The install argument: the suite's canister ids and, on a local network, its root key. It is
//! kept in stable memory, so an upgrade without an argument keeps serving the same configuration.

use canister_kit::stored::Candid;
use ic_stable_structures::StableCell;
use interfaces::frontend::FrontendInit;
use std::cell::RefCell;

use crate::memory::{self, Memory};

thread_local! {
    static CONFIG: RefCell<StableCell<Candid<FrontendInit>, Memory>> =
        RefCell::new(StableCell::init(memory::config(), Candid::default()));
}

/// Stores `args` when given and returns the configuration in force. Without `args`, the peers'
/// ids `icp deploy` recorded in the `PUBLIC_CANISTER_ID:<name>` environment variables replace
/// the stored ones (the root key stays as stored).
pub fn apply(args: Option<FrontendInit>) -> FrontendInit {
    CONFIG.with_borrow_mut(|cell| {
        if let Some(args) = args {
            cell.set(Candid(args));
        } else {
            let peers = peers_from_environment();
            if !peers.is_empty() {
                let mut config = cell.get().0.clone();
                config.canister_ids = peers;
                cell.set(Candid(config));
            }
        }
        cell.get().0.clone()
    })
}

/// The suite's canisters `icp deploy` named in this canister's environment (not the app itself).
fn peers_from_environment() -> Vec<(String, candid::Principal)> {
    canister_health::deployment::canister_ids()
        .into_iter()
        .filter(|(name, _)| name != "frontend")
        .collect()
}
