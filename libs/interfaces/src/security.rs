//! Wire types of the security model (DESIGN.md section 4): admins, groups and the versioned group
//! snapshot the registry pushes to every member.
//!
//! Access keys themselves never appear in any type here: members receive their own key once,
//! through `receive_access_key`, and everything else carries only salted hashes.

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

use crate::health::CanisterKind;

/// What an admin may do. Controllers of the registry may do everything.
#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
pub enum Permission {
    ManageGroups,
    ManageKeys,
    ManageWasm,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AdminInfo {
    pub principal: Principal,
    pub permissions: Vec<Permission>,
}

/// A salted, domain-separated SHA-256 of one access key (see `security_base::access_key`).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct KeyHash {
    pub salt: serde_bytes::ByteBuf,
    pub hash: serde_bytes::ByteBuf,
}

/// The hashes a member's key is checked against: the current one and, during a rotation's
/// overlap window, the previous one until `previous_valid_until_ns`.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MemberKeys {
    pub current: KeyHash,
    pub previous: Option<KeyHash>,
    pub previous_valid_until_ns: u64,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub principal: Principal,
    pub canister_type: CanisterKind,
    pub shard_key: Option<String>,
    /// `None` until the registry has generated and delivered this member's first key.
    pub keys: Option<MemberKeys>,
}

/// Everything a member needs to authorize calls from its group without asking the registry.
/// A member keeps the snapshot with the highest `version` it has seen and ignores older ones.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GroupSnapshot {
    pub group_id: String,
    pub version: u64,
    pub members: Vec<GroupMember>,
    pub admins: Vec<AdminInfo>,
}

/// What `get_group` and `list_groups` show: membership without any key material.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    pub group_id: String,
    pub version: u64,
    pub created_at_ns: u64,
    pub members: Vec<GroupMemberInfo>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GroupMemberInfo {
    pub principal: Principal,
    pub canister_type: CanisterKind,
    pub shard_key: Option<String>,
    pub has_key: bool,
    pub key_rotated_at_ns: Option<u64>,
}

/// How a member canister is configured at install (and optionally at upgrade).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MemberInit {
    /// The canister registry whose snapshots and keys this canister accepts.
    pub registry: Principal,
}

/// What happened to a pushed or pulled snapshot.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotOutcome {
    Accepted {
        version: u64,
    },
    /// Not newer than what is held, so ignored (a late or replayed push).
    IgnoredNotNewer {
        held_version: u64,
    },
}

/// A member's answer to an authorized `group_ping` from another member of its group.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GroupPing {
    pub canister: CanisterKind,
    pub group_id: String,
    pub group_version: u64,
    /// Instructions the callee spent authorizing and answering (`ic0.performance_counter`).
    pub instructions: u64,
}

/// A member's view of its own membership, without any key material.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MembershipStatus {
    pub registry: Option<Principal>,
    pub group_id: Option<String>,
    pub group_version: Option<u64>,
    pub members: u64,
    pub has_own_key: bool,
    pub last_pull_ns: Option<u64>,
    pub last_pull_error: Option<String>,
}
