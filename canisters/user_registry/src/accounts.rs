//! The user registry's state and rules, as plain code over stable structures: accounts, the
//! shard each user was given, account deletion and the outbox of calls that must not be lost.
//!
//! Nothing here makes calls or reads the clock: time, the caller and the group's members come
//! in as arguments, so every rule is unit-tested natively. The async half (calling the load
//! balancer and the canisters that hold a user's data) is in `jobs.rs`: it takes due items from
//! here and reports each call's outcome back through [`Accounts::finish`]. The stored records
//! are in `model/`.

use candid::Principal;
use canister_kit::stored::{Candid, Compact};
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use interfaces::user::{
    DeletionState, DeletionStatus, DeletionStep, Profile, RegisterRequest, Settings,
    ShardAssignment, UserAccount, UserDataExport, UserRegistryStats,
};
use interfaces::{CanisterKind, Error};

use canister_kit::outbox::{Backoff, DueIndex};

use crate::model::{
    Config, DeletionRecord, HolderKind, OutboxItem, StepRecord, StoredProfile, StoredSettings,
    UserRecord, Work,
};
use crate::{memory, validate};

const NS_PER_SECOND: u64 = 1_000_000_000;
/// First retry delay of a failed call; doubles per attempt up to [`MAX_RETRY_DELAY_NS`].
pub const RETRY_DELAY_NS: u64 = 30 * NS_PER_SECOND;
pub const MAX_RETRY_DELAY_NS: u64 = 30 * 60 * NS_PER_SECOND;
const RETRY: Backoff = Backoff {
    base_ns: RETRY_DELAY_NS,
    max_ns: MAX_RETRY_DELAY_NS,
};
/// How long a completed deletion stays visible to its user before it is forgotten too.
pub const RECEIPT_RETENTION_NS: u64 = 24 * 60 * 60 * NS_PER_SECOND;
/// Kinds of canister that may hold a user's data, in the order deletion visits them: the
/// directory first (so no new shard is handed out), then the shards, then the inbox.
pub const HOLDERS: [CanisterKind; 3] = [
    CanisterKind::LoadBalancer,
    CanisterKind::Calendar,
    CanisterKind::Notification,
];

/// What a call from the outbox achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Assigned(Principal),
    /// The holders of a user's data: the group's members of the [`HOLDERS`] kinds.
    Planned(Vec<(Principal, CanisterKind)>),
    /// The callee deleted this many items and holds nothing more; `None` when it had left the
    /// group (it can no longer be asked, and holds nothing the suite can reach).
    Deleted(Option<u64>),
    /// The callee deleted a batch of this many items and holds more: ask again.
    DeletedBatch(u64),
}

pub struct Accounts<M: Memory> {
    config: StableCell<Candid<Config>, M>,
    users: StableBTreeMap<Principal, Compact<UserRecord>, M>,
    outbox: StableBTreeMap<u64, Candid<OutboxItem>, M>,
    schedule: DueIndex<M>,
    deletions: StableBTreeMap<Principal, Candid<DeletionRecord>, M>,
    receipts: StableBTreeMap<(u64, Principal), (), M>,
}

impl<M: Memory> Accounts<M> {
    pub fn init(memory: impl Fn(MemoryId) -> M) -> Self {
        Accounts {
            config: StableCell::init(memory(memory::CONFIG), Candid(Config::default())),
            users: StableBTreeMap::init(memory(memory::USERS)),
            outbox: StableBTreeMap::init(memory(memory::OUTBOX)),
            schedule: DueIndex::init(memory(memory::OUTBOX_SCHEDULE)),
            deletions: StableBTreeMap::init(memory(memory::DELETIONS)),
            receipts: StableBTreeMap::init(memory(memory::DELETION_RECEIPTS)),
        }
    }

    /// The stored layout version (`layout.rs`); 0 before it was stored.
    pub fn layout(&self) -> u32 {
        self.config.get().layout.unwrap_or(0)
    }

