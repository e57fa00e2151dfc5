//! Per-principal token buckets: each principal may make `capacity` calls at once and regains
//! `refill_per_minute` tokens a minute. Integer arithmetic only (no floats in a canister), and
//! the number of tracked principals is bounded so an attacker with many identities cannot grow
//! the canister's memory without limit.

use std::collections::BTreeMap;

use candid::{CandidType, Deserialize, Principal};
use interfaces::Error;

const NS_PER_MINUTE: u128 = 60_000_000_000;

#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub capacity: u32,
    pub refill_per_minute: u32,
}

/// One token is `NS_PER_MINUTE` units, so refilling `elapsed_ns * refill_per_minute` units is
/// exact.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    units: u128,
    updated_ns: u64,
}

#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    max_tracked: usize,
    buckets: BTreeMap<Principal, Bucket>,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig, max_tracked: usize) -> Self {
        RateLimiter {
            config,
            max_tracked: max_tracked.max(1),
            buckets: BTreeMap::new(),
        }
    }

    pub fn config(&self) -> RateLimitConfig {
        self.config
    }

    pub fn tracked(&self) -> usize {
        self.buckets.len()
    }

    /// Takes one token for `who` at `now_ns`, or says how long until one is available.
    pub fn check(&mut self, who: Principal, now_ns: u64) -> Result<(), Error> {
        // One lookup for a tracked caller (the usual case): comparing principals along the
        // map's path is most of this function's cost in wasm.
        if let Some(bucket) = self.buckets.get_mut(&who) {
            return take(self.config, bucket, now_ns);
        }
        if self.buckets.len() >= self.max_tracked {
            self.evict(now_ns);
        }
        let full = self.config.capacity as u128 * NS_PER_MINUTE;
        let bucket = self.buckets.entry(who).or_insert(Bucket {
            units: full,
            updated_ns: now_ns,
        });
        take(self.config, bucket, now_ns)
    }

    /// Forgets principals whose bucket has refilled (they lose nothing by being forgotten); if
    /// none has, forgets the one idle longest.
    fn evict(&mut self, now_ns: u64) {
        let full = self.config.capacity as u128 * NS_PER_MINUTE;
        let rate = self.config.refill_per_minute as u128;
        self.buckets
            .retain(|_, b| b.units + now_ns.saturating_sub(b.updated_ns) as u128 * rate < full);
        if self.buckets.len() >= self.max_tracked {
            if let Some(oldest) = self
                .buckets
                .iter()
                .min_by_key(|(_, b)| b.updated_ns)
                .map(|(p, _)| *p)
            {
                self.buckets.remove(&oldest);
            }
        }
    }
}

/// Refills `bucket` up to `now_ns` and takes one token from it, or says how long until one is
/// available.
fn take(config: RateLimitConfig, bucket: &mut Bucket, now_ns: u64) -> Result<(), Error> {
    let full = config.capacity as u128 * NS_PER_MINUTE;
    let elapsed = now_ns.saturating_sub(bucket.updated_ns) as u128;
    bucket.units = (bucket.units + elapsed * config.refill_per_minute as u128).min(full);
    bucket.updated_ns = bucket.updated_ns.max(now_ns);
    if bucket.units >= NS_PER_MINUTE {
        bucket.units -= NS_PER_MINUTE;
        return Ok(());
    }
    let missing = NS_PER_MINUTE - bucket.units;
    let retry_after_ns = match config.refill_per_minute {
        0 => u64::MAX,
        rate => missing.div_ceil(rate as u128).min(u64::MAX as u128) as u64,
    };
    Err(Error::RateLimited { retry_after_ns })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n; 29])
    }

    #[test]
    fn a_burst_up_to_capacity_then_refusal_with_the_wait() {
        let mut rl = RateLimiter::new(
            RateLimitConfig {
                capacity: 3,
                refill_per_minute: 60,
            },
            100,
        );
        for _ in 0..3 {
            assert_eq!(rl.check(p(1), 0), Ok(()));
        }
        // 60 a minute is one a second.
        assert_eq!(
            rl.check(p(1), 0),
            Err(Error::RateLimited {
                retry_after_ns: 1_000_000_000
            })
        );
        assert_eq!(
            rl.check(p(1), 999_999_999),
            Err(Error::RateLimited { retry_after_ns: 1 })
        );
        assert_eq!(rl.check(p(1), 1_000_000_000), Ok(()));
        assert_eq!(rl.check(p(2), 0), Ok(()), "buckets are per principal");
    }

    #[test]
    fn refill_never_exceeds_capacity() {
        let mut rl = RateLimiter::new(
            RateLimitConfig {
                capacity: 2,
                refill_per_minute: 600,
            },
            100,
        );
        assert_eq!(rl.check(p(1), 0), Ok(()));
        let hour = 3_600_000_000_000;
        assert_eq!(rl.check(p(1), hour), Ok(()));
        assert_eq!(rl.check(p(1), hour), Ok(()));
        assert!(rl.check(p(1), hour).is_err());
    }

    #[test]
    fn tracked_principals_stay_bounded() {
        let mut rl = RateLimiter::new(
            RateLimitConfig {
                capacity: 1,
                refill_per_minute: 1,
            },
            10,
        );
        for n in 0..50u8 {
            rl.check(p(n), n as u64).unwrap();
        }
        assert!(rl.tracked() <= 10);
    }

    #[test]
    fn zero_refill_waits_forever() {
        let mut rl = RateLimiter::new(
            RateLimitConfig {
                capacity: 1,
                refill_per_minute: 0,
            },
            10,
        );
        rl.check(p(1), 0).unwrap();
        assert_eq!(
            rl.check(p(1), 10),
            Err(Error::RateLimited {
                retry_after_ns: u64::MAX
            })
        );
    }
}
