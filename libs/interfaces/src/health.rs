//! The `health_check` record every canister of the suite returns.

use candid::{CandidType, Deserialize};
use serde::Serialize;

/// Which canister of the suite answered: one of the six (`ALL`, the members of a group) or the
/// web app's asset canister, which holds no data and belongs to no group.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CanisterKind {
    #[serde(rename = "canister_registry")]
    CanisterRegistry,
    #[serde(rename = "load_balancer")]
    LoadBalancer,
    #[serde(rename = "backup_canister")]
    BackupCanister,
    #[serde(rename = "calendar")]
    Calendar,
    #[serde(rename = "notification")]
    Notification,
    #[serde(rename = "user_registry")]
    UserRegistry,
    #[serde(rename = "frontend")]
    Frontend,
}

impl CanisterKind {
    pub const ALL: [CanisterKind; 6] = [
        CanisterKind::CanisterRegistry,
        CanisterKind::LoadBalancer,
        CanisterKind::BackupCanister,
        CanisterKind::Calendar,
        CanisterKind::Notification,
        CanisterKind::UserRegistry,
    ];

    /// The crate, `.did` and wasm name of this canister.
    pub fn name(self) -> &'static str {
        match self {
            CanisterKind::CanisterRegistry => "canister_registry",
            CanisterKind::LoadBalancer => "load_balancer",
            CanisterKind::BackupCanister => "backup_canister",
            CanisterKind::Calendar => "calendar",
            CanisterKind::Notification => "notification",
            CanisterKind::UserRegistry => "user_registry",
            CanisterKind::Frontend => "frontend",
        }
    }
}

/// A measured snapshot of one canister's health. Every field is read from the system at the time
/// of the query; nothing is estimated.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HealthReport {
    pub canister: CanisterKind,
    /// The crate version the wasm was built from.
    pub version: String,
    /// SHA-256 of the installed module as the management canister reports it; `None` until the
    /// post-install lookup has answered (or if it failed, see `module_hash_error`).
    pub module_hash: Option<Vec<u8>>,
    pub module_hash_error: Option<String>,
    /// `ic0.canister_version`: bumped by every install, upgrade and settings change.
    pub canister_version: u64,
    pub heap_memory_bytes: u64,
    pub stable_memory_bytes: u64,
    pub cycles_balance: candid::Nat,
    /// `ic0.time` when this query ran.
    pub now_ns: u64,
    /// When the current code started (install or upgrade); counters below count from here.
    pub started_at_ns: u64,
    pub uptime_ns: u64,
    /// Update calls (ingress and inter-canister) handled since `started_at_ns`.
    pub requests: u64,
    /// Of those, the ones that answered with an error.
    pub errors: u64,
}
