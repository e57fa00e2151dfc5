//! The balancer's state and rules, as plain code over stable structures: the sticky directory,
//! the shards with their health, the configuration, and the reservation of a scale-out.
//!
//! Nothing here makes calls or reads the clock: the group's shards, time and randomness come
//! in as arguments, so every rule is unit-tested natively. The async halves are
//! `jobs/health_round.rs` (health rounds and the calls owed when a shard fails) and
//! `jobs/scale_out.rs` (creating a shard). Stored records are in `model/`.

use candid::Principal;
use canister_kit::stored::Candid;
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell};
use interfaces::load_balancer::{BalancerConfigUpdate, ShardStats};
use interfaces::{Error, InputProblem};

use crate::health::{self, CheckOutcome, Rules, Transition};
use crate::memory;
use crate::model::{
    FollowUp, Settings, ShardHealth, ShardRecord, Spawn, SpawnStage, Stored, Strategy,
};
use crate::scale_out_guard;
use crate::strategy::{self, Candidate, Rng};
use config::{in_range, validate_config};

/// Most shards a group can hold (the registry's member limit).
pub const MAX_SHARDS: u32 = 256;

pub fn default_config() -> Settings {
    Settings {
        strategy: Strategy::LeastConnections,
        default_capacity: 10_000,
        capacity_threshold_percent: 80,
        health_check_interval_seconds: 30,
        health_check_timeout_seconds: 10,
        unhealthy_after_failures: 3,
        healthy_after_successes: 2,
        scale_out_enabled: true,
        new_shard_cycles: 2_000_000_000_000,
        max_shards: 16,
        max_new_shards_per_day: Some(scale_out_guard::DEFAULT_MAX_NEW_SHARDS_PER_DAY),
        min_cycles_after_scale_out: Some(scale_out_guard::DEFAULT_MIN_CYCLES_AFTER_SCALE_OUT),
    }
}

/// A call owed because a shard turned unhealthy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owed {
    EmergencyBackup,
    Alert,
}

pub struct Balancer<M: Memory> {
    state: StableCell<Candid<Stored>, M>,
    shards: StableBTreeMap<Principal, Candid<ShardRecord>, M>,
    assignments: StableBTreeMap<Principal, Principal, M>,
}

impl<M: Memory> Balancer<M> {
    pub fn init(memory: impl Fn(MemoryId) -> M) -> Self {
        let initial = Stored {
            config: default_config(),
            rr_cursor: 0,
            rng: None,
            health_rounds: 0,
            last_round_ns: None,
            last_round_instructions: 0,
            spawn: None,
            last_spawn_error: None,
            shards_created: 0,
            scale_out_guard: None,
            layout: None,
        };
        Balancer {
            state: StableCell::init(memory(memory::STATE), Candid(initial)),
            shards: StableBTreeMap::init(memory(memory::SHARDS)),
            assignments: StableBTreeMap::init(memory(memory::ASSIGNMENTS)),
        }
    }

    pub fn stored(&self) -> &Stored {
        self.state.get()
    }

    pub(crate) fn update_stored<R>(&mut self, f: impl FnOnce(&mut Stored) -> R) -> R {
        let mut stored = self.state.get().0.clone();
        let result = f(&mut stored);
        self.state.set(Candid(stored));
        result
    }

    pub fn config(&self) -> &Settings {
        &self.stored().config
    }

    pub fn rules(&self) -> Rules {
        let c = self.config();
        Rules {
            unhealthy_after_failures: c.unhealthy_after_failures,
            healthy_after_successes: c.healthy_after_successes,
            timeout_ns: c.health_check_timeout_seconds as u64 * 1_000_000_000,
        }
    }

    pub fn shard(&self, shard: &Principal) -> Option<ShardRecord> {
        self.shards.get(shard).map(|r| r.0)
    }

    fn put_shard(&mut self, shard: Principal, record: ShardRecord) {
        self.shards.insert(shard, Candid(record));
    }

    fn capacity_of(&self, record: &ShardRecord) -> u64 {
        record.capacity.unwrap_or(self.config().default_capacity)
    }

