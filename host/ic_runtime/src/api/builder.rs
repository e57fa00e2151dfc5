//! `PocketIcBuilder`: initial time, seed and limits of a new instance, or an instance loaded
//! from saved state.

use std::sync::Mutex;

use crate::subnet::{Limits, Subnet};
use crate::types::Time;

use super::PocketIc;

/// 2025-01-01T00:00:00Z: the deterministic start time (PocketIC starts at the wall clock).
pub const DEFAULT_INITIAL_TIME_NANOS: u64 = 1_735_689_600_000_000_000;

pub struct PocketIcBuilder {
    time: u64,
    seed: [u8; 32],
    limits: Limits,
}

impl Default for PocketIcBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PocketIcBuilder {
    pub fn new() -> Self {
        PocketIcBuilder {
            time: DEFAULT_INITIAL_TIME_NANOS,
            seed: [42; 32],
            limits: Limits::default(),
        }
    }
    /// Accepted for source compatibility: there is always exactly one (application) subnet.
    pub fn with_application_subnet(self) -> Self {
        self
    }
    pub fn with_initial_time(mut self, time: Time) -> Self {
        self.time = time.as_nanos_since_unix_epoch();
        self
    }
    pub fn with_initial_timestamp(mut self, nanos: u64) -> Self {
        self.time = nanos;
        self
    }
    /// Seed of `raw_rand`'s deterministic byte stream.
    pub fn with_seed(mut self, seed: [u8; 32]) -> Self {
        self.seed = seed;
        self
    }
    /// Instruction limits and round budgets (tests of limits lower them).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    pub fn build(self) -> PocketIc {
        PocketIc {
            subnet: Mutex::new(Subnet::new(self.time, self.seed, self.limits)),
        }
    }
    /// The instance saved in `dir` by [`PocketIc::save_state`], with this builder's limits (its
    /// time and seed are the saved ones); `Ok(None)` when `dir` holds no saved state.
    pub fn build_from_state(self, dir: &std::path::Path) -> Result<Option<PocketIc>, String> {
        Ok(
            crate::persist::load(dir, self.limits)?.map(|subnet| PocketIc {
                subnet: Mutex::new(subnet),
            }),
        )
    }
}
