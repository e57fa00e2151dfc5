//! The facade's plain value types, shared by the `PocketIc` API and the `IcEnv` trait: time,
//! canister and message ids, blob compression.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use candid::Principal;

pub type CanisterId = Principal;

/// Nanoseconds since the Unix epoch, like `pocket_ic::Time`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(Duration);

impl Time {
    pub fn as_nanos_since_unix_epoch(&self) -> u64 {
        self.0.as_nanos() as u64
    }
    pub const fn from_nanos_since_unix_epoch(nanos: u64) -> Self {
        Time(Duration::from_nanos(nanos))
    }
}

impl std::fmt::Debug for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_nanos_since_unix_epoch())
    }
}

impl std::ops::Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(self.0 + d)
    }
}

impl From<SystemTime> for Time {
    fn from(t: SystemTime) -> Self {
        Time(t.duration_since(UNIX_EPOCH).expect("after the epoch"))
    }
}

impl From<Time> for SystemTime {
    fn from(t: Time) -> Self {
        UNIX_EPOCH + t.0
    }
}

/// Identifies a submitted ingress message (`submit_call` → `await_call`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawMessageId {
    pub effective_principal: Principal,
    pub message_id: Vec<u8>,
}

impl RawMessageId {
    pub(crate) fn id(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.message_id[..8]);
        u64::from_be_bytes(b)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobCompression {
    Gzip,
    NoCompression,
}