    pub fn set_layout(&mut self, layout: u32) {
        self.update_config(|c| c.layout = Some(layout));
    }

    fn update_config(&mut self, f: impl FnOnce(&mut Config)) {
        let mut config = self.config.get().0.clone();
        f(&mut config);
        self.config.set(Candid(config));
    }

    // ---- accounts --------------------------------------------------------------------------

    /// Registers the caller; registering again answers the existing account unchanged. Queues
    /// the request for the user's shard.
    pub fn register(
        &mut self,
        user: Principal,
        request: RegisterRequest,
        now_ns: u64,
    ) -> Result<UserAccount, Error> {
        if self.users.contains_key(&user) {
            return self.account(user);
        }
        if let Some(deletion) = self.deletions.get(&user) {
            if deletion.completed_at_ns.is_none() {
                return Err(Error::Conflict {
                    reason: "this account is still being deleted".into(),
                });
            }
        }
        validate::profile(&request.profile)?;
        let settings = request.settings.unwrap_or_default();
        validate::settings(&settings)?;
        // A new account after a completed deletion: the old receipt goes.
        self.forget_deletion(user);
        let request_id = self.enqueue(Work::AssignShard { user }, now_ns);
        self.update_config(|c| c.pending_shards += 1);
        let record = UserRecord {
            profile: request.profile.into(),
            settings: settings.into(),
            registered_at_ns: now_ns,
            updated_at_ns: now_ns,
            shard: None,
            shard_request: Some(request_id),
        };
        self.users.insert(user, Compact(record));
        self.account(user)
    }

    /// Whether `register` would create an account for `user` (`Ok(false)`: it exists); the
    /// errors `register` would answer come first, so a refused request costs no sign-up.
    pub fn is_new_signup(&self, user: Principal, request: &RegisterRequest) -> Result<bool, Error> {
        if self.users.contains_key(&user) {
            return Ok(false);
        }
        if self
            .deletions
            .get(&user)
            .is_some_and(|d| d.completed_at_ns.is_none())
        {
            return Err(Error::Conflict {
                reason: "this account is still being deleted".into(),
            });
        }
        validate::profile(&request.profile)?;
        validate::settings(&request.settings.clone().unwrap_or_default())?;
        Ok(true)
    }

    fn record(&self, user: Principal) -> Result<UserRecord, Error> {
        self.users
            .get(&user)
            .map(|r| r.0)
            .ok_or_else(|| Error::not_found("account"))
    }

    pub fn account(&self, user: Principal) -> Result<UserAccount, Error> {
        let record = self.record(user)?;
        Ok(UserAccount {
            user,
            shard: self.assignment(&record),
            profile: record.profile.into(),
            settings: record.settings.into(),
            registered_at_ns: record.registered_at_ns,
            updated_at_ns: record.updated_at_ns,
        })
    }

    fn assignment(&self, record: &UserRecord) -> ShardAssignment {
        if let Some(shard) = record.shard {
            return ShardAssignment::Assigned(shard);
        }
        let item = record
            .shard_request
            .and_then(|id| self.outbox.get(&id))
            .map(|i| i.0);
        ShardAssignment::Pending {
            attempts: item.as_ref().map_or(0, |i| i.attempts),
            last_error: item.as_ref().and_then(|i| i.last_error.clone()),
            next_attempt_ns: item.map_or(0, |i| i.next_attempt_ns),
        }
    }

    pub fn shard(&self, user: Principal) -> Result<ShardAssignment, Error> {
        Ok(self.assignment(&self.record(user)?))
    }

    pub fn update_profile(
        &mut self,
        user: Principal,
        profile: Profile,
        now_ns: u64,
    ) -> Result<UserAccount, Error> {
        let mut record = self.record(user)?;
        validate::profile(&profile)?;
        record.profile = StoredProfile::from(profile);
        record.updated_at_ns = now_ns;
        self.users.insert(user, Compact(record));
        self.account(user)
    }

