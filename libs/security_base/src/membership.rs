//! A member canister's view of its group: which registry it trusts, the newest group snapshot
//! that registry pushed (or it pulled), and its own access key.
//!
//! Authorizing a call from another member reads only this cache, never the registry: the
//! original suite spent three messages per check. The owning canister keeps the value on the heap
//! for cheap reads and writes it through to a `StableCell` on every change, so it survives
//! upgrades.

use candid::{CandidType, Deserialize, Principal};
use interfaces::security::{GroupMember, GroupSnapshot, SnapshotOutcome};
use interfaces::{Error, Permission};

use crate::access_key::{key_is_valid, AccessKey};

/// Holds this canister's raw key, so it has no `Debug`: nothing can print it by accident.
#[derive(CandidType, Deserialize, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    /// The only principal whose snapshots and keys this canister accepts.
    pub registry: Option<Principal>,
    pub snapshot: Option<GroupSnapshot>,
    own_key: Option<serde_bytes::ByteBuf>,
}

impl Membership {
    pub fn with_registry(registry: Principal) -> Self {
        Membership {
            registry: Some(registry),
            ..Default::default()
        }
    }

    fn require_registry(&self, caller: &Principal) -> Result<(), Error> {
        match self.registry {
            Some(registry) if registry == *caller => Ok(()),
            _ => Err(Error::NotRegistry),
        }
    }

    /// Takes a snapshot from `caller` if it is the registry and the snapshot is newer. Versions
    /// come from one registry-wide counter, so "newer" holds across groups too.
    pub fn receive_snapshot(
        &mut self,
        caller: &Principal,
        snapshot: GroupSnapshot,
    ) -> Result<SnapshotOutcome, Error> {
        self.require_registry(caller)?;
        if let Some(held) = &self.snapshot {
            if snapshot.version <= held.version {
                return Ok(SnapshotOutcome::IgnoredNotNewer {
                    held_version: held.version,
                });
            }
        }
        let version = snapshot.version;
        self.snapshot = Some(snapshot);
        Ok(SnapshotOutcome::Accepted { version })
    }

    /// Takes this canister's own access key, delivered once by the registry.
    pub fn receive_key(&mut self, caller: &Principal, key: &[u8]) -> Result<(), Error> {
        self.require_registry(caller)?;
        let key = AccessKey::from_bytes(key).ok_or_else(|| {
            Error::invalid(
                "access_key",
                interfaces::InputProblem::Malformed {
                    reason: format!("expected 32 bytes, got {}", key.len()),
                },
            )
        })?;
        self.own_key = Some(serde_bytes::ByteBuf::from(key.expose_bytes().to_vec()));
        Ok(())
    }

    /// This canister's key, to present when it calls another member.
    pub fn own_key(&self) -> Option<AccessKey> {
        self.own_key.as_ref().and_then(|k| AccessKey::from_bytes(k))
    }

    pub fn group_version(&self) -> Option<u64> {
        self.snapshot.as_ref().map(|s| s.version)
    }

    /// The member `caller` is, if the held snapshot lists it.
    pub fn member(&self, caller: &Principal) -> Option<&GroupMember> {
        self.snapshot
            .as_ref()?
            .members
            .iter()
            .find(|m| m.principal == *caller)
    }

    /// Authorizes a call from another member of the group: `caller` must be listed in the
    /// snapshot and `key` must be its current key (or its previous one inside the overlap).
    pub fn authorize_member(
        &self,
        caller: &Principal,
        key: &[u8],
        now_ns: u64,
    ) -> Result<&GroupMember, Error> {
        let member = self.member(caller).ok_or(Error::NotGroupMember)?;
        let keys = member.keys.as_ref().ok_or(Error::InvalidAccessKey)?;
        let key = AccessKey::from_bytes(key).ok_or(Error::InvalidAccessKey)?;
        if key_is_valid(&key, caller, keys, now_ns) {
            Ok(member)
        } else {
            Err(Error::InvalidAccessKey)
        }
    }

