//! A group and its members as stored: the registry's own records, Candid (`layout.rs` says why
//! they stay Candid). The kind and key hashes inside are own types of the same Candid shape as
//! the wire `CanisterKind` and `MemberKeys` (same field and case names), so the bytes layout 1
//! wrote with the wire types read as they are; the conversions below are the boundary.

use candid::{CandidType, Deserialize, Principal};
use interfaces::security::{KeyHash, MemberKeys};
use interfaces::CanisterKind;
use serde_bytes::ByteBuf;

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GroupRecord {
    pub created_at_ns: u64,
    pub version: u64,
    pub members: Vec<MemberRecord>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MemberRecord {
    pub principal: Principal,
    pub canister_type: MemberKind,
    pub shard_key: Option<String>,
    pub keys: Option<StoredKeys>,
    pub key_rotated_at_ns: Option<u64>,
    /// Whether the member has confirmed receiving its current key. While it has not, a retry
    /// replaces the current hash but keeps the previous one, so failed deliveries never push
    /// the key the member really holds out of the overlap.
    pub key_delivered: bool,
}

/// A member's kind as stored: the case names are the stored Candid variant names.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberKind {
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

/// A salted hash of one access key as stored.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoredHash {
    pub salt: ByteBuf,
    pub hash: ByteBuf,
}

/// The hashes a member's key is checked against, as stored.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StoredKeys {
    pub current: StoredHash,
    pub previous: Option<StoredHash>,
    pub previous_valid_until_ns: u64,
}

canister_kit::same_variants!(CanisterKind <-> MemberKind:
    CanisterRegistry, LoadBalancer, BackupCanister, Calendar, Notification, UserRegistry, Frontend);

impl From<KeyHash> for StoredHash {
    fn from(h: KeyHash) -> Self {
        StoredHash {
            salt: h.salt,
            hash: h.hash,
        }
    }
}

impl From<StoredHash> for KeyHash {
    fn from(h: StoredHash) -> Self {
        KeyHash {
            salt: h.salt,
            hash: h.hash,
        }
    }
}

impl From<MemberKeys> for StoredKeys {
    fn from(k: MemberKeys) -> Self {
        StoredKeys {
            current: k.current.into(),
            previous: k.previous.map(Into::into),
            previous_valid_until_ns: k.previous_valid_until_ns,
        }
    }
}

impl From<StoredKeys> for MemberKeys {
    fn from(k: StoredKeys) -> Self {
        MemberKeys {
            current: k.current.into(),
            previous: k.previous.map(Into::into),
            previous_valid_until_ns: k.previous_valid_until_ns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{decode_one, encode_one};

    fn hash(n: u8) -> KeyHash {
        KeyHash {
            salt: ByteBuf::from(vec![n; 32]),
            hash: ByteBuf::from(vec![n + 1; 32]),
        }
    }

    #[test]
    fn every_kind_reads_what_the_wire_kind_wrote_and_back() {
        for kind in CanisterKind::ALL
            .into_iter()
            .chain([CanisterKind::Frontend])
        {
            let own: MemberKind = decode_one(&encode_one(kind).unwrap()).unwrap();
            assert_eq!(own, MemberKind::from(kind));
            let wire: CanisterKind = decode_one(&encode_one(own).unwrap()).unwrap();
            assert_eq!(wire, kind);
        }
    }

    #[test]
    fn keys_read_what_the_wire_keys_wrote_and_back() {
        for previous in [None, Some(hash(3))] {
            let wire = MemberKeys {
                current: hash(1),
                previous,
                previous_valid_until_ns: 77,
            };
            let bytes = encode_one(&wire).unwrap();
            let own: StoredKeys = decode_one(&bytes).unwrap();
            assert_eq!(own, StoredKeys::from(wire.clone()));
            assert_eq!(encode_one(&own).unwrap(), bytes, "the same bytes");
            assert_eq!(MemberKeys::from(own), wire);
        }
    }
}