    fn threshold_of(&self, record: &ShardRecord) -> u64 {
        let capacity = self.capacity_of(record) as u128;
        let threshold = capacity * self.config().capacity_threshold_percent as u128 / 100;
        (threshold as u64).max(1)
    }

    // ---- configuration -----------------------------------------------------------------------

    /// Applies `update` if every value is valid; otherwise changes nothing.
    pub fn set_config(&mut self, update: BalancerConfigUpdate) -> Result<Settings, Error> {
        let mut c = self.config().clone();
        c.strategy = update.strategy.map_or(c.strategy, Into::into);
        c.default_capacity = update.default_capacity.unwrap_or(c.default_capacity);
        c.capacity_threshold_percent = update
            .capacity_threshold_percent
            .unwrap_or(c.capacity_threshold_percent);
        c.health_check_interval_seconds = update
            .health_check_interval_seconds
            .unwrap_or(c.health_check_interval_seconds);
        c.health_check_timeout_seconds = update
            .health_check_timeout_seconds
            .unwrap_or(c.health_check_timeout_seconds);
        c.unhealthy_after_failures = update
            .unhealthy_after_failures
            .unwrap_or(c.unhealthy_after_failures);
        c.healthy_after_successes = update
            .healthy_after_successes
            .unwrap_or(c.healthy_after_successes);
        c.scale_out_enabled = update.scale_out_enabled.unwrap_or(c.scale_out_enabled);
        c.new_shard_cycles = update.new_shard_cycles.unwrap_or(c.new_shard_cycles);
        c.max_shards = update.max_shards.unwrap_or(c.max_shards);
        c.max_new_shards_per_day = update.max_new_shards_per_day.or(c.max_new_shards_per_day);
        c.min_cycles_after_scale_out = update
            .min_cycles_after_scale_out
            .or(c.min_cycles_after_scale_out);
        validate_config(&c)?;
        self.update_stored(|s| s.config = c.clone());
        Ok(c)
    }

    pub fn set_shard_capacity(
        &mut self,
        shard: Principal,
        capacity: u64,
    ) -> Result<ShardStats, Error> {
        in_range("capacity", capacity, 1, u64::MAX / 2)?;
        let mut record = self
            .shard(&shard)
            .ok_or_else(|| Error::not_found(format!("shard {shard}")))?;
        record.capacity = Some(capacity);
        self.put_shard(shard, record.clone());
        Ok(self.shard_stats(shard, &record, true))
    }

    // ---- the directory -----------------------------------------------------------------------

    /// Starts tracking the group's calendar members it has not seen yet.
    pub fn sync_shards(&mut self, group_shards: &[Principal]) {
        for shard in group_shards {
            if !self.shards.contains_key(shard) {
                self.put_shard(*shard, ShardRecord::new(false));
            }
        }
    }

    pub fn shard_for(&self, user: &Principal) -> Option<Principal> {
        self.assignments.get(user)
    }

    /// Shards that may take new users: in the group, healthy, not retired; in group order.
    fn available(&self, group_shards: &[Principal]) -> Vec<(Principal, ShardRecord)> {
        group_shards
            .iter()
            .filter_map(|s| self.shard(s).map(|r| (*s, r)))
            .filter(|(_, r)| r.health == ShardHealth::Healthy && !r.retired)
            .collect()
    }

