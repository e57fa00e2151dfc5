//! The notification canister's timers: firing reminders at their moment, in batches of one
//! message each, and the hourly retention sweep.
//!
//! A one-shot timer is armed for the earliest due reminder whenever the queue changes, so a
//! reminder fires at its instant. A batch fires at most [`BATCH_MAX_REMINDERS`] reminders and
//! stops early when it has used [`BATCH_INSTRUCTION_BUDGET`] instructions; if more are due it
//! schedules the next batch as a new message (a zero-delay timer), so 100,000 reminders due at
//! once are many small messages, none near the instruction limit. Timers do not survive an
//! upgrade: [`arm_all`] runs from the lifecycle path and fires whatever came due meanwhile; a
//! slow interval timer is the safety net should a one-shot timer ever be lost.

use std::cell::Cell;
use std::time::Duration;

use canister_kit::lifecycle::every;
use ic_cdk::api::{performance_counter, time};
use ic_cdk_timers::TimerId;

use crate::state;

/// Reminders one batch fires at most.
pub const BATCH_MAX_REMINDERS: u64 = 1_000;
/// A batch stops taking reminders once it has used this many instructions (the limit of one
/// message is 40 billion; one reminder to 256 recipients with a window refill costs a few
/// hundred million at most, so a batch never ends far past this).
pub const BATCH_INSTRUCTION_BUDGET: u64 = 4_000_000_000;
/// Runs a batch even if no one-shot timer is armed.
const SAFETY_TICK: Duration = Duration::from_secs(5 * 60);
const MAINTENANCE_TICK: Duration = Duration::from_secs(60 * 60);
/// Items one maintenance message removes per collection at most.
const MAINTENANCE_STEP: usize = 5_000;

thread_local! {
    /// The one-shot timer armed for the earliest due reminder, and its moment.
    static ARMED: Cell<Option<(u64, TimerId)>> = const { Cell::new(None) };
    /// A zero-delay timer for the next batch is pending: another would only race it.
    static NEXT_BATCH_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Arms every timer; called from the lifecycle path (init and post_upgrade).
pub fn arm_all() {
    every(SAFETY_TICK, || async {
        // Should a pending next batch have been lost (its message trapped, which rolls back
        // the flag's reset too), this lets a new chain start; a duplicate chain is harmless.
        NEXT_BATCH_PENDING.set(false);
        fire_batch();
    });
    every(MAINTENANCE_TICK, || async { maintenance() });
    // Reminders that came due while the code was being replaced (or the canister was stopped)
    // fire now, in their own message.
    next_batch();
}

/// Runs another batch in a new message as soon as possible (once, however often asked).
fn next_batch() {
    if NEXT_BATCH_PENDING.replace(true) {
        return;
    }
    ic_cdk_timers::set_timer(Duration::ZERO, async {
        NEXT_BATCH_PENDING.set(false);
        fire_batch();
    });
}

/// Makes sure a timer is armed for the earliest due reminder; called after the queue changed.
pub fn arm() {
    let Some(due) = state::read(|s| s.next_due_ns()) else {
        return;
    };
    if let Some((armed_at, _)) = ARMED.get() {
        if armed_at <= due {
            return;
        }
    }
    disarm();
    let delay = Duration::from_nanos(due.saturating_sub(time()));
    let id = ic_cdk_timers::set_timer(delay, async { fire_batch() });
    ARMED.set(Some((due, id)));
}

/// After a restore replaced the queue: the armed moment may not exist any more, so fire what is
/// due now and arm for the restored queue's earliest reminder.
pub fn rearm() {
    disarm();
    next_batch();
}

fn disarm() {
    if let Some((_, id)) = ARMED.take() {
        ic_cdk_timers::clear_timer(id);
    }
}

/// One batch, in its own message. Nothing here awaits: taking a reminder off the queue and
/// delivering it commit together, so a batch that traps fires nothing and the next one starts
/// from the same queue.
fn fire_batch() {
    disarm();
    let now = time();
    let report = state::mutate(|s| {
        s.fire_due(now, BATCH_MAX_REMINDERS, &mut || {
            performance_counter(0) < BATCH_INSTRUCTION_BUDGET
        })
    });
    if report.reminders > 0 {
        let instructions = performance_counter(0);
        state::mutate(|s| s.record_batch(report.reminders, instructions));
    }
    if report.more_due {
        next_batch();
    } else {
        arm();
    }
}

/// Retention: old notifications, old tombstones and old acknowledged alerts, in bounded steps.
fn maintenance() {
    let now = time();
    let more = state::mutate(|s| {
        let notifications = s.expire_notifications(now, MAINTENANCE_STEP);
        let tombstones = s.expire_tombstones(now, MAINTENANCE_STEP);
        s.expire_alerts(now, MAINTENANCE_STEP);
        s.flush();
        notifications || tombstones
    });
    if more {
        ic_cdk_timers::set_timer(Duration::ZERO, async { maintenance() });
    }
}
