//! The web app's asset canister (`canisters/frontend`): its install argument.

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

/// Install and upgrade argument; an upgrade without one keeps the stored configuration.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct FrontendInit {
    /// `(name, id)` of each canister the app talks to, handed to the page in the `ic_env` cookie.
    pub canister_ids: Vec<(String, Principal)>,
    /// The network's DER root key (133 bytes); `None` on the IC, whose key agents know.
    pub root_key: Option<Vec<u8>>,
}

/// The DER length of an IC root key (a BLS12-381 public key).
pub const ROOT_KEY_DER_LEN: usize = 133;