    /// The user's shard: the one already assigned, or a new one chosen by the strategy among
    /// the available shards below their threshold (all available ones when none is).
    pub fn assign(
        &mut self,
        user: Principal,
        group_shards: &[Principal],
    ) -> Result<Principal, Error> {
        if let Some(shard) = self.shard_for(&user) {
            return Ok(shard);
        }
        self.sync_shards(group_shards);
        let available = self.available(group_shards);
        let below: Vec<_> = available
            .iter()
            .filter(|(_, r)| r.users < self.threshold_of(r))
            .cloned()
            .collect();
        let pool = if below.is_empty() { available } else { below };
        let candidates: Vec<Candidate> = pool
            .iter()
            .map(|(s, r)| Candidate {
                shard: *s,
                users: r.users,
                capacity: self.capacity_of(r),
                latency_avg_ns: r.latency_avg_ns,
            })
            .collect();
        let strategy = self.config().strategy;
        let mut stored = self.stored().clone();
        if strategy == Strategy::WeightedRandom && stored.rng.is_none() {
            return Err(Error::Unavailable {
                reason: "the random generator is not seeded yet".into(),
            });
        }
        let mut rng = Rng(stored.rng.unwrap_or(0));
        let shard = strategy::choose(strategy, &candidates, &mut stored.rr_cursor, &mut rng)
            .ok_or_else(|| Error::Unavailable {
                reason: "no healthy calendar shard can take new users".into(),
            })?;
        if stored.rng.is_some() {
            stored.rng = Some(rng.0);
        }
        self.state.set(Candid(stored));
        self.assignments.insert(user, shard);
        let mut record = self.shard(&shard).expect("a candidate is tracked");
        record.users += 1;
        self.put_shard(shard, record);
        Ok(shard)
    }

    /// Forgets the user's assignment; answers how many items went (0 or 1), so a repeat is
    /// harmless.
    pub fn delete_user(&mut self, user: &Principal) -> u64 {
        let Some(shard) = self.assignments.remove(user) else {
            return 0;
        };
        if let Some(mut record) = self.shard(&shard) {
            record.users = record.users.saturating_sub(1);
            self.put_shard(shard, record);
        }
        1
    }

    /// Moves every user of `lost` to `restored` and retires `lost`. A repeat moves nobody.
    pub fn replace_shard(
        &mut self,
        lost: Principal,
        restored: Principal,
        group_shards: &[Principal],
    ) -> Result<u64, Error> {
        if lost == restored {
            return Err(Error::invalid(
                "restored",
                InputProblem::Malformed {
                    reason: "the restored shard must differ from the lost one".into(),
                },
            ));
        }
        if !group_shards.contains(&restored) {
            return Err(Error::not_found(format!(
                "{restored} as a calendar shard of the group"
            )));
        }
        self.sync_shards(group_shards);
        let mut lost_record = self
            .shard(&lost)
            .ok_or_else(|| Error::not_found(format!("shard {lost}")))?;
        let moving: Vec<Principal> = self
            .assignments
            .iter()
            .filter(|e| e.value() == lost)
            .map(|e| *e.key())
            .collect();
        for user in &moving {
            self.assignments.insert(*user, restored);
        }
        let moved = moving.len() as u64;
        lost_record.users = lost_record.users.saturating_sub(moved);
        lost_record.retired = true;
        self.put_shard(lost, lost_record);
        let mut restored_record = self.shard(&restored).expect("synced above");
        restored_record.users += moved;
        restored_record.retired = false;
        self.put_shard(restored, restored_record);
        Ok(moved)
    }

    // ---- health ------------------------------------------------------------------------------

    pub fn record_check(
        &mut self,
        shard: Principal,
        outcome: CheckOutcome,
        now_ns: u64,
    ) -> Transition {
        let rules = self.rules();
        let mut record = self
            .shard(&shard)
            .unwrap_or_else(|| ShardRecord::new(false));
        let transition = health::apply(&mut record, outcome, rules, now_ns);
        self.put_shard(shard, record);
        transition
    }

    /// Calls owed for unhealthy shards, oldest shard first.
    pub fn owed(&self) -> Vec<(Principal, Owed)> {
        let mut owed = Vec::new();
        for entry in self.shards.iter() {
            let record = entry.value();
            if matches!(record.emergency_backup, Some(FollowUp::Pending { .. })) {
                owed.push((*entry.key(), Owed::EmergencyBackup));
            }
            if matches!(record.alert, Some(FollowUp::Pending { .. })) {
                owed.push((*entry.key(), Owed::Alert));
            }
        }
        owed
    }

