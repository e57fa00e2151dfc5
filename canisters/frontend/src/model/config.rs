//! The install configuration as stored: this canister's own record, Candid in a `StableCell`.
//! Its field names are the wire `FrontendInit`'s, so it reads what layout 0 stored (the wire
//! record itself) and gains the layout version as an optional field.

use candid::{CandidType, Deserialize, Principal};
use interfaces::frontend::FrontendInit;

#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredConfig {
    /// `(name, id)` of each canister the app talks to.
    pub canister_ids: Vec<(String, Principal)>,
    /// The network's DER root key; `None` on the IC.
    pub root_key: Option<Vec<u8>>,
    /// The stored layout version (`layout.rs`); `None` (0) in data written before it was stored.
    pub layout: Option<u32>,
}

impl StoredConfig {
    /// `init` as stored under `layout`.
    pub fn new(init: FrontendInit, layout: Option<u32>) -> Self {
        StoredConfig {
            canister_ids: init.canister_ids,
            root_key: init.root_key,
            layout,
        }
    }

    pub fn to_init(&self) -> FrontendInit {
        FrontendInit {
            canister_ids: self.canister_ids.clone(),
            root_key: self.root_key.clone(),
        }
    }
}
