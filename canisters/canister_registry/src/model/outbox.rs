//! The registry's outbox items as stored (Candid): calls to members that must not be lost.

use candid::{CandidType, Deserialize, Principal};

/// Work that needs a call to a member and must not be lost if the call fails.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Send the group's current snapshot (whatever it is when the item runs).
    PushSnapshot { group_id: String },
    /// Generate a fresh key for the member, store its hash, and deliver the key.
    DeliverKey { group_id: String },
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub target: Principal,
    pub work: Work,
    pub attempts: u32,
    pub next_attempt_ns: u64,
    pub last_error: Option<String>,
}
