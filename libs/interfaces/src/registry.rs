//! Wire types specific to the canister registry.

use candid::{CandidType, Deserialize};
use serde::Serialize;

/// Install (or upgrade) settings of the registry; absent fields keep their current value.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryInit {
    /// How long a rotated-out access key stays valid (default 600 s).
    pub key_overlap_seconds: Option<u64>,
    /// First retry delay of a failed delivery or push; doubles per attempt (default 30 s).
    pub retry_delay_seconds: Option<u64>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegistryStats {
    pub groups: u64,
    pub members: u64,
    pub admins: u64,
    /// Key deliveries and snapshot pushes not yet confirmed by their member.
    pub outbox_pending: u64,
    /// Of those, the ones that have failed at least once.
    pub outbox_failing: u64,
    pub last_version: u64,
    pub key_overlap_seconds: u64,
}
