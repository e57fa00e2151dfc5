//! The shard's state, reached only through [`read`] and [`mutate`]: the event store, the backup
//! snapshots, the feeds ([`read_feeds`], [`mutate_feeds`]), and the per-caller write rate
//! limiter (heap only: it protects cycles now and may forget across an upgrade).

use std::cell::RefCell;

use canister_kit::backup::DataCanister;
use interfaces::calendar::{DeletedData, MAX_DELETIONS_PER_CALL};
use interfaces::Error;
use security_base::rate_limit::{RateLimitConfig, RateLimiter};
use stable_snapshot::Snapshots;

use crate::feeds::Feeds;
use crate::memory::{self, Memory};
use crate::store::{Ctx, Meta, Store};

/// Callers tracked by the rate limiter before the stalest are forgotten.
const MAX_TRACKED_CALLERS: usize = 10_000;

thread_local! {
    static STORE: RefCell<Store<Memory>> = RefCell::new(Store::init(memory::store()));
    static SNAPSHOTS: RefCell<Snapshots<Memory>> = RefCell::new(Snapshots::init(
        memory::snapshot_state(),
        memory::export_staging(),
        memory::import_staging(),
    ));
    static FEEDS: RefCell<Feeds<Memory>> = RefCell::new(Feeds::init(memory::feeds()));
    static LIMITER: RefCell<Option<RateLimiter>> = const { RefCell::new(None) };
}

pub fn read<R>(f: impl FnOnce(&Store<Memory>) -> R) -> R {
    STORE.with_borrow(f)
}

pub fn mutate<R>(f: impl FnOnce(&mut Store<Memory>) -> R) -> R {
    STORE.with_borrow_mut(f)
}

/// Feeds and subscriptions (`crate::feeds`).
pub fn read_feeds<R>(f: impl FnOnce(&Feeds<Memory>) -> R) -> R {
    FEEDS.with_borrow(f)
}

/// Feeds are part of the shard's data (backups carry them), so a change to them moves the data
/// version as a change to the store does; a refused one changes nothing, the version included.
pub fn mutate_feeds<R>(f: impl FnOnce(&mut Feeds<Memory>) -> Result<R, Error>) -> Result<R, Error> {
    let result = FEEDS.with_borrow_mut(f);
    if result.is_ok() {
        mutate(|s| s.touch());
    }
    result
}

/// The store and the feeds together (account deletion clears subscription copies and forgets
/// feeds in one step); moves the data version as [`mutate_feeds`] does.
pub fn mutate_with_feeds<R>(f: impl FnOnce(&mut Store<Memory>, &mut Feeds<Memory>) -> R) -> R {
    let result = STORE.with_borrow_mut(|s| FEEDS.with_borrow_mut(|feeds| f(s, feeds)));
    mutate(|s| s.touch());
    result
}

/// Account deletion, one bounded batch (`done` once nothing is left): the user's events,
/// booking policy and place in other people's events, then (once those are gone) their
/// subscriptions with their copies, and their feeds.
pub fn delete_user_data(c: &Ctx, user: &candid::Principal) -> DeletedData {
    let (items, done) = mutate(|s| s.delete_user(c, user, MAX_DELETIONS_PER_CALL));
    let done = done
        && mutate_with_feeds(|s, f| {
            crate::feeds::forget_user(s, f, c, user, MAX_DELETIONS_PER_CALL as u32)
        });
    DeletedData { items, done }
}

/// The backup endpoints' view of this shard (`canister_kit::backup_endpoints!`). The shard's
/// data version is its store's own (`Meta::data_version`, moved by every change).
pub struct Backup;

impl DataCanister for Backup {
    type Memory = Memory;
    type BeforeRestore = Meta;

    fn data_version() -> u64 {
        read(|s| s.meta().data_version)
    }

    fn data_memories() -> Vec<Memory> {
        memory::data()
    }

    fn with_snapshots<R>(f: impl FnOnce(&mut Snapshots<Memory>) -> R) -> R {
        SNAPSHOTS.with_borrow_mut(f)
    }

    fn before_restore() -> Meta {
        read(|s| s.meta().clone())
    }

    /// Re-opens the store and the feeds over the restored memories, brings a snapshot taken
    /// before an upgrade to this code's layout, and marks the restore (the reminders are rebuilt
    /// as a whole, from a timer: it awaits the notification canister).
    fn after_restore(before: Meta) -> u64 {
        STORE.with_borrow_mut(|s| *s = Store::init(memory::store()));
        FEEDS.with_borrow_mut(|f| *f = Feeds::init(memory::feeds()));
        crate::lifecycle::migrate_layout();
        mutate(|s| s.mark_restored(&before, ic_cdk::api::time()))
    }

    /// Per-method metrics and health, as for every other write.
    fn finish<T>(method: &'static str, result: Result<T, Error>) -> Result<T, Error> {
        crate::calls::finish(method, result)
    }
}

/// Charges one write to `caller`'s bucket (sized by the stored config).
pub fn charge_write(caller: candid::Principal, now_ns: u64) -> Result<(), Error> {
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
