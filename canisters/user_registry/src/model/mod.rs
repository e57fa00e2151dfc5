//! The user registry's stored records: its own types, not the wire types of
//! `libs/interfaces`, so the wire can change without touching what is stored and the reverse.
//!
//! - [`account`]: each user's record, read on every call, stored `Compact` (postcard) under the
//!   layout version `layout.rs` keeps in [`Config`];
//! - the rest (the config singleton, outbox items, deletions) are read by the outbox and by
//!   deletion status calls only, and stay `Candid`, which lets them gain optional fields. The
//!   kind of canister inside them is [`HolderKind`], this canister's own type of the same Candid
//!   shape as the wire `CanisterKind` (same case names), so the bytes written with the wire type
//!   read as they are and no layout step is needed.

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
        kind: HolderKind,
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
    pub kind: HolderKind,
    pub done_at_ns: Option<u64>,
    pub items_deleted: Option<u64>,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// The kind of a canister asked to delete a user's data, as stored. Every case of the wire
/// `CanisterKind` is here (in its order and with its names) so the stored Candid bytes stay the
/// same, though only the holders (`accounts::HOLDERS`) are ever written.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolderKind {
    #[serde(rename = "canister_registry")]
    CanisterRegistry,
    #[serde(rename = "load_balancer")]
    LoadBalancer,
    #[serde(rename = "backup_canister")]
    BackupCanister,
    #[serde(rename = "calendar")]
    Calendar,
    #[serde(rename = "notification")]
    Notification,
    #[serde(rename = "user_registry")]
    UserRegistry,
    #[serde(rename = "frontend")]
    Frontend,
}

canister_kit::same_variants!(CanisterKind <-> HolderKind:
    CanisterRegistry, LoadBalancer, BackupCanister, Calendar, Notification, UserRegistry, Frontend);

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{decode_one, encode_one};

    /// A deletion step written with the wire kind (layout 1 before the own type) reads as the
    /// own type and is written back to the same bytes.
    #[test]
    fn a_step_written_with_the_wire_kind_reads_and_rewrites_the_same_bytes() {
        #[derive(CandidType)]
        struct WireStep {
            canister: Principal,
            kind: CanisterKind,
            done_at_ns: Option<u64>,
            items_deleted: Option<u64>,
            attempts: u32,
            last_error: Option<String>,
        }
        for kind in [
            CanisterKind::CanisterRegistry,
            CanisterKind::LoadBalancer,
            CanisterKind::BackupCanister,
            CanisterKind::Calendar,
            CanisterKind::Notification,
            CanisterKind::UserRegistry,
            CanisterKind::Frontend,
        ] {
            let wire = WireStep {
                canister: Principal::from_slice(&[7]),
                kind,
                done_at_ns: Some(5),
                items_deleted: None,
                attempts: 2,
                last_error: Some("stopped".into()),
            };
            let bytes = encode_one(&wire).unwrap();
            let own: StepRecord = decode_one(&bytes).unwrap();
            assert_eq!(CanisterKind::from(own.kind), kind);
            assert_eq!(encode_one(&own).unwrap(), bytes, "the same bytes");
        }
    }
}
