//! The install argument: the suite's canister ids and, on a local network, its root key. It is
//! kept in stable memory (`model::StoredConfig`), so an upgrade without an argument keeps
//! serving the same configuration.

use canister_kit::stored::Candid;
use ic_stable_structures::StableCell;
use interfaces::frontend::FrontendInit;
use std::cell::RefCell;

use crate::layout;
use crate::memory::{self, Memory};
use crate::model::StoredConfig;

thread_local! {
    static CONFIG: RefCell<StableCell<Candid<StoredConfig>, Memory>> =
        RefCell::new(StableCell::init(memory::config(), Candid::default()));
}

/// Brings the stored configuration to this code's layout first (a newer one traps, which
/// undoes the upgrade), then stores `args` when given and returns the configuration in force.
/// Without `args`, the peers' ids `icp deploy` recorded in the `PUBLIC_CANISTER_ID:<name>`
/// environment variables replace the stored ones (the root key stays as stored).
pub fn apply(args: Option<FrontendInit>) -> FrontendInit {
    CONFIG.with_borrow_mut(|cell| {
        let mut config = cell.get().0.clone();
        if let Err(reason) = layout::migrate(&mut config) {
            ic_cdk::trap(reason);
        }
        if let Some(args) = args {
            config = StoredConfig::new(args, config.layout);
        } else {
            let peers = peers_from_environment();
            if !peers.is_empty() {
                config.canister_ids = peers;
            }
        }
        if config != cell.get().0 {
            cell.set(Candid(config.clone()));
        }
        config.to_init()
    })
}

/// The suite's canisters `icp deploy` named in this canister's environment (not the app itself).
fn peers_from_environment() -> Vec<(String, candid::Principal)> {
    canister_health::deployment::canister_ids()
        .into_iter()
        .filter(|(name, _)| name != "frontend")
        .collect()
}
