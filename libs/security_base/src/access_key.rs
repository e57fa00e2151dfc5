//! Access keys: the second factor a group member presents on inter-canister calls.
//!
//! The registry draws 32 random bytes from `raw_rand` per member, hands the key to that canister
//! once, and keeps only a salted hash bound to the member's principal:
//! `SHA-256(DOMAIN || salt || len(principal) || principal || key)`. Binding the principal means a
//! key leaked from one member is useless for any other caller; the salt means equal keys never
//! show as equal hashes. Comparison is constant-time, and a key never prints.

use candid::Principal;
use interfaces::security::{KeyHash, MemberKeys};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Separates these hashes from every other SHA-256 the suite computes.
const DOMAIN: &[u8] = b"icp-calendar/access-key/v1\0";
const SEED_TO_KEY: &[u8] = b"icp-calendar/access-key-seed/key\0";
const SEED_TO_SALT: &[u8] = b"icp-calendar/access-key-seed/salt\0";

pub const KEY_BYTES: usize = 32;

/// A member's secret. `Debug` and `Display` never show the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey([u8; KEY_BYTES]);

impl AccessKey {
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; KEY_BYTES]>::try_from(bytes).ok().map(AccessKey)
    }

    /// Bytes for the one place they must travel: the registry's delivery to the member, and the
    /// member presenting its key on a call.
    pub fn expose_bytes(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }

    /// Derives a key and a salt from 32 bytes of `raw_rand`, so one management call suffices.
    pub fn generate(seed: &[u8; 32]) -> (AccessKey, [u8; 32]) {
        let key = Sha256::new()
            .chain_update(SEED_TO_KEY)
            .chain_update(seed)
            .finalize();
        let salt = Sha256::new()
            .chain_update(SEED_TO_SALT)
            .chain_update(seed)
            .finalize();
        (AccessKey(key.into()), salt.into())
    }

    /// The salted hash of this key as held by `owner`.
    pub fn hash_for(&self, owner: &Principal, salt: &[u8; 32]) -> KeyHash {
        KeyHash {
            salt: serde_bytes::ByteBuf::from(salt.to_vec()),
            hash: serde_bytes::ByteBuf::from(digest(owner, salt, &self.0).to_vec()),
        }
    }

    /// Whether this key, presented by `caller`, is the one `expected` was made from.
    pub fn matches(&self, caller: &Principal, expected: &KeyHash) -> bool {
        let Ok(salt) = <[u8; 32]>::try_from(expected.salt.as_slice()) else {
            return false;
        };
        let actual = digest(caller, &salt, &self.0);
        bool::from(actual.as_slice().ct_eq(expected.hash.as_slice()))
    }
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessKey(<redacted>)")
    }
}

impl std::fmt::Display for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted access key>")
    }
}

fn digest(owner: &Principal, salt: &[u8; 32], key: &[u8; KEY_BYTES]) -> [u8; 32] {
    let owner = owner.as_slice();
    Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(salt)
        .chain_update([owner.len() as u8])
        .chain_update(owner)
        .chain_update(key)
        .finalize()
        .into()
}

/// Checks a presented key against a member's current hash and, inside the rotation overlap
/// window, its previous one.
pub fn key_is_valid(key: &AccessKey, caller: &Principal, keys: &MemberKeys, now_ns: u64) -> bool {
    // Evaluate both comparisons regardless of the first result, so timing says nothing about which
    // hash matched.
    let current = key.matches(caller, &keys.current);
    let previous = match &keys.previous {
        Some(previous) => key.matches(caller, previous) && now_ns < keys.previous_valid_until_ns,
        None => false,
    };
    current | previous
}

