//! The registry's state and its rules, as plain code over stable structures.
//!
//! Nothing here makes calls or reads the clock: time, the caller and randomness come in as
//! arguments, so every rule is unit-tested natively over in-memory stable structures. The async
//! halves (delivering keys, pushing snapshots) live in `sync.rs` and use the outbox kept here.
//!
//! Versions come from one registry-wide counter: every change to a group (members, keys,
//! admins) gives it the next number, so a member can always tell the newer of two snapshots,
//! even across groups.

use candid::Principal;
use canister_kit::outbox::Backoff;
use canister_kit::stored::Candid;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use interfaces::security::{AdminInfo, GroupInfo, GroupMember, GroupMemberInfo, GroupSnapshot};
use interfaces::{CanisterKind, Error, InputProblem, Permission};
use security_base::access_key::{self, AccessKey};
use security_base::limits;

use crate::model::{Config, GroupRecord, MemberRecord, OutboxItem, Work};

pub const MAX_GROUP_ID_CHARS: usize = 64;
pub const MAX_SHARD_KEY_CHARS: usize = 64;
pub const MAX_MEMBERS_PER_GROUP: usize = 256;
pub const MAX_GROUPS: u64 = 1_000;
pub const MAX_ADMINS: u64 = 100;

const MAX_RETRY_DELAY_NS: u64 = 30 * 60 * 1_000_000_000;

pub struct Registry<M: Memory> {
    config: StableCell<Candid<Config>, M>,
    admins: StableBTreeMap<Principal, Candid<Vec<Permission>>, M>,
    groups: StableBTreeMap<String, Candid<GroupRecord>, M>,
    /// Which group each member canister is in (a canister is in at most one).
    member_index: StableBTreeMap<Principal, String, M>,
    outbox: StableBTreeMap<u64, Candid<OutboxItem>, M>,
}

impl<M: Memory> Registry<M> {
    pub fn init(config: M, admins: M, groups: M, member_index: M, outbox: M) -> Self {
        Registry {
            config: StableCell::init(config, Candid(Config::default())),
            admins: StableBTreeMap::init(admins),
            groups: StableBTreeMap::init(groups),
            member_index: StableBTreeMap::init(member_index),
            outbox: StableBTreeMap::init(outbox),
        }
    }

    /// The stored layout version (`layout.rs`); 0 before it was stored.
    pub fn layout(&self) -> u32 {
        self.config.get().layout.unwrap_or(0)
    }

    pub fn set_layout(&mut self, layout: u32) {
        let mut config = self.config.get().0.clone();
        config.layout = Some(layout);
        self.config.set(Candid(config));
    }

    pub fn config(&self) -> &Config {
        self.config.get()
    }

    pub fn set_timing(&mut self, key_overlap_ns: Option<u64>, retry_delay_ns: Option<u64>) {
        let mut config = self.config.get().0.clone();
        if let Some(overlap) = key_overlap_ns {
            config.key_overlap_ns = overlap;
        }
        if let Some(delay) = retry_delay_ns {
            config.retry_delay_ns = delay.max(1);
        }
        self.config.set(Candid(config));
    }

    fn next_version(&mut self) -> u64 {
        let mut config = self.config.get().0.clone();
        config.last_version += 1;
        let version = config.last_version;
        self.config.set(Candid(config));
        version
    }

    // ---- admins ------------------------------------------------------------------------------

    pub fn admin_permissions(&self, who: &Principal) -> Option<Vec<Permission>> {
        self.admins.get(who).map(|p| p.0)
    }

    pub fn list_admins(&self) -> Vec<AdminInfo> {
        self.admins
            .iter()
            .map(|entry| AdminInfo {
                principal: *entry.key(),
                permissions: entry.value().0,
            })
            .collect()
    }