    /// The admin permissions the registry granted `caller`, as carried by the snapshot.
    pub fn admin_permissions(&self, caller: &Principal) -> Option<&[Permission]> {
        let admin = self
            .snapshot
            .as_ref()?
            .admins
            .iter()
            .find(|a| a.principal == *caller)?;
        Some(&admin.permissions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interfaces::security::{AdminInfo, MemberKeys};
    use interfaces::CanisterKind;

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n; 10])
    }

    fn snapshot(version: u64, members: Vec<GroupMember>) -> GroupSnapshot {
        GroupSnapshot {
            group_id: "g".into(),
            version,
            members,
            admins: vec![AdminInfo {
                principal: p(9),
                permissions: vec![Permission::ManageKeys],
            }],
        }
    }

    fn member_with_key(principal: Principal, seed: u8) -> (GroupMember, AccessKey) {
        let (key, salt) = AccessKey::generate(&[seed; 32]);
        let keys = MemberKeys {
            current: key.hash_for(&principal, &salt),
            previous: None,
            previous_valid_until_ns: 0,
        };
        let member = GroupMember {
            principal,
            canister_type: CanisterKind::Calendar,
            shard_key: None,
            keys: Some(keys),
        };
        (member, key)
    }

    #[test]
    fn only_the_registry_may_push_and_only_newer_versions_count() {
        let registry = p(1);
        let mut m = Membership::with_registry(registry);
        assert_eq!(
            m.receive_snapshot(&p(2), snapshot(1, vec![])),
            Err(Error::NotRegistry)
        );
        assert_eq!(
            m.receive_snapshot(&registry, snapshot(5, vec![])),
            Ok(SnapshotOutcome::Accepted { version: 5 })
        );
        assert_eq!(
            m.receive_snapshot(&registry, snapshot(4, vec![])),
            Ok(SnapshotOutcome::IgnoredNotNewer { held_version: 5 })
        );
        assert_eq!(
            m.receive_snapshot(&registry, snapshot(5, vec![])),
            Ok(SnapshotOutcome::IgnoredNotNewer { held_version: 5 })
        );
        assert_eq!(m.group_version(), Some(5));
    }

    #[test]
    fn an_unconfigured_member_accepts_nothing() {
        let mut m = Membership::default();
        assert_eq!(
            m.receive_snapshot(&p(1), snapshot(1, vec![])),
            Err(Error::NotRegistry)
        );
        assert_eq!(m.receive_key(&p(1), &[0; 32]), Err(Error::NotRegistry));
    }

    #[test]
    fn keys_come_only_from_the_registry_and_must_be_32_bytes() {
        let registry = p(1);
        let mut m = Membership::with_registry(registry);
        assert!(m.receive_key(&registry, &[7; 31]).is_err());
        assert!(m.own_key().is_none());
        m.receive_key(&registry, &[7; 32]).unwrap();
        assert_eq!(m.own_key().unwrap().expose_bytes(), &[7; 32]);
    }

    #[test]
    fn members_are_authorized_by_principal_and_key() {
        let registry = p(1);
        let (a, key_a) = member_with_key(p(3), 1);
        let (b, key_b) = member_with_key(p(4), 2);
        let mut m = Membership::with_registry(registry);
        assert_eq!(
            m.authorize_member(&p(3), key_a.expose_bytes(), 0).err(),
            Some(Error::NotGroupMember)
        );
        m.receive_snapshot(&registry, snapshot(1, vec![a, b]))
            .unwrap();

        assert_eq!(
            m.authorize_member(&p(3), key_a.expose_bytes(), 0)
                .unwrap()
                .principal,
            p(3)
        );
        assert_eq!(
            m.authorize_member(&p(3), key_b.expose_bytes(), 0).err(),
            Some(Error::InvalidAccessKey)
        );
        assert_eq!(
            m.authorize_member(&p(5), key_a.expose_bytes(), 0).err(),
            Some(Error::NotGroupMember)
        );
        assert_eq!(
            m.authorize_member(&p(3), &[1, 2, 3], 0).err(),
            Some(Error::InvalidAccessKey)
        );
    }

    #[test]
    fn admins_come_from_the_snapshot() {
        let registry = p(1);
        let mut m = Membership::with_registry(registry);
        assert_eq!(m.admin_permissions(&p(9)), None);
        m.receive_snapshot(&registry, snapshot(1, vec![])).unwrap();
        assert_eq!(
            m.admin_permissions(&p(9)),
            Some(&[Permission::ManageKeys][..])
        );
        assert_eq!(m.admin_permissions(&p(8)), None);
    }

    #[test]
    fn survives_a_stable_round_trip() {
        let registry = p(1);
        let (a, _) = member_with_key(p(3), 1);
        let mut m = Membership::with_registry(registry);
        m.receive_snapshot(&registry, snapshot(3, vec![a])).unwrap();
        m.receive_key(&registry, &[4; 32]).unwrap();
        // Stored as Candid (`canister_kit::member` keeps it in a `Candid` cell).
        let bytes = candid::encode_one(&m).unwrap();
        let back: Membership = candid::decode_one(&bytes).unwrap();
        assert!(back == m, "the membership reads back as stored");
    }
}
