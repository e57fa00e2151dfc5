//! A snapshot's record as stored (its id is the map's key): this canister's own type, stored
//! `Compact`. The wire `SnapshotInfo` converts to and from it at the boundary.

use candid::Principal;
use interfaces::backup::{SnapshotInfo, SnapshotStatus, SnapshotTrigger};
use serde::{Deserialize, Serialize};

use super::Kind;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRecord {
    pub canister: Principal,
    pub kind: Kind,
    pub trigger: Trigger,
    pub status: Status,
    pub data_version: u64,
    pub total_bytes: u64,
    pub chunk_bytes: u32,
    pub chunk_count: u32,
    #[serde(with = "serde_bytes")]
    pub sha256: Vec<u8>,
    pub started_at_ns: u64,
    pub finished_at_ns: Option<u64>,
}

/// Why the snapshot was taken, in the stored order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    Scheduled,
    Emergency { requested_by: Principal },
}

/// Where the snapshot stands, in the stored order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Status {
    InProgress,
    Complete,
    Failed { reason: String },
}

impl From<SnapshotInfo> for SnapshotRecord {
    fn from(s: SnapshotInfo) -> Self {
        SnapshotRecord {
            canister: s.canister,
            kind: s.kind.into(),
            trigger: match s.trigger {
                SnapshotTrigger::Scheduled => Trigger::Scheduled,
                SnapshotTrigger::Emergency { requested_by } => Trigger::Emergency { requested_by },
            },
            status: match s.status {
                SnapshotStatus::InProgress => Status::InProgress,
                SnapshotStatus::Complete => Status::Complete,
                SnapshotStatus::Failed { reason } => Status::Failed { reason },
            },
            data_version: s.data_version,
            total_bytes: s.total_bytes,
            chunk_bytes: s.chunk_bytes,
            chunk_count: s.chunk_count,
            sha256: s.sha256,
            started_at_ns: s.started_at_ns,
            finished_at_ns: s.finished_at_ns,
        }
    }
}

impl SnapshotRecord {
    /// The wire record of snapshot `id` (the map's key).
    pub fn into_info(self, id: u64) -> SnapshotInfo {
        SnapshotInfo {
            id,
            canister: self.canister,
            kind: self.kind.into(),
            trigger: match self.trigger {
                Trigger::Scheduled => SnapshotTrigger::Scheduled,
                Trigger::Emergency { requested_by } => SnapshotTrigger::Emergency { requested_by },
            },
            status: match self.status {
                Status::InProgress => SnapshotStatus::InProgress,
                Status::Complete => SnapshotStatus::Complete,
                Status::Failed { reason } => SnapshotStatus::Failed { reason },
            },
            data_version: self.data_version,
            total_bytes: self.total_bytes,
            chunk_bytes: self.chunk_bytes,
            chunk_count: self.chunk_count,
            sha256: self.sha256,
            started_at_ns: self.started_at_ns,
            finished_at_ns: self.finished_at_ns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interfaces::CanisterKind;

    #[test]
    fn every_variant_round_trips_through_the_record() {
        let base = SnapshotInfo {
            id: 9,
            canister: Principal::from_slice(&[1; 10]),
            kind: CanisterKind::Calendar,
            trigger: SnapshotTrigger::Scheduled,
            status: SnapshotStatus::InProgress,
            data_version: 3,
            total_bytes: 10,
            chunk_bytes: 4,
            chunk_count: 3,
            sha256: vec![7; 32],
            started_at_ns: 1,
            finished_at_ns: Some(2),
        };
        let others = [
            SnapshotInfo {
                trigger: SnapshotTrigger::Emergency {
                    requested_by: Principal::from_slice(&[2; 10]),
                },
                status: SnapshotStatus::Complete,
                kind: CanisterKind::UserRegistry,
                ..base.clone()
            },
            SnapshotInfo {
                status: SnapshotStatus::Failed {
                    reason: "gone".into(),
                },
                kind: CanisterKind::Notification,
                ..base.clone()
            },
        ];
        for info in std::iter::once(base).chain(others) {
            assert_eq!(SnapshotRecord::from(info.clone()).into_info(9), info);
        }
    }
}
