//! The balancer's stored records (in its state cell and shard map, `Candid`-encoded; `layout.rs`
//! says why): the configuration-side state, each shard's record, a scale-out in progress and the
//! scale-out guard's memory. Their rules live in `balancer.rs`, `health.rs` and `scale_out_guard.rs`.
//! The settings, strategy, health and owed calls inside them are own types too ([`settings`]).

mod settings;

use candid::{CandidType, Deserialize, Principal};

pub use settings::{FollowUp, Settings, ShardHealth, Strategy};

/// Where a scale-out stands. Stored, so a failure (or an upgrade) resumes from the last step
/// that completed instead of creating a second canister.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum SpawnStage {
    /// Reserved: fetching the wasm and creating the canister.
    Creating,
    Installing {
        canister: Principal,
    },
    Registering {
        canister: Principal,
    },
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Spawn {
    pub stage: SpawnStage,
    pub started_at_ns: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub config: Settings,
    pub rr_cursor: u64,
    /// `None` until `raw_rand` answered for the first time.
    pub rng: Option<u64>,
    pub health_rounds: u64,
    pub last_round_ns: Option<u64>,
    pub last_round_instructions: u64,
    pub spawn: Option<Spawn>,
    /// Why the last scale-out that gave up before creating a canister failed.
    pub last_spawn_error: Option<String>,
    pub shards_created: u64,
    /// The brakes on scale-out (`scale_out_guard.rs`); `None` in state written before them.
    pub scale_out_guard: Option<GuardState>,
    /// The stored layout version (`layout.rs`); `None` (0) in state written before it.
    pub layout: Option<u32>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ShardRecord {
    pub users: u64,
    /// `None`: the configured default.
    pub capacity: Option<u64>,
    pub health: ShardHealth,
    pub retired: bool,
    pub created_by_balancer: bool,
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

impl ShardRecord {
    /// A shard starts healthy: it takes users before its first check, as a member the registry
    /// just added is expected to work.
    pub fn new(created_by_balancer: bool) -> Self {
        ShardRecord {
            users: 0,
            capacity: None,
            health: ShardHealth::Healthy,
            retired: false,
            created_by_balancer,
            latency_avg_ns: None,
            last_latency_ns: None,
            consecutive_failures: 0,
            consecutive_successes: 0,
            checks: 0,
            failures: 0,
            last_check_ns: None,
            last_error: None,
            emergency_backup: None,
            alert: None,
        }
    }
}

/// Why a needed scale-out did not start.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    DailyCap { max: u32 },
    CyclesFloor { balance: u128, needed: u128 },
}

impl Refusal {
    pub fn kind(&self) -> u8 {
        match self {
            Refusal::DailyCap { .. } => 0,
            Refusal::CyclesFloor { .. } => 1,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Refusal::DailyCap { max } => format!(
                "every shard is full, but {max} shard(s) were already created in the last 24 hours \
                 (max_new_shards_per_day); raise it or add capacity if the sign-ups are genuine"
            ),
            Refusal::CyclesFloor { balance, needed } => format!(
                "every shard is full, but the balancer holds {balance} cycles and a new shard \
                 needs {needed} (new_shard_cycles, the creation fee and min_cycles_after_scale_out); \
                 top the balancer up"
            ),
        }
    }
}

/// What the guard remembers, stored in the balancer's state cell (an `opt` field there, so
/// state written before the guard existed reads as the default).
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct GuardState {
    /// When each shard of the last 24 hours was created (at most `max_new_shards_per_day`
    /// entries are ever kept).
    pub created_at_ns: Vec<u64>,
    pub last_refusal: Option<Refusal>,
    /// The refusal kind and day (`now / 24 h`) an alert was answered for: one alert per reason
    /// per day, however many rounds find the shards full.
    pub alerted: Option<(u8, u64)>,
    pub alert: Option<FollowUp>,
}
