//! Admission of new accounts. Each account gets a calendar shard slot (the registry asks the
//! load balancer for one), so creating accounts is what fills shards and, eventually, makes the
//! balancer spend cycles on a new one. Per caller, `register` is limited like every update
//! (and a principal has one account); in total, new accounts share one token bucket, so a crowd
//! of throwaway identities gets at most [`SIGNUPS`]'s burst and then its steady rate.
//!
//! The bucket lives on the heap (it is a rate, not data): an upgrade refills it, which lets in
//! at most one more burst.

use std::cell::RefCell;

use candid::Principal;
use interfaces::Error;
use security_base::rate_limit::{RateLimitConfig, RateLimiter};

/// New accounts for the whole canister: bursts of 100, then 10 a minute (14,400 a day). A shard
/// holds 10,000 users by default, so sign-ups alone fill at most about one shard a day, and the
/// balancer's own daily cap on new shards stays the binding limit.
pub const SIGNUPS: RateLimitConfig = RateLimitConfig {
    capacity: 100,
    refill_per_minute: 10,
};

thread_local! {
    static BUCKET: RefCell<RateLimiter> = RefCell::new(RateLimiter::new(SIGNUPS, 1));
}

/// Takes one sign-up from the shared budget, or answers `RateLimited` with the wait.
pub fn admit(now_ns: u64) -> Result<(), Error> {
    // One bucket for everyone: the key only has to be the same on every call.
    BUCKET.with_borrow_mut(|b| b.check(Principal::management_canister(), now_ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate_for_everyone_together() {
        for _ in 0..SIGNUPS.capacity {
            assert_eq!(admit(0), Ok(()));
        }
        assert!(matches!(admit(0), Err(Error::RateLimited { .. })));
        // Ten a minute: one every six seconds.
        assert_eq!(admit(6_000_000_000), Ok(()));
        assert!(matches!(
            admit(6_000_000_000),
            Err(Error::RateLimited { .. })
        ));
    }
}
