//! The `canister_status` reply in the interface's current schema. `ic-management-canister-types`
//! 0.8 (the version pocket-ic and ic-cdk here use) lacks `settings.status_visibility` and
//! `settings.minimum_incoming_canister_call_cycles`, which current clients (icp-cli 1.5) require,
//! so the reply record is declared here; the nested records that did not change are reused.

use candid::{CandidType, Nat, Principal};
use ic_management_canister_types::{
    CanisterStatusType, EnvironmentVariable, LogVisibility, MemoryMetrics, QueryStats,
    SnapshotVisibility,
};
use serde::Deserialize;

use crate::canister::{Canister, Status};

/// Who may read `canister_status`; here always the controllers (it cannot be changed yet).
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum StatusVisibility {
    #[serde(rename = "controllers")]
    Controllers,
    #[serde(rename = "public")]
    Public,
    #[serde(rename = "allowed_viewers")]
    AllowedViewers(Vec<Principal>),
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DefiniteSettings {
    pub controllers: Vec<Principal>,
    pub compute_allocation: Nat,
    pub memory_allocation: Nat,
    pub freezing_threshold: Nat,
    pub reserved_cycles_limit: Nat,
    pub minimum_incoming_canister_call_cycles: Nat,
    pub log_visibility: LogVisibility,
    pub log_memory_limit: Nat,
    pub snapshot_visibility: SnapshotVisibility,
    pub status_visibility: StatusVisibility,
    pub wasm_memory_limit: Nat,
    pub wasm_memory_threshold: Nat,
    pub environment_variables: Vec<EnvironmentVariable>,
}

#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StatusReply {
    pub status: CanisterStatusType,
    pub ready_for_migration: bool,
    pub version: u64,
    pub settings: DefiniteSettings,
    pub module_hash: Option<Vec<u8>>,
    pub memory_size: Nat,
    pub memory_metrics: MemoryMetrics,
    pub cycles: Nat,
    pub reserved_cycles: Nat,
    pub idle_cycles_burned_per_day: Nat,
    pub query_stats: QueryStats,
}

fn zero() -> Nat {
    Nat::from(0u8)
}

pub fn status(c: &Canister) -> StatusReply {
    let (wasm_memory, stable_memory, wasm_binary) = match &c.code {
        Some(code) => (
            code.memory_size(),
            code.stable().bytes().len(),
            code.module.wasm_size,
        ),
        None => (0, 0, 0),
    };
    let chunk_bytes: usize = c.chunks.values().map(|v| v.len()).sum();
    let s = &c.settings;
    StatusReply {
        status: match c.status {
            Status::Running => CanisterStatusType::Running,
            Status::Stopping => CanisterStatusType::Stopping,
            Status::Stopped => CanisterStatusType::Stopped,
        },
        ready_for_migration: false,
        version: c.version,
        settings: DefiniteSettings {
            controllers: s.controllers.clone(),
            compute_allocation: s.compute_allocation.clone(),
            memory_allocation: s.memory_allocation.clone(),
            freezing_threshold: s.freezing_threshold.clone(),
            reserved_cycles_limit: s.reserved_cycles_limit.clone(),
            minimum_incoming_canister_call_cycles: zero(),
            log_visibility: s.log_visibility.clone(),
            log_memory_limit: s.log_memory_limit.clone(),
            snapshot_visibility: SnapshotVisibility::Controllers,
            status_visibility: StatusVisibility::Controllers,
            wasm_memory_limit: s.wasm_memory_limit.clone(),
            wasm_memory_threshold: s.wasm_memory_threshold.clone(),
            environment_variables: s.environment_variables.clone(),
        },
        module_hash: c.module_hash(),
        memory_size: Nat::from(wasm_memory + stable_memory + wasm_binary + chunk_bytes),
        memory_metrics: MemoryMetrics {
            wasm_memory_size: Nat::from(wasm_memory),
            stable_memory_size: Nat::from(stable_memory),
            global_memory_size: zero(),
            wasm_binary_size: Nat::from(wasm_binary),
            custom_sections_size: zero(),
            canister_history_size: Nat::from(c.history.len() * 100),
            wasm_chunk_store_size: Nat::from(chunk_bytes),
            snapshots_size: zero(),
            log_memory_store_size: Nat::from(c.logs.iter().map(|l| l.content.len()).sum::<usize>()),
        },
        cycles: Nat::from(c.cycles),
        reserved_cycles: zero(),
        idle_cycles_burned_per_day: zero(),
        query_stats: QueryStats {
            num_calls_total: zero(),
            num_instructions_total: zero(),
            request_payload_bytes_total: zero(),
            response_payload_bytes_total: zero(),
        },
    }
}
