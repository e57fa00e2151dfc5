//! The shard's state, reached only through [`read`] and [`mutate`]: the event store, the backup
//! snapshots, and the per-caller write rate limiter (heap only: it protects cycles now and
//! may forget across an upgrade).

use std::cell::RefCell;

use security_base::rate_limit::{RateLimitConfig, RateLimiter};
use stable_snapshot::Snapshots;

use crate::memory::{self, Memory};
use crate::store::Store;

/// Callers tracked by the rate limiter before the stalest are forgotten.
const MAX_TRACKED_CALLERS: usize = 10_000;

thread_local! {
    static STORE: RefCell<Store<Memory>> = RefCell::new(Store::init(memory::store()));
    static SNAPSHOTS: RefCell<Snapshots<Memory>> = RefCell::new(Snapshots::init(
        memory::snapshot_state(),
        memory::export_staging(),
        memory::import_staging(),
    ));
    static LIMITER: RefCell<Option<RateLimiter>> = const { RefCell::new(None) };
}

pub fn read<R>(f: impl FnOnce(&Store<Memory>) -> R) -> R {
    STORE.with_borrow(f)
}

pub fn mutate<R>(f: impl FnOnce(&mut Store<Memory>) -> R) -> R {
    STORE.with_borrow_mut(f)
}

pub fn snapshots<R>(f: impl FnOnce(&mut Snapshots<Memory>) -> R) -> R {
    SNAPSHOTS.with_borrow_mut(f)
}

/// Re-opens the store over its memories, after a restore rewrote them underneath it.
pub fn reopen() {
    STORE.with_borrow_mut(|s| *s = Store::init(memory::store()));
}

/// Charges one write to `caller`'s bucket (sized by the stored config).
pub fn charge_write(caller: candid::Principal, now_ns: u64) -> Result<(), interfaces::Error> {
    let per_minute = read(|s| s.config().writes_per_minute);
    LIMITER.with_borrow_mut(|l| {
        let config = RateLimitConfig {
            capacity: per_minute,
            refill_per_minute: per_minute,
        };
        let limiter = match l {
            Some(limiter) if limiter.config() == config => limiter,
            _ => l.insert(RateLimiter::new(config, MAX_TRACKED_CALLERS)),
        };
        limiter.check(caller, now_ns)
    })
}
