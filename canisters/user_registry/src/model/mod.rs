//! The user registry's stored records: its own types, not the wire types of
//! `libs/interfaces`, so the wire can change without touching what is stored and the reverse.
//!
//! - [`account`]: each user's record, read on every call, stored `Compact` (postcard) under the
//!   layout version `layout.rs` keeps in [`Config`];
//! - the rest (the config singleton, outbox items, deletions) are read by the outbox and by
//!   deletion status calls only, and stay `Candid`, which lets them gain optional fields.

mod account;

use candid::{CandidType, Deserialize, Principal};
use interfaces::CanisterKind;

pub use account::{StoredProfile, StoredSettings, UserRecord};

#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub last_outbox_id: u64,
    /// Registered users whose shard is not known yet.
    pub pending_shards: u64,
    /// The stored layout (`layout.rs`); `None` in data written before it was stored (layout 0).
    pub layout: Option<u32>,
}

/// A call that must happen even if this canister is stopped, upgraded or the callee fails.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Ask the load balancer for the user's shard.
    AssignShard { user: Principal },
    /// Find the canisters that may hold the user's data (waits for the first group snapshot).
    PlanDeletion { user: Principal },
    /// Ask `target` to delete everything it holds about `user`.
    DeleteUserData {
        user: Principal,
        target: Principal,
        kind: CanisterKind,
    },
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub work: Work,
    pub attempts: u32,
    pub next_attempt_ns: u64,
    pub last_error: Option<String>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeletionRecord {
    pub requested_at_ns: u64,
    /// `Some` while the holders are not known yet: (attempts, last error).
    pub finding: Option<(u32, Option<String>)>,
    pub steps: Vec<StepRecord>,
    pub completed_at_ns: Option<u64>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StepRecord {
    pub canister: Principal,
    pub kind: CanisterKind,
    pub done_at_ns: Option<u64>,
    pub items_deleted: Option<u64>,
    pub attempts: u32,
    pub last_error: Option<String>,
}
