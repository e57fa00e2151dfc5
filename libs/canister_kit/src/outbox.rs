//! One stable outbox for every call that must not be lost (a shard request, a deletion step, a
//! key delivery, a reminder batch): the item waits in stable memory until its callee confirmed,
//! so a stopped callee, a failed call or an upgrade loses nothing.
//!
//! - [`Backoff`]: when a failed item is tried again (the delay doubles per failed attempt, up to
//!   a cap), the one formula every outbox uses;
//! - [`DueIndex`]: the items in the order they are due, `(next attempt ns, id)`, so taking the
//!   due ones reads only those;
//! - [`drain`]: the runner: one run at a time (`single_flight`), due items in batches, at most a
//!   bounded number per message (the rest goes on in a new one), each item's call awaited in turn.

use std::future::Future;
use std::time::Duration;

use ic_stable_structures::{Memory, StableBTreeMap};

use crate::single_flight::{self, Flag};

/// Retry delays: `base_ns` after the first failure, doubling with each further one, never more
/// than `max_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base_ns: u64,
    pub max_ns: u64,
}

impl Backoff {
    /// How long to wait after the `attempts`-th failed attempt (1 for the first failure).
    pub fn delay_ns(&self, attempts: u32) -> u64 {
        // 2^16 times the base is past every cap in use; the shift stays in range.
        self.base_ns
            .saturating_mul(1u64 << attempts.saturating_sub(1).min(16))
            .min(self.max_ns)
    }

    /// When to try again after the `attempts`-th failure at `now_ns`.
    pub fn next_attempt_ns(&self, now_ns: u64, attempts: u32) -> u64 {
        now_ns.saturating_add(self.delay_ns(attempts))
    }
}

/// Outbox item ids in the order they are due: `(next attempt ns, id)`.
pub struct DueIndex<M: Memory>(StableBTreeMap<(u64, u64), (), M>);

impl<M: Memory> DueIndex<M> {
    pub fn init(memory: M) -> Self {
        Self(StableBTreeMap::init(memory))
    }

    pub fn schedule(&mut self, id: u64, at_ns: u64) {
        self.0.insert((at_ns, id), ());
    }

    pub fn unschedule(&mut self, id: u64, at_ns: u64) {
        self.0.remove(&(at_ns, id));
    }

    /// Moves item `id` from `from_ns` to `to_ns`.
    pub fn reschedule(&mut self, id: u64, from_ns: u64, to_ns: u64) {
        self.unschedule(id, from_ns);
        self.schedule(id, to_ns);
    }

    /// Ids due at `now_ns`, earliest first, at most `limit`.
    pub fn due(&self, now_ns: u64, limit: usize) -> Vec<u64> {
        self.0
            .keys_range(..=(now_ns, u64::MAX))
            .take(limit)
            .map(|(_, id)| id)
            .collect()
    }

    /// Forgets every scheduled id.
    pub fn clear(&mut self) {
        self.0.clear_new();
    }

    pub fn len(&self) -> u64 {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How much one run takes: due items are read `batch` at a time, and a run handles at most
/// `max_per_run` before it hands the rest to a new message (so a long queue of items that fail
/// without a call never adds up to one message's instruction limit).
#[derive(Clone, Copy, Debug)]
pub struct RunLimits {
    pub batch: usize,
    pub max_per_run: usize,
}

/// What a run does after an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// Stop this run (e.g. the callee is down: the next items would fail the same way).
    Stop,
}

/// Runs due items until none is due, the run's budget is spent (then `more_later` schedules the
/// next run) or `run` says stop. `due(limit)` reads the due items; `run(item)` makes the item's
/// call and records its outcome. Only one run at a time per `running` flag: a second caller
/// returns at once, and the run in progress picks up what was queued meanwhile because it reads
/// the due items again after each batch.
pub async fn drain<I, Fut>(
    running: &'static Flag,
    limits: RunLimits,
    mut due: impl FnMut(usize) -> Vec<I>,
    mut run: impl FnMut(I) -> Fut,
    more_later: impl FnOnce(),
) where
    Fut: Future<Output = Next>,
{
    let Some(_running) = single_flight::begin(running) else {
        return;
    };
    let mut handled = 0;
    loop {
        if handled >= limits.max_per_run {
            more_later();
            return;
        }
        let batch = due(limits.batch.min(limits.max_per_run - handled));
        if batch.is_empty() {
            return;
        }
        for item in batch {
            handled += 1;
            // Other messages run during this await; `run` records the outcome against what is
            // stored then, not against what was read before it.
            if run(item).await == Next::Stop {
                return;
            }
        }
    }
}

/// Runs `job` in its own message right after this one (a zero-delay timer): work just queued
/// starts without making the caller wait for it.
pub fn soon<F: Future<Output = ()> + 'static>(job: F) {
    ic_cdk_timers::set_timer(Duration::ZERO, job);
}

#[cfg(test)]
mod tests;
