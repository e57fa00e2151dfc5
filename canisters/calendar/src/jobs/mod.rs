//! The shard's timers and awaiting flows: delivering the store's reminder outbox to the
//! notification canister (here), invitations to attendees' home shards ([`invitations`]),
//! refreshing subscriptions to outside feeds ([`subscriptions`]), and asking other shards for
//! team free/busy ([`team`]).
//!
//! Every event change records the event's latest reminder update in a stable outbox (keyed by
//! event, so repeated changes coalesce). A timer sends batches with an unbounded-wait call; an
//! entry leaves the outbox only when the notification canister confirmed it and no newer update
//! replaced it meanwhile. If the notification canister is missing, stopped or failing, the
//! entries stay and the next tick retries: no reminder change is lost.
//!
//! After a restore the flush first rebuilds the notification canister's view of this shard
//! (`store::ReminderResync`): it asks it to forget every plan of this shard, then queues every
//! event with reminders again, a batch per message, delivering as it goes.

use std::cell::Cell;
use std::time::Duration;

use canister_kit::auth::{own_key, peer_of_kind};
use canister_kit::lifecycle::every;
use canister_kit::{outbox, single_flight};
use interfaces::clients::notification;
use interfaces::notification::MAX_UPDATES_PER_SYNC;
use interfaces::CanisterKind;
use interfaces::Error;

use crate::state;

pub mod invitations;
pub mod subscriptions;
pub mod team;

/// How often the outbox is flushed (changes also schedule an immediate flush).
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(30);
const BATCH: usize = if MAX_UPDATES_PER_SYNC < 200 {
    MAX_UPDATES_PER_SYNC
} else {
    200
};

/// Largest encoded batch per call.
const MAX_BATCH_BYTES: usize = 1 << 20;
/// Events looked at per message when queuing every plan again after a restore.
const REQUEUE_BATCH: usize = 500;

thread_local! {
    static FLUSHING: Cell<bool> = const { Cell::new(false) };
    static LAST_ERROR: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Arms every timer; called from the lifecycle path (timers do not survive upgrades).
pub fn arm() {
    every(FLUSH_INTERVAL, || async { flush().await });
    invitations::arm();
    every(subscriptions::REFRESH_INTERVAL, || async {
        subscriptions::refresh_all().await
    });
}

/// Schedules a flush right after the current message (a change was just queued).
pub fn flush_soon() {
    invitations::deliver_soon();
    let pending = state::read(|s| s.outbox_len() > 0 || s.meta().reminder_resync.is_some());
    if !FLUSHING.get() && pending {
        outbox::soon(flush());
    }
}

pub fn last_error() -> Option<String> {
    LAST_ERROR.with_borrow(|e| e.clone())
}

/// Sends the outbox in batches until it is empty or a call fails; after a restore, rebuilds
/// the notification canister's view of this shard first.
pub async fn flush() {
    // One flush at a time, so batches stay in order per event.
    let Some(_running) = single_flight::begin(&FLUSHING) else {
        return;
    };
    let Some((target, key)) = notification_and_key() else {
        return;
    };
    if let Err(e) = forget_own_plans(target, &key).await {
        LAST_ERROR.set(Some(e.to_string()));
        return;
    }
    let shard = ic_cdk::api::canister_self();
    loop {
        let more_to_queue = state::mutate(|s| s.requeue_reminders(shard, REQUEUE_BATCH));
        let mut batch = state::read(|s| s.outbox_batch(BATCH));
        // An event may carry up to 1,000 exdates and 1,000 overrides: cap the call by size too,
        // well under the 2 MiB message limit (always at least one update per call).
        let mut bytes = 0;
        let fits = batch
            .iter()
            .take_while(|(_, u)| {
                bytes += candid::encode_one(u).map_or(usize::MAX / 2, |b| b.len());
                bytes <= MAX_BATCH_BYTES
            })
            .count();
        batch.truncate(fits.max(1));
        if batch.is_empty() {
            if more_to_queue {
                // None of those events had reminders: go on in a new message, so the work of
                // one stays bounded.
                outbox::soon(flush());
            }
            break;
        }
        let updates: Vec<_> = batch.iter().map(|(_, u)| u.clone()).collect();
        // Other messages run during this await; they may replace entries of this batch, which
        // `outbox_delivered` then keeps.
        match notification::sync_reminders(target, &key, &updates).await {
            Ok(()) => {
                state::mutate(|s| s.outbox_delivered(&batch));
                LAST_ERROR.set(None);
            }
            Err(e) => {
                LAST_ERROR.set(Some(e.to_string()));
                break;
            }
        }
    }
}

/// The notification canister and this shard's key, or `None` (and the reason kept) before the
/// group gave them.
fn notification_and_key() -> Option<(candid::Principal, Vec<u8>)> {
    let found = peer_of_kind(CanisterKind::Notification)
        .and_then(|target| own_key().map(|key| (target, key.expose_bytes().to_vec())));
    match found {
        Ok(found) => Some(found),
        Err(e) => {
            LAST_ERROR.set(Some(e.to_string()));
            None
        }
    }
}

/// After a restore: asks the notification canister to forget every plan of this shard, a batch
/// per call, before any plan is delivered again. Nothing to do otherwise.
async fn forget_own_plans(target: candid::Principal, key: &[u8]) -> Result<(), Error> {
    let shard = ic_cdk::api::canister_self();
    while !state::read(|s| s.outbox_deliverable()) {
        // Changes made while this awaits are queued in the outbox and delivered after it.
        let reset = notification::forget_shard_reminders(target, key, shard).await?;
        if reset.done {
            state::mutate(|s| s.reminders_forgotten());
        }
    }
    Ok(())
}
