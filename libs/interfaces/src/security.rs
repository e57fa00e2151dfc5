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