    /// Grants `permissions` (replacing any earlier grant). Every group's snapshot carries the
    /// admins, so every group gets a new version and a push.
    pub fn set_admin(
        &mut self,
        who: Principal,
        mut permissions: Vec<Permission>,
        now_ns: u64,
    ) -> Result<(), Error> {
        security_base::guards::require_authenticated(&who).map_err(|_| {
            Error::invalid(
                "principal",
                InputProblem::Malformed {
                    reason: "anonymous".into(),
                },
            )
        })?;
        permissions.sort();
        permissions.dedup();
        if permissions.is_empty() {
            return Err(Error::invalid("permissions", InputProblem::Empty));
        }
        if !self.admins.contains_key(&who) && self.admins.len() >= MAX_ADMINS {
            return Err(Error::invalid(
                "admins",
                InputProblem::TooMany {
                    max: MAX_ADMINS,
                    actual: self.admins.len() + 1,
                },
            ));
        }
        self.admins.insert(who, Candid(permissions));
        self.touch_all_groups(now_ns);
        Ok(())
    }

    pub fn remove_admin(&mut self, who: &Principal, now_ns: u64) -> Result<(), Error> {
        self.admins
            .remove(who)
            .ok_or_else(|| Error::not_found(format!("admin {who}")))?;
        self.touch_all_groups(now_ns);
        Ok(())
    }

    fn touch_all_groups(&mut self, now_ns: u64) {
        let ids: Vec<String> = self.groups.keys().collect();
        for id in ids {
            self.update_group(&id, now_ns, |_| Ok(()))
                .expect("the group exists");
        }
    }

    // ---- groups ------------------------------------------------------------------------------

    pub fn register_group(&mut self, group_id: &str, now_ns: u64) -> Result<GroupInfo, Error> {
        validate_group_id(group_id)?;
        if self.groups.contains_key(&group_id.to_string()) {
            return Err(Error::AlreadyExists {
                what: format!("group {group_id}"),
            });
        }
        if self.groups.len() >= MAX_GROUPS {
            return Err(Error::invalid(
                "groups",
                InputProblem::TooMany {
                    max: MAX_GROUPS,
                    actual: self.groups.len() + 1,
                },
            ));
        }
        let version = self.next_version();
        let record = GroupRecord {
            created_at_ns: now_ns,
            version,
            members: vec![],
        };
        self.groups.insert(group_id.to_string(), Candid(record));
        Ok(self.group_info(group_id).expect("just inserted"))
    }

    pub fn group_info(&self, group_id: &str) -> Option<GroupInfo> {
        let record = self.groups.get(&group_id.to_string())?.0;
        Some(GroupInfo {
            group_id: group_id.to_string(),
            version: record.version,
            created_at_ns: record.created_at_ns,
            members: record
                .members
                .iter()
                .map(|m| GroupMemberInfo {
                    principal: m.principal,
                    canister_type: m.canister_type.into(),
                    shard_key: m.shard_key.clone(),
                    has_key: m.keys.is_some() && m.key_delivered,
                    key_rotated_at_ns: m.key_rotated_at_ns,
                })
                .collect(),
        })
    }

    pub fn list_groups(&self) -> Vec<GroupInfo> {
        self.groups
            .keys()
            .filter_map(|id| self.group_info(&id))
            .collect()
    }

    pub fn group_count(&self) -> u64 {
        self.groups.len()
    }

    pub fn member_count(&self) -> u64 {
        self.member_index.len()
    }

    pub fn group_of(&self, member: &Principal) -> Option<String> {
        self.member_index.get(member)
    }

    /// The snapshot a member of `group_id` authorizes group calls from: members with their key
    /// hashes, and the admins.
    pub fn snapshot(&self, group_id: &str) -> Option<GroupSnapshot> {
        let record = self.groups.get(&group_id.to_string())?.0;
        Some(GroupSnapshot {
            group_id: group_id.to_string(),
            version: record.version,
            members: record
                .members
                .into_iter()
                .map(|m| GroupMember {
                    principal: m.principal,
                    canister_type: m.canister_type.into(),
                    shard_key: m.shard_key,
                    keys: m.keys.map(Into::into),
                })
                .collect(),
            admins: self.list_admins(),
        })
    }

