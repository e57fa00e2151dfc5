//! The load balancer's contract with the rest of the suite (`load_balancer.did`).
//!
//! The balancer is a directory: it assigns each user a calendar shard once (sticky) and answers
//! the same shard for that user afterwards. Three group-member methods are fixed here, all called
//! with the caller's own access key; the first two are accepted only from the user registry:
//!
//! ```candid
//! // The user's shard: assigned on first request, the same one afterwards.
//! assign_user : (blob, principal) -> (variant { Ok : principal; Err : Error });
//! // Account deletion: forget the user's assignment.
//! delete_user_data : (blob, principal) -> (variant { Ok : DeletedData; Err : Error });
//! // After the backup canister restored a lost shard into a fresh one: move the lost shard's
//! // users to the restored one. Accepted only from the backup canister; answers users moved.
//! replace_shard : (blob, principal, principal) -> (variant { Ok : nat64; Err : Error });
//! ```
//!
//! All must be idempotent: their callers retry them until they get an answer, so a call may
//! arrive again after it succeeded. Typed clients are in
//! [`crate::clients::load_balancer`]; `DeletedData` is [`crate::calendar::DeletedData`].

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

/// The directory's answer to `lookup_shards`: each user asked for, with their home shard if
/// the balancer assigned one.
pub type ShardLookup = Vec<(Principal, Option<Principal>)>;

/// How the balancer places a user it has not seen before. Assignments are sticky: a strategy
/// only ever decides for new users.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// The next available shard in the group's order, cycling.
    RoundRobin,
    /// The available shard with the fewest assigned users.
    LeastConnections,
    /// A random available shard, each weighted by its capacity; randomness from `raw_rand`.
    WeightedRandom,
    /// The available shard with the lowest moving average of health-check latency (a failed
    /// check counts as the full timeout).
    ResponseTime,
}

/// Settings of the balancer; controllers or registry admins with `ManageGroups` change them.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BalancerConfig {
    pub strategy: Strategy,
    /// Users a shard is meant to hold unless set per shard (also its weight for
    /// [`Strategy::WeightedRandom`]).
    pub default_capacity: u64,
    /// A shard is "above its threshold" at this percentage of its capacity; new users go to
    /// shards below it first, and when none is left a new shard is created.
    pub capacity_threshold_percent: u8,
    pub health_check_interval_seconds: u64,
    /// Bounded-wait timeout of one health check.
    pub health_check_timeout_seconds: u32,
    /// K: consecutive failed checks that make a shard unhealthy.
    pub unhealthy_after_failures: u32,
    /// M: consecutive successful checks that bring an unhealthy shard back.
    pub healthy_after_successes: u32,
    /// Create new shards from the registry's stored calendar wasm when all are full.
    pub scale_out_enabled: bool,
    /// Cycles given to each new shard (on top of the creation fee).
    pub new_shard_cycles: u128,
    /// No new shard once the group has this many.
    pub max_shards: u32,
    /// Most shards created in any 24 hours (absent: 1). Sign-ups alone never create more.
    pub max_new_shards_per_day: Option<u32>,
    /// Cycles the balancer must keep after paying for a new shard (its cycles and the creation
    /// fee); below that the scale-out is refused (absent: 5 T).
    pub min_cycles_after_scale_out: Option<u128>,
}

/// A change to [`BalancerConfig`]: absent fields keep their value. Invalid values are refused
/// as a whole, and nothing changes.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct BalancerConfigUpdate {
    pub strategy: Option<Strategy>,
    pub default_capacity: Option<u64>,
    pub capacity_threshold_percent: Option<u8>,
    pub health_check_interval_seconds: Option<u64>,
    pub health_check_timeout_seconds: Option<u32>,
    pub unhealthy_after_failures: Option<u32>,
    pub healthy_after_successes: Option<u32>,
    pub scale_out_enabled: Option<bool>,
    pub new_shard_cycles: Option<u128>,
    pub max_shards: Option<u32>,
    pub max_new_shards_per_day: Option<u32>,
    pub min_cycles_after_scale_out: Option<u128>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardHealth {
    /// Takes new users (also before its first check).
    Healthy,
    /// K checks failed in a row: no new users until M checks succeed in a row.
    Unhealthy,
}

/// A call the balancer owes because a shard turned unhealthy (the emergency backup, the operator
/// alert); retried on every health round until it is answered.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum FollowUp {
    Pending {
        attempts: u32,
        last_error: Option<String>,
    },
    /// Answered: the snapshot or alert id.
    Done { id: u64, at_ns: u64 },
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ShardStats {
    pub shard: Principal,
    pub users: u64,
    pub capacity: u64,
    pub health: ShardHealth,
    /// Still a calendar member of the group (a shard that left keeps its users' assignments
    /// for the record but takes no new users).
    pub in_group: bool,
    /// Replaced by a restored shard (`replace_shard`): takes no new users.
    pub retired: bool,
    pub created_by_balancer: bool,
    /// Moving average of health-check latency; absent before the first check.
    pub latency_avg_ns: Option<u64>,
    pub last_latency_ns: Option<u64>,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub checks: u64,
    pub failures: u64,
    pub last_check_ns: Option<u64>,
    pub last_error: Option<String>,
    pub emergency_backup: Option<FollowUp>,
    pub alert: Option<FollowUp>,
}

/// Progress of creating a new shard, while one is being created or after the last attempt
/// failed.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ScaleOutStatus {
    /// `creating`, `installing`, `registering`, or `idle`.
    pub stage: String,
    pub canister: Option<Principal>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub shards_created: u64,
    /// Shards created in the last 24 hours (counted against `max_new_shards_per_day`).
    pub shards_created_last_day: u32,
    /// Why the last scale-out that was needed was refused (daily cap, cycles floor), if it was.
    pub last_refusal: Option<String>,
    /// The operator alert for the last refusal.
    pub refusal_alert: Option<FollowUp>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LoadBalancerStats {
    pub strategy: Strategy,
    pub config: BalancerConfig,
    pub shards: Vec<ShardStats>,
    pub total_users: u64,
    pub health_rounds: u64,
    pub last_round_ns: Option<u64>,
    /// Instructions the last health round spent in this canister (all its messages).
    pub last_round_instructions: u64,
    pub scale_out: ScaleOutStatus,
    /// Whether `raw_rand` has seeded the weighted-random generator yet.
    pub seeded: bool,
}
