//! What the backup canister knows about one data canister, and which kind of canister it is.

use interfaces::CanisterKind;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CanisterRecord {
    pub kind: Kind,
    pub last_complete: Option<u64>,
    pub last_data_version: Option<u64>,
    pub last_snapshot_at_ns: Option<u64>,
    pub in_progress: Option<u64>,
    pub last_error: Option<String>,
}

impl CanisterRecord {
    /// A canister the backup canister has not seen before.
    pub fn new(kind: CanisterKind) -> Self {
        CanisterRecord {
            kind: kind.into(),
            last_complete: None,
            last_data_version: None,
            last_snapshot_at_ns: None,
            in_progress: None,
            last_error: None,
        }
    }
}

/// A canister's kind, in the stored order.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Frontend,
    CanisterRegistry,
    LoadBalancer,
    BackupCanister,
    Calendar,
    Notification,
    UserRegistry,
}

canister_kit::same_variants!(CanisterKind <-> Kind:
    Frontend, CanisterRegistry, LoadBalancer, BackupCanister, Calendar, Notification, UserRegistry);
