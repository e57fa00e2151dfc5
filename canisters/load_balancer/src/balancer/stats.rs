//! Reading the balancer: per-shard statistics and the scale-out's progress, counts only (no
//! user is named).

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::load_balancer::{LoadBalancerStats, ScaleOutStatus, ShardStats};

use super::{Balancer, ShardRecord, SpawnStage};
use crate::scale_out_guard;

impl<M: Memory> Balancer<M> {
    pub(super) fn shard_stats(
        &self,
        shard: Principal,
        r: &ShardRecord,
        in_group: bool,
    ) -> ShardStats {
        ShardStats {
            shard,
            users: r.users,
            capacity: self.capacity_of(r),
            health: r.health.into(),
            in_group,
            retired: r.retired,
            created_by_balancer: r.created_by_balancer,
            latency_avg_ns: r.latency_avg_ns,
            last_latency_ns: r.last_latency_ns,
            consecutive_failures: r.consecutive_failures,
            consecutive_successes: r.consecutive_successes,
            checks: r.checks,
            failures: r.failures,
            last_check_ns: r.last_check_ns,
            last_error: r.last_error.clone(),
            emergency_backup: r.emergency_backup.clone().map(Into::into),
            alert: r.alert.clone().map(Into::into),
        }
    }

    /// Every tracked shard (group members first, in group order), then the totals.
    pub fn stats(&self, group_shards: &[Principal], now_ns: u64) -> LoadBalancerStats {
        let mut shards: Vec<ShardStats> = group_shards
            .iter()
            .map(|s| {
                let record = self.shard(s).unwrap_or_else(|| ShardRecord::new(false));
                self.shard_stats(*s, &record, true)
            })
            .collect();
        for entry in self.shards.iter() {
            if !group_shards.contains(entry.key()) {
                shards.push(self.shard_stats(*entry.key(), &entry.value(), false));
            }
        }
        let stored = self.stored();
        let guard = stored.scale_out_guard.clone().unwrap_or_default();
        let mut scale_out = match &stored.spawn {
            None => ScaleOutStatus {
                stage: "idle".into(),
                canister: None,
                attempts: 0,
                last_error: stored.last_spawn_error.clone(),
                shards_created: stored.shards_created,
                shards_created_last_day: 0,
                last_refusal: None,
                refusal_alert: None,
            },
            Some(spawn) => {
                let (stage, canister) = match &spawn.stage {
                    SpawnStage::Creating => ("creating", None),
                    SpawnStage::Installing { canister } => ("installing", Some(*canister)),
                    SpawnStage::Registering { canister } => ("registering", Some(*canister)),
                };
                ScaleOutStatus {
                    stage: stage.into(),
                    canister,
                    attempts: spawn.attempts,
                    last_error: spawn.last_error.clone(),
                    shards_created: stored.shards_created,
                    shards_created_last_day: 0,
                    last_refusal: None,
                    refusal_alert: None,
                }
            }
        };
        scale_out.shards_created_last_day = scale_out_guard::created_last_day(&guard, now_ns);
        scale_out.last_refusal = guard.last_refusal.as_ref().map(|r| r.describe());
        scale_out.refusal_alert = guard.alert.clone().map(Into::into);
        LoadBalancerStats {
            strategy: stored.config.strategy.into(),
            config: stored.config.clone().into(),
            shards,
            total_users: self.assignments.len(),
            health_rounds: stored.health_rounds,
            last_round_ns: stored.last_round_ns,
            last_round_instructions: stored.last_round_instructions,
            scale_out,
            seeded: stored.rng.is_some(),
        }
    }
}