    /// Applies `change` to a group, gives it a new version and queues a snapshot push to every
    /// member it has afterwards.
    fn update_group(
        &mut self,
        group_id: &str,
        now_ns: u64,
        change: impl FnOnce(&mut GroupRecord) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let key = group_id.to_string();
        let mut record = self
            .groups
            .get(&key)
            .ok_or_else(|| Error::not_found(format!("group {group_id}")))?
            .0;
        change(&mut record)?;
        record.version = self.next_version();
        let members: Vec<Principal> = record.members.iter().map(|m| m.principal).collect();
        self.groups.insert(key, Candid(record));
        for member in members {
            self.enqueue(
                member,
                Work::PushSnapshot {
                    group_id: group_id.to_string(),
                },
                now_ns,
            );
        }
        Ok(())
    }

    /// Adds a member without a key and queues its key delivery and the snapshot pushes.
    pub fn add_member(
        &mut self,
        group_id: &str,
        principal: Principal,
        canister_type: CanisterKind,
        shard_key: Option<String>,
        now_ns: u64,
    ) -> Result<GroupInfo, Error> {
        if principal == Principal::anonymous() || principal == Principal::management_canister() {
            return Err(Error::invalid(
                "principal",
                InputProblem::Malformed {
                    reason: "not a canister".into(),
                },
            ));
        }
        if let Some(shard_key) = &shard_key {
            limits::non_empty_text("shard_key", shard_key, MAX_SHARD_KEY_CHARS)?;
        }
        if let Some(existing) = self.member_index.get(&principal) {
            return Err(Error::AlreadyExists {
                what: format!("{principal} as a member of group {existing}"),
            });
        }
        self.update_group(group_id, now_ns, |record| {
            limits::count("members", record.members.len() + 1, MAX_MEMBERS_PER_GROUP)?;
            record.members.push(MemberRecord {
                principal,
                canister_type: canister_type.into(),
                shard_key,
                keys: None,
                key_rotated_at_ns: None,
                key_delivered: false,
            });
            Ok(())
        })?;
        self.member_index.insert(principal, group_id.to_string());
        self.enqueue(
            principal,
            Work::DeliverKey {
                group_id: group_id.to_string(),
            },
            now_ns,
        );
        Ok(self.group_info(group_id).expect("the group exists"))
    }

    /// Removes a member; it gets one last push (a snapshot without it) so it stops trusting the
    /// group, and its pending deliveries are dropped.
    pub fn remove_member(
        &mut self,
        group_id: &str,
        principal: Principal,
        now_ns: u64,
    ) -> Result<GroupInfo, Error> {
        self.update_group(group_id, now_ns, |record| {
            let before = record.members.len();
            record.members.retain(|m| m.principal != principal);
            if record.members.len() == before {
                return Err(Error::not_found(format!("{principal} in group {group_id}")));
            }
            Ok(())
        })?;
        self.member_index.remove(&principal);
        let stale: Vec<u64> = self
            .outbox
            .iter()
            .filter(|e| e.value().target == principal)
            .map(|e| *e.key())
            .collect();
        for id in stale {
            self.outbox.remove(&id);
        }
        self.enqueue(
            principal,
            Work::PushSnapshot {
                group_id: group_id.to_string(),
            },
            now_ns,
        );
        Ok(self.group_info(group_id).expect("the group exists"))
    }

    fn member(&self, group_id: &str, principal: &Principal) -> Result<MemberRecord, Error> {
        let record = self
            .groups
            .get(&group_id.to_string())
            .ok_or_else(|| Error::not_found(format!("group {group_id}")))?;
        record
            .0
            .members
            .into_iter()
            .find(|m| m.principal == *principal)
            .ok_or_else(|| Error::not_found(format!("{principal} in group {group_id}")))
    }

    /// The `verify_inter_canister_call` diagnostic: would `target` accept `key` from `caller`?
    pub fn verify_call(
        &self,
        key: &[u8],
        caller: &Principal,
        target: &Principal,
        now_ns: u64,
    ) -> bool {
        let (Some(caller_group), Some(target_group)) =
            (self.group_of(caller), self.group_of(target))
        else {
            return false;
        };
        if caller_group != target_group {
            return false;
        }
        let Ok(member) = self.member(&caller_group, caller) else {
            return false;
        };
        match (AccessKey::from_bytes(key), member.keys) {
            (Some(key), Some(keys)) => access_key::key_is_valid(&key, caller, &keys.into(), now_ns),
            _ => false,
        }
    }