    pub fn update_settings(
        &mut self,
        user: Principal,
        settings: Settings,
        now_ns: u64,
    ) -> Result<UserAccount, Error> {
        let mut record = self.record(user)?;
        validate::settings(&settings)?;
        record.settings = StoredSettings::from(settings);
        record.updated_at_ns = now_ns;
        self.users.insert(user, Compact(record));
        self.account(user)
    }

    pub fn export(&self, user: Principal, now_ns: u64) -> UserDataExport {
        UserDataExport {
            user,
            exported_at_ns: now_ns,
            account: self.account(user).ok(),
            deletion: self.deletion_status(user).ok(),
        }
    }

    // ---- deletion --------------------------------------------------------------------------

    /// Removes the account at once and queues the deletion of the user's data on every
    /// canister in `holders` (`None` when this canister does not know its group yet: then a
    /// planning step waits for it). Asking again while it runs answers its progress.
    pub fn delete_account(
        &mut self,
        user: Principal,
        holders: Option<Vec<(Principal, CanisterKind)>>,
        now_ns: u64,
    ) -> Result<DeletionStatus, Error> {
        if let Some(deletion) = self.deletions.get(&user) {
            if deletion.completed_at_ns.is_none() {
                return self.deletion_status(user);
            }
        }
        // Someone who never created a profile may still hold data (events they were invited
        // to, bookings, reminders): their deletion asks the same canisters.
        if let Ok(record) = self.record(user) {
            if let Some(id) = record.shard_request {
                self.remove_item(id);
            }
            if record.shard.is_none() {
                self.update_config(|c| c.pending_shards = c.pending_shards.saturating_sub(1));
            }
            self.users.remove(&user);
        }
        self.forget_deletion(user);
        let deletion = DeletionRecord {
            requested_at_ns: now_ns,
            finding: Some((0, None)),
            steps: vec![],
            completed_at_ns: None,
        };
        self.deletions.insert(user, Candid(deletion));
        match holders {
            Some(holders) => self.plan_deletion(user, holders, now_ns),
            None => {
                self.enqueue(Work::PlanDeletion { user }, now_ns);
            }
        }
        self.deletion_status(user)
    }

    /// Turns the holders into one queued step each (a deletion with none is complete).
    fn plan_deletion(
        &mut self,
        user: Principal,
        holders: Vec<(Principal, CanisterKind)>,
        now_ns: u64,
    ) {
        let Some(mut deletion) = self.deletions.get(&user).map(|d| d.0) else {
            return;
        };
        deletion.finding = None;
        for (target, kind) in holders {
            if deletion.steps.iter().any(|s| s.canister == target) {
                continue;
            }
            let kind = HolderKind::from(kind);
            self.enqueue(Work::DeleteUserData { user, target, kind }, now_ns);
            deletion.steps.push(StepRecord {
                canister: target,
                kind,
                done_at_ns: None,
                items_deleted: None,
                attempts: 0,
                last_error: None,
            });
        }
        self.save_deletion(user, deletion, now_ns);
    }

    /// Stores a deletion, completing it when every step is done.
    fn save_deletion(&mut self, user: Principal, mut deletion: DeletionRecord, now_ns: u64) {
        let all_done =
            deletion.finding.is_none() && deletion.steps.iter().all(|s| s.done_at_ns.is_some());
        if all_done && deletion.completed_at_ns.is_none() {
            deletion.completed_at_ns = Some(now_ns);
            self.receipts.insert((now_ns, user), ());
        }
        self.deletions.insert(user, Candid(deletion));
    }

    fn forget_deletion(&mut self, user: Principal) {
        if let Some(old) = self.deletions.remove(&user) {
            if let Some(at) = old.completed_at_ns {
                self.receipts.remove(&(at, user));
            }
        }
    }