/// The keys after a rotation at `now_ns`: the new hash is current, the old one stays valid for
/// `overlap_ns` so calls already signed with it still go through.
pub fn rotate(
    old: Option<MemberKeys>,
    new_hash: KeyHash,
    now_ns: u64,
    overlap_ns: u64,
) -> MemberKeys {
    match old {
        Some(old) => MemberKeys {
            current: new_hash,
            previous: Some(old.current),
            previous_valid_until_ns: now_ns.saturating_add(overlap_ns),
        },
        None => MemberKeys {
            current: new_hash,
            previous: None,
            previous_valid_until_ns: 0,
        },
    }
}

/// Drops a previous hash whose overlap window has closed; returns whether anything changed.
pub fn expire_previous(keys: &mut MemberKeys, now_ns: u64) -> bool {
    if keys.previous.is_some() && now_ns >= keys.previous_valid_until_ns {
        keys.previous = None;
        keys.previous_valid_until_ns = 0;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(n: u8) -> Principal {
        Principal::from_slice(&[n; 10])
    }

    fn keys_for(owner: &Principal, seed: u8) -> (AccessKey, KeyHash) {
        let (key, salt) = AccessKey::generate(&[seed; 32]);
        let hash = key.hash_for(owner, &salt);
        (key, hash)
    }

    #[test]
    fn a_key_matches_only_its_owner_and_its_hash() {
        let (a, b) = (principal(1), principal(2));
        let (key, hash) = keys_for(&a, 7);
        assert!(key.matches(&a, &hash));
        assert!(!key.matches(&b, &hash), "a key is bound to its principal");
        let (other_key, _) = keys_for(&a, 8);
        assert!(!other_key.matches(&a, &hash));
    }

    #[test]
    fn generated_keys_and_salts_differ_per_seed_and_from_each_other() {
        let (k1, s1) = AccessKey::generate(&[1; 32]);
        let (k2, s2) = AccessKey::generate(&[2; 32]);
        assert_ne!(k1, k2);
        assert_ne!(s1, s2);
        assert_ne!(k1.expose_bytes(), &s1);
    }

    #[test]
    fn the_hash_does_not_contain_the_key() {
        let owner = principal(3);
        let (key, hash) = keys_for(&owner, 9);
        let bytes = key.expose_bytes();
        assert!(!hash
            .hash
            .windows(8)
            .any(|w| bytes.windows(8).any(|k| k == w)));
        assert!(!hash
            .salt
            .windows(8)
            .any(|w| bytes.windows(8).any(|k| k == w)));
    }

    #[test]
    fn debug_and_display_redact() {
        let (key, _) = AccessKey::generate(&[5; 32]);
        let shown = format!("{key:?} {key}");
        assert!(!shown.contains(&format!("{:?}", key.expose_bytes())));
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn malformed_hashes_never_match() {
        let owner = principal(4);
        let (key, mut hash) = keys_for(&owner, 1);
        hash.salt = serde_bytes::ByteBuf::from(vec![0; 3]);
        assert!(!key.matches(&owner, &hash));
        assert!(AccessKey::from_bytes(&[0; 31]).is_none());
    }

    #[test]
    fn rotation_keeps_the_old_key_inside_the_overlap_only() {
        let owner = principal(6);
        let (old_key, old_hash) = keys_for(&owner, 1);
        let (new_key, new_hash) = keys_for(&owner, 2);
        let keys = rotate(None, old_hash, 0, 0);
        assert!(key_is_valid(&old_key, &owner, &keys, 10));

        let mut keys = rotate(Some(keys), new_hash, 1_000, 500);
        assert!(key_is_valid(&new_key, &owner, &keys, 1_001));
        assert!(key_is_valid(&old_key, &owner, &keys, 1_499));
        assert!(!key_is_valid(&old_key, &owner, &keys, 1_500));

        assert!(!expire_previous(&mut keys, 1_499));
        assert!(expire_previous(&mut keys, 1_500));
        assert!(keys.previous.is_none());
        assert!(
            !key_is_valid(&old_key, &owner, &keys, 1_000),
            "expired even if the clock went back"
        );
    }
}
