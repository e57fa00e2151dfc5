//! Key rotation bookkeeping: installing a member's new key hash, confirming delivery, and
//! closing (or, for a member that has not received its new key, renewing) rotation overlaps.

use candid::Principal;
use canister_kit::stored::Candid;
use interfaces::security::MemberKeys;
use interfaces::Error;
use security_base::access_key::{self, AccessKey};

use super::{MemberRecord, Memory, Registry, Work};

impl<M: Memory> Registry<M> {
    /// Queues a new key for `principal`; the old one stays valid for the overlap window.
    pub fn request_key_rotation(
        &mut self,
        group_id: &str,
        principal: Principal,
        now_ns: u64,
    ) -> Result<(), Error> {
        self.member(group_id, &principal)?;
        self.enqueue(
            principal,
            Work::DeliverKey {
                group_id: group_id.to_string(),
            },
            now_ns,
        );
        Ok(())
    }

    /// Makes a fresh key for a member from 32 random bytes, stores only its salted hash (the old
    /// hash stays valid for the overlap) and queues the snapshot pushes. The caller delivers the
    /// returned key and then forgets it.
    pub fn install_new_key(
        &mut self,
        group_id: &str,
        principal: Principal,
        seed: &[u8; 32],
        now_ns: u64,
    ) -> Result<AccessKey, Error> {
        let (key, salt) = AccessKey::generate(seed);
        let hash = key.hash_for(&principal, &salt);
        let overlap = self.config().key_overlap_ns;
        self.update_group(group_id, now_ns, |record| {
            let member = record
                .members
                .iter_mut()
                .find(|m| m.principal == principal)
                .ok_or_else(|| Error::not_found(format!("{principal} in group {group_id}")))?;
            member.keys = match (member.keys.take(), member.key_delivered) {
                (Some(mut undelivered), false) => {
                    undelivered.current = hash.into();
                    Some(undelivered)
                }
                (old, _) => {
                    let old: Option<MemberKeys> = old.map(Into::into);
                    Some(access_key::rotate(old, hash, now_ns, overlap).into())
                }
            };
            member.key_rotated_at_ns = Some(now_ns);
            member.key_delivered = false;
            Ok(())
        })?;
        Ok(key)
    }

    /// The member confirmed its new key. No new version: the snapshot does not show delivery.
    pub fn mark_key_delivered(&mut self, group_id: &str, principal: Principal) {
        let key = group_id.to_string();
        let Some(mut record) = self.groups.get(&key).map(|r| r.0) else {
            return;
        };
        if let Some(member) = record.members.iter_mut().find(|m| m.principal == principal) {
            member.key_delivered = true;
            self.groups.insert(key, Candid(record));
        }
    }

    /// Drops previous key hashes whose overlap has ended; changed groups get a new version.
    ///
    /// A member that has not confirmed its new key (stopped or unreachable during the rotation)
    /// still presents the previous one, so its window is not closed on it: once less than half
    /// of the overlap is left, the window is renewed for another overlap and the group pushed
    /// again. The previous key expires only after the member has its new one.
    pub fn expire_key_overlaps(&mut self, now_ns: u64) -> usize {
        let overlap = self.config().key_overlap_ns;
        let ids: Vec<String> = self
            .groups
            .iter()
            .filter(|e| {
                e.value()
                    .members
                    .iter()
                    .any(|m| overlap_change(m, now_ns, overlap))
            })
            .map(|e| e.key().clone())
            .collect();
        for id in &ids {
            self.update_group(id, now_ns, |record| {
                for member in &mut record.members {
                    let delivered = member.key_delivered;
                    let Some(keys) = &mut member.keys else {
                        continue;
                    };
                    if delivered {
                        let mut wire: MemberKeys = keys.clone().into();
                        access_key::expire_previous(&mut wire, now_ns);
                        *keys = wire.into();
                    } else if keys.previous.is_some() {
                        keys.previous_valid_until_ns = keys
                            .previous_valid_until_ns
                            .max(now_ns.saturating_add(overlap));
                    }
                }
                Ok(())
            })
            .expect("the group exists");
        }
        ids.len()
    }
}

/// Whether [`Registry::expire_key_overlaps`] changes `member` at `now_ns`: a delivered member's
/// previous hash has run out, or an undelivered member's window has less than half left.
fn overlap_change(member: &MemberRecord, now_ns: u64, overlap_ns: u64) -> bool {
    let Some(keys) = &member.keys else {
        return false;
    };
    if keys.previous.is_none() {
        return false;
    }
    if member.key_delivered {
        now_ns >= keys.previous_valid_until_ns
    } else {
        keys.previous_valid_until_ns.saturating_sub(now_ns) <= overlap_ns / 2
    }
}