    pub fn deletion_status(&self, user: Principal) -> Result<DeletionStatus, Error> {
        let d = self
            .deletions
            .get(&user)
            .ok_or_else(|| Error::not_found("account deletion"))?
            .0;
        let state = match (d.completed_at_ns, &d.finding) {
            (Some(at_ns), _) => DeletionState::Complete { at_ns },
            (None, Some((attempts, last_error))) => DeletionState::FindingCanisters {
                attempts: *attempts,
                last_error: last_error.clone(),
            },
            (None, None) => DeletionState::Deleting,
        };
        Ok(DeletionStatus {
            requested_at_ns: d.requested_at_ns,
            state,
            steps: d
                .steps
                .into_iter()
                .map(|s| DeletionStep {
                    canister: s.canister,
                    kind: s.kind.into(),
                    done_at_ns: s.done_at_ns,
                    items_deleted: s.items_deleted,
                    attempts: s.attempts,
                    last_error: s.last_error,
                })
                .collect(),
        })
    }

    /// Forgets completed deletions older than [`RECEIPT_RETENTION_NS`]: after that nothing
    /// about the user is left here.
    pub fn expire_receipts(&mut self, now_ns: u64) {
        let cutoff = now_ns.saturating_sub(RECEIPT_RETENTION_NS);
        let old: Vec<(u64, Principal)> = self
            .receipts
            .keys()
            .take_while(|(at, _)| *at < cutoff)
            .collect();
        for (at, user) in old {
            self.receipts.remove(&(at, user));
            self.deletions.remove(&user);
        }
    }

    /// Whether anything about `user` is stored (for tests of account deletion).
    #[cfg(test)]
    pub fn holds_user(&self, user: Principal) -> bool {
        self.users.contains_key(&user)
            || self.deletions.contains_key(&user)
            || self.outbox.iter().any(|e| match e.value().0.work {
                Work::AssignShard { user: u }
                | Work::PlanDeletion { user: u }
                | Work::DeleteUserData { user: u, .. } => u == user,
            })
    }

    // ---- outbox ----------------------------------------------------------------------------

    fn enqueue(&mut self, work: Work, now_ns: u64) -> u64 {
        let mut id = 0;
        self.update_config(|c| {
            c.last_outbox_id += 1;
            id = c.last_outbox_id;
        });
        let item = OutboxItem {
            work,
            attempts: 0,
            next_attempt_ns: now_ns,
            last_error: None,
        };
        self.outbox.insert(id, Candid(item));
        self.schedule.schedule(id, now_ns);
        id
    }

    fn remove_item(&mut self, id: u64) {
        if let Some(item) = self.outbox.remove(&id) {
            self.schedule.unschedule(id, item.next_attempt_ns);
        }
    }

    /// Items due at `now_ns`, earliest first, at most `limit`.
    pub fn due(&self, now_ns: u64, limit: usize) -> Vec<(u64, OutboxItem)> {
        self.schedule
            .due(now_ns, limit)
            .into_iter()
            .filter_map(|id| self.outbox.get(&id).map(|i| (id, i.0)))
            .collect()
    }

    /// Records the outcome of the call item `id` made. The item may have gone while the call
    /// was in flight (the account was deleted): then the outcome is dropped.
    pub fn finish(&mut self, id: u64, outcome: Result<Outcome, Error>, now_ns: u64) {
        let Some(item) = self.outbox.get(&id).map(|i| i.0) else {
            return;
        };
        match outcome {
            Ok(Outcome::DeletedBatch(items)) => {
                if let Work::DeleteUserData { user, target, .. } = item.work {
                    self.update_step(user, target, |step| {
                        step.items_deleted = Some(step.items_deleted.unwrap_or(0) + items);
                        step.attempts = 0;
                        step.last_error = None;
                    });
                }
                // Due again at once: the next batch is the next call.
                self.reschedule(id, item, now_ns);
            }
            Ok(outcome) => {
                if self.apply(&item.work, outcome, now_ns) {
                    self.remove_item(id);
                } else {
                    // `outbox.rs` answers each kind of work with its own outcome; anything else
                    // is a bug there, and dropping the item would lose work, so it stays.
                    self.fail(
                        id,
                        item,
                        "the call's outcome does not fit its work".into(),
                        now_ns,
                    );
                }
            }
            Err(err) => self.fail(id, item, err.to_string(), now_ns),
        }
    }