    /// Records the answer to an owed call: done with the callee's id, or one more failed attempt
    /// (retried on the next round).
    pub fn settle_owed(
        &mut self,
        shard: Principal,
        what: Owed,
        result: Result<u64, String>,
        now_ns: u64,
    ) {
        let Some(mut record) = self.shard(&shard) else {
            return;
        };
        let slot = match what {
            Owed::EmergencyBackup => &mut record.emergency_backup,
            Owed::Alert => &mut record.alert,
        };
        // The shard may have recovered (and dropped the debt) while the call was out.
        let Some(FollowUp::Pending { attempts, .. }) = slot.clone() else {
            return;
        };
        *slot = Some(match result {
            Ok(id) => FollowUp::Done { id, at_ns: now_ns },
            Err(error) => FollowUp::Pending {
                attempts: attempts.saturating_add(1),
                last_error: Some(error),
            },
        });
        self.put_shard(shard, record);
    }

    pub fn finish_round(&mut self, now_ns: u64, instructions: u64) {
        self.update_stored(|s| {
            s.health_rounds += 1;
            s.last_round_ns = Some(now_ns);
            s.last_round_instructions = instructions;
        });
    }

    pub fn mix_entropy(&mut self, entropy: &[u8]) {
        self.update_stored(|s| {
            let mut rng = Rng(s.rng.unwrap_or(0));
            rng.mix(entropy);
            s.rng = Some(rng.0);
        });
    }

    // ---- scale-out ---------------------------------------------------------------------------

    /// Whether a new shard is wanted: scale-out is on, none is being created, the group has room,
    /// and no available shard is below its threshold.
    pub fn needs_scale_out(&self, group_shards: &[Principal]) -> bool {
        let c = self.config();
        if !c.scale_out_enabled
            || self.stored().spawn.is_some()
            || group_shards.is_empty()
            || group_shards.len() >= c.max_shards as usize
        {
            return false;
        }
        self.available(group_shards)
            .iter()
            .all(|(_, r)| r.users >= self.threshold_of(r))
    }

    /// Whether an assignment should start a scale-out right away. After an attempt failed before
    /// a canister existed (no wasm stored yet, creation refused), retries wait for the health
    /// round, so a stream of sign-ups never becomes a stream of failing attempts.
    pub fn scale_out_now(&self, group_shards: &[Principal]) -> bool {
        self.stored().last_spawn_error.is_none() && self.needs_scale_out(group_shards)
    }

    /// Step 1 of a scale-out: reserve it, so that no second one starts while this one awaits.
    /// `false` if one is already under way or none is needed.
    pub fn reserve_spawn(&mut self, group_shards: &[Principal], now_ns: u64) -> bool {
        if !self.needs_scale_out(group_shards) {
            return false;
        }
        self.update_stored(|s| {
            s.spawn = Some(Spawn {
                stage: SpawnStage::Creating,
                started_at_ns: now_ns,
                attempts: 0,
                last_error: None,
            })
        });
        true
    }

    pub fn spawn(&self) -> Option<Spawn> {
        self.stored().spawn.clone()
    }

    pub fn spawn_advanced(&mut self, stage: SpawnStage) {
        self.update_stored(|s| {
            if let Some(spawn) = &mut s.spawn {
                spawn.stage = stage;
                spawn.last_error = None;
            }
        });
    }

    /// A step failed. Before a canister exists the reservation is released (nothing to undo);
    /// after, it is kept so the next round resumes with the same canister.
    pub fn spawn_failed(&mut self, error: String) {
        self.update_stored(|s| {
            let Some(spawn) = &mut s.spawn else { return };
            if spawn.stage == SpawnStage::Creating {
                s.spawn = None;
                s.last_spawn_error = Some(error);
            } else {
                spawn.attempts = spawn.attempts.saturating_add(1);
                spawn.last_error = Some(error);
            }
        });
    }

    /// The new shard is in the group: it is tracked (healthy, empty) and takes new users.
    pub fn spawn_done(&mut self, canister: Principal) {
        let mut record = self
            .shard(&canister)
            .unwrap_or_else(|| ShardRecord::new(true));
        record.created_by_balancer = true;
        self.put_shard(canister, record);
        self.update_stored(|s| {
            s.spawn = None;
            s.last_spawn_error = None;
            s.shards_created += 1;
        });
    }
}

mod config;
mod stats;

#[cfg(test)]
mod tests;
