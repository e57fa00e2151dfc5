//! A group and its members as stored: the registry's own records, Candid (`layout.rs` says why
//! they stay Candid). The key hashes inside are `MemberKeys` as `security_base` computes them.

use candid::{CandidType, Deserialize, Principal};
use interfaces::security::MemberKeys;
use interfaces::CanisterKind;

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GroupRecord {
    pub created_at_ns: u64,
    pub version: u64,
    pub members: Vec<MemberRecord>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MemberRecord {
    pub principal: Principal,
    pub canister_type: CanisterKind,
    pub shard_key: Option<String>,
    pub keys: Option<MemberKeys>,
    pub key_rotated_at_ns: Option<u64>,
    /// Whether the member has confirmed receiving its current key. While it has not, a retry
    /// replaces the current hash but keeps the previous one, so failed deliveries never push
    /// the key the member really holds out of the overlap.
    pub key_delivered: bool,
}