    /// Applies a successful call's outcome; false when the outcome does not answer `work`.
    fn apply(&mut self, work: &Work, outcome: Outcome, now_ns: u64) -> bool {
        match (work.clone(), outcome) {
            (Work::AssignShard { user }, Outcome::Assigned(shard)) => {
                if let Some(mut record) = self.users.get(&user).map(|r| r.0) {
                    if record.shard.is_none() {
                        self.update_config(|c| {
                            c.pending_shards = c.pending_shards.saturating_sub(1)
                        });
                    }
                    record.shard = Some(shard);
                    record.shard_request = None;
                    self.users.insert(user, Compact(record));
                }
            }
            (Work::PlanDeletion { user }, Outcome::Planned(holders)) => {
                self.plan_deletion(user, holders, now_ns);
            }
            (Work::DeleteUserData { user, target, .. }, Outcome::Deleted(items)) => {
                let Some(mut deletion) = self.deletions.get(&user).map(|d| d.0) else {
                    return true;
                };
                if let Some(step) = deletion.steps.iter_mut().find(|s| s.canister == target) {
                    step.done_at_ns = Some(now_ns);
                    match items {
                        // Added to the batches deleted before.
                        Some(n) => step.items_deleted = Some(step.items_deleted.unwrap_or(0) + n),
                        None => step.last_error = Some("no longer a member of the group".into()),
                    }
                }
                self.save_deletion(user, deletion, now_ns);
            }
            _ => return false,
        }
        true
    }

    /// Changes the step of `user`'s deletion that asks `target`.
    fn update_step(&mut self, user: Principal, target: Principal, f: impl FnOnce(&mut StepRecord)) {
        if let Some(mut d) = self.deletions.get(&user).map(|d| d.0) {
            if let Some(step) = d.steps.iter_mut().find(|s| s.canister == target) {
                f(step);
            }
            self.deletions.insert(user, Candid(d));
        }
    }

    /// Keeps item `id`, due at `now_ns` with its attempts reset (it made progress).
    fn reschedule(&mut self, id: u64, mut item: OutboxItem, now_ns: u64) {
        self.schedule.reschedule(id, item.next_attempt_ns, now_ns);
        item.attempts = 0;
        item.last_error = None;
        item.next_attempt_ns = now_ns;
        self.outbox.insert(id, Candid(item));
    }

    /// Records a failed attempt; the next one waits twice as long as the last, up to a cap.
    fn fail(&mut self, id: u64, mut item: OutboxItem, error: String, now_ns: u64) {
        let failed_at = item.next_attempt_ns;
        item.attempts = item.attempts.saturating_add(1);
        item.next_attempt_ns = RETRY.next_attempt_ns(now_ns, item.attempts);
        item.last_error = Some(error.clone());
        self.schedule
            .reschedule(id, failed_at, item.next_attempt_ns);
        match &item.work {
            Work::PlanDeletion { user } => {
                if let Some(mut d) = self.deletions.get(user).map(|d| d.0) {
                    d.finding = Some((item.attempts, Some(error)));
                    self.deletions.insert(*user, Candid(d));
                }
            }
            Work::DeleteUserData { user, target, .. } => {
                if let Some(mut d) = self.deletions.get(user).map(|d| d.0) {
                    if let Some(step) = d.steps.iter_mut().find(|s| s.canister == *target) {
                        step.attempts = item.attempts;
                        step.last_error = Some(error);
                    }
                    self.deletions.insert(*user, Candid(d));
                }
            }
            Work::AssignShard { .. } => {}
        }
        self.outbox.insert(id, Candid(item));
    }

    pub fn stats(&self) -> UserRegistryStats {
        UserRegistryStats {
            users: self.users.len(),
            shards_pending: self.config.get().pending_shards,
            deletions_in_progress: self.deletions.len() - self.receipts.len(),
            outbox_pending: self.outbox.len(),
        }
    }
}

#[cfg(test)]
mod tests;
