//! Wire types of the backup canister: snapshots it holds, its statistics and configuration,
//! recovery plans and recovery reports. (The data canisters' side of the protocol, manifests and
//! import progress, is in [`crate::snapshot`].)

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

use crate::CanisterKind;

/// Largest chunk the backup canister accepts from a source or pushes into a target: well under
/// the 2 MiB message limit (sources export 1 MiB chunks).
pub const MAX_CHUNK_BYTES: u32 = 3 << 19;

/// Page size of `list_snapshots` when none is asked for, and its cap.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;

/// Why a snapshot was taken.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum SnapshotTrigger {
    /// The timer found the canister's data version moved since its last snapshot.
    Scheduled,
    /// `emergency_backup` (an admin) or `request_emergency_backup` (a group member).
    Emergency { requested_by: Principal },
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum SnapshotStatus {
    /// Chunks are being pulled.
    InProgress,
    /// Every chunk is stored and the SHA-256 over them matched the source's manifest.
    Complete,
    /// The pull failed (the reason says where); its chunks were deleted.
    Failed { reason: String },
}

/// One snapshot of one data canister, as the backup canister holds it.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub id: u64,
    pub canister: Principal,
    pub kind: CanisterKind,
    pub trigger: SnapshotTrigger,
    pub status: SnapshotStatus,
    /// The source's data version at the snapshot (0 until the source answered).
    pub data_version: u64,
    pub total_bytes: u64,
    pub chunk_bytes: u32,
    pub chunk_count: u32,
    /// SHA-256 over the whole stream, as the source computed it (empty until it answered).
    #[serde(with = "serde_bytes")]
    pub sha256: Vec<u8>,
    pub started_at_ns: u64,
    pub finished_at_ns: Option<u64>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotQuery {
    /// Only this canister's snapshots.
    pub canister: Option<Principal>,
    /// Snapshots with ids below this one (newest first); from the newest when absent.
    pub before: Option<u64>,
    pub limit: Option<u32>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SnapshotPage {
    /// Newest first.
    pub snapshots: Vec<SnapshotInfo>,
    /// Pass as `before` for the next page.
    pub next_before: Option<u64>,
}

/// The hash recomputed from the stored chunks, against the one the source reported.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    pub snapshot_id: u64,
    pub ok: bool,
    #[serde(with = "serde_bytes")]
    pub expected_sha256: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub actual_sha256: Vec<u8>,
    pub chunks_checked: u32,
    pub bytes_checked: u64,
    /// Chunks missing from storage or of the wrong length (a complete snapshot has none).
    pub bad_chunks: Vec<u32>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupConfig {
    /// How often the timer checks every data canister's data version.
    pub interval_secs: u64,
    /// Per canister, the newest this many complete snapshots are kept...
    pub keep_recent: u32,
    /// ...and the newest snapshot of each of the last this many days (UTC).
    pub keep_daily: u32,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            interval_secs: 5 * 60,
            keep_recent: 6,
            keep_daily: 7,
        }
    }
}

/// What one run of the timer did.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct CycleReport {
    pub started_at_ns: u64,
    pub finished_at_ns: u64,
    /// Data canisters asked for their data version.
    pub checked: u32,
    /// Snapshots taken (their ids).
    pub snapshots: Vec<u64>,
    /// Canisters whose data version had not moved: nothing pulled.
    pub unchanged: u32,
    pub failed: u32,
    /// Snapshots deleted by retention.
    pub deleted: u32,
}

/// The backup canister's view of one data canister.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CanisterBackupState {
    pub canister: Principal,
    pub kind: CanisterKind,
    pub last_snapshot_id: Option<u64>,
    pub last_data_version: Option<u64>,
    pub last_snapshot_at_ns: Option<u64>,
    pub last_error: Option<String>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BackupStats {
    pub config: BackupConfig,
    /// Complete snapshots held, and their chunks and bytes.
    pub snapshots: u64,
    pub stored_chunks: u64,
    pub stored_bytes: u64,
    pub cycles_run: u64,
    pub snapshots_taken: u64,
    pub skipped_unchanged: u64,
    pub failures: u64,
    pub deleted_by_retention: u64,
    pub last_cycle: Option<CycleReport>,
    /// Instructions the backup canister spent on one pulled chunk (the message that receives,
    /// hashes and stores it): the last and the largest.
    pub last_chunk_instructions: u64,
    pub max_chunk_instructions: u64,
    /// Why the last operator alert could not be raised, if it could not.
    pub last_alert_error: Option<String>,
    pub canisters: Vec<CanisterBackupState>,
}

/// Where a recovery writes a snapshot. Never a canister the caller names: a live canister
/// would be overwritten, a foreign one would receive a whole shard's data and users.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryTarget {
    /// Back into the canister the snapshot was taken from, which must still be a data canister
    /// of the group: its current data is replaced.
    InPlace,
    /// Into a new calendar shard the backup canister creates with `cycles` (controlled by it
    /// and by its controllers) and adds to the group; the load balancer then moves the lost
    /// shard's users to it. A retry after a failure reuses the shard created for that source.
    NewShard { cycles: u128 },
}

/// How a canister would be restored: which snapshot, how big, into what, in which steps.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RecoveryPlan {
    pub snapshot: SnapshotInfo,
    /// The canister written to; absent when a new shard is still to be created.
    pub target: Option<Principal>,
    /// The target is not the canister the snapshot was taken from: it joins the group, and
    /// the load balancer moves the lost shard's users to it.
    pub target_is_new: bool,
    pub total_bytes: u64,
    pub chunk_count: u32,
    pub steps: Vec<String>,
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Done,
    Failed {
        reason: String,
    },
    /// Not needed, or not attempted because an earlier step failed.
    Skipped {
        reason: String,
    },
}

#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RecoveryStep {
    pub name: String,
    pub outcome: StepOutcome,
}

/// What `execute_recovery` did, step by step. `restored` is true once the target committed the
/// snapshot; the later steps (registry, load balancer) can fail on their own and are retried by
/// calling `execute_recovery` again, which is idempotent for them.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RecoveryReport {
    pub snapshot_id: u64,
    pub source: Principal,
    /// The canister written to; absent when creating a new shard failed.
    pub target: Option<Principal>,
    pub restored: bool,
    /// The target's data version after the commit.
    pub restored_data_version: Option<u64>,
    /// Users the load balancer moved to the target (a new calendar shard only).
    pub users_moved: Option<u64>,
    pub steps: Vec<RecoveryStep>,
}