    /// A group member presenting its own valid key: its kind. For methods members call on the
    /// registry itself (reading the stored wasm).
    pub fn authorize_member(
        &self,
        key: &[u8],
        caller: &Principal,
        now_ns: u64,
    ) -> Result<CanisterKind, Error> {
        let group = self.group_of(caller).ok_or(Error::NotGroupMember)?;
        let member = self.member(&group, caller)?;
        match (AccessKey::from_bytes(key), member.keys) {
            (Some(key), Some(keys))
                if access_key::key_is_valid(&key, caller, &keys.clone().into(), now_ns) =>
            {
                Ok(member.canister_type.into())
            }
            _ => Err(Error::InvalidAccessKey),
        }
    }

    // ---- outbox ------------------------------------------------------------------------------

    /// Queues `work` for `target` unless the same work is already queued (a queued push always
    /// sends the snapshot current when it runs, so one is enough).
    fn enqueue(&mut self, target: Principal, work: Work, now_ns: u64) {
        let duplicate = self.outbox.iter().any(|e| {
            let item = e.value();
            item.target == target && item.work == work
        });
        if duplicate {
            return;
        }
        let mut config = self.config.get().0.clone();
        config.last_outbox_id += 1;
        let id = config.last_outbox_id;
        self.config.set(Candid(config));
        let item = OutboxItem {
            target,
            work,
            attempts: 0,
            next_attempt_ns: now_ns,
            last_error: None,
        };
        self.outbox.insert(id, Candid(item));
    }

    /// Items due at `now_ns`, oldest first, at most `limit`.
    pub fn due(&self, now_ns: u64, limit: usize) -> Vec<(u64, OutboxItem)> {
        self.outbox
            .iter()
            .filter(|e| e.value().next_attempt_ns <= now_ns)
            .take(limit)
            .map(|e| (*e.key(), e.value().0))
            .collect()
    }

    pub fn outbox_items(&self) -> Vec<(u64, OutboxItem)> {
        self.outbox
            .iter()
            .map(|e| (*e.key(), e.value().0))
            .collect()
    }

    pub fn complete(&mut self, id: u64) {
        self.outbox.remove(&id);
    }

    /// Records a failed attempt; the next one waits twice as long as the last, up to a cap.
    pub fn fail(&mut self, id: u64, error: String, now_ns: u64) {
        let Some(mut item) = self.outbox.get(&id).map(|i| i.0) else {
            return;
        };
        item.attempts = item.attempts.saturating_add(1);
        let retry = Backoff {
            base_ns: self.config().retry_delay_ns,
            max_ns: MAX_RETRY_DELAY_NS,
        };
        item.next_attempt_ns = retry.next_attempt_ns(now_ns, item.attempts);
        item.last_error = Some(error);
        self.outbox.insert(id, Candid(item));
    }
}

fn validate_group_id(group_id: &str) -> Result<(), Error> {
    limits::non_empty_text("group_id", group_id, MAX_GROUP_ID_CHARS)?;
    if !group_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid(
            "group_id",
            InputProblem::Malformed {
                reason: "use letters, digits, '-' and '_' only".into(),
            },
        ));
    }
    Ok(())
}

/// Which members an admin holding `ManageGroups` may add: calendar shards only (the balancer
/// adds the shards it creates). Every other kind is trusted with more than its own data (the
/// backup canister exports every shard, the notification canister receives every reminder, the
/// user registry every profile), so adding one needs a controller of the registry.
pub fn may_add_member(kind: CanisterKind, caller_is_controller: bool) -> Result<(), Error> {
    if caller_is_controller || kind == CanisterKind::Calendar {
        Ok(())
    } else {
        Err(Error::NotController)
    }
}

mod keys;

#[cfg(test)]
mod tests;
