//! The registry's timer and awaiting flows: delivering keys and pushing snapshots to its
//! members, and expiring key overlaps.
//!
//! Every call starts from an outbox item in stable memory and the item goes only when the
//! member confirmed, so a stopped member, a timeout or an upgrade loses nothing: the timer runs
//! the outbox again later with growing delays, and members also pull on their own timer.

use std::cell::Cell;
use std::time::Duration;

use candid::Principal;
use canister_kit::lifecycle::every;
use canister_kit::outbox::{self, Next, RunLimits};
use interfaces::{clients, Error};

use crate::model::{OutboxItem, Work};
use crate::state;

/// How often the timer looks at the outbox and at expiring key overlaps.
const TICK: Duration = Duration::from_secs(10);
/// Items handled per batch; the loop takes batches until nothing is due (no per-run cap: every
/// item makes a call, so a run's instructions are spread over its messages).
const LIMITS: RunLimits = RunLimits {
    batch: 20,
    max_per_run: usize::MAX,
};

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Arms every timer; called from the lifecycle path (timers do not survive upgrades).
pub fn arm() {
    every(TICK, || async {
        state::mutate(|r| r.expire_key_overlaps(ic_cdk::api::time()));
        process_outbox().await;
    });
    // Work queued before an upgrade should not wait a whole tick.
    kick();
}

/// Runs the outbox soon, in its own message, without making the caller wait.
pub fn kick() {
    outbox::soon(process_outbox());
}

/// Runs every due item, one run at a time (`canister_kit::outbox::drain`).
pub async fn process_outbox() {
    outbox::drain(
        &RUNNING,
        LIMITS,
        |n| state::read(|r| r.due(ic_cdk::api::time(), n)),
        |(id, item)| async move {
            let target = item.target;
            let result = run(item).await;
            let now = ic_cdk::api::time();
            state::mutate(|r| match result {
                Ok(()) => r.complete(id),
                Err(err) => {
                    ic_cdk::println!("outbox item {id} for {target} failed: {err}");
                    r.fail(id, err.to_string(), now)
                }
            });
            Next::Continue
        },
        kick,
    )
    .await;
}

async fn run(item: OutboxItem) -> Result<(), Error> {
    match item.work {
        Work::PushSnapshot { group_id } => push_snapshot(item.target, &group_id).await,
        Work::DeliverKey { group_id } => deliver_key(item.target, &group_id).await,
    }
}

async fn push_snapshot(target: Principal, group_id: &str) -> Result<(), Error> {
    // The snapshot is read when the push runs, so a queued push always carries the newest state
    // (for a removed member: a snapshot without it).
    let snapshot = state::read(|r| r.snapshot(group_id))
        .ok_or_else(|| Error::not_found(format!("group {group_id}")))?;
    clients::member::receive_group_snapshot(target, &snapshot)
        .await
        .map(|_| ())
}

/// Check, reserve, await, commit: (1) draw randomness; (2) store only the new key's hash and
/// queue pushes of the new snapshot; (3) deliver the key; (4) on success mark it delivered. A
/// failed delivery is retried with a fresh key: the registry never keeps a key past the call
/// that delivers it.
async fn deliver_key(target: Principal, group_id: &str) -> Result<(), Error> {
    let bytes = ic_cdk::management_canister::raw_rand()
        .await
        .map_err(|e| Error::Unavailable {
            reason: format!("raw_rand failed: {e}"),
        })?;
    let seed: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| Error::Unavailable {
            reason: "raw_rand returned other than 32 bytes".into(),
        })?;
    // The member may have been removed while raw_rand was in flight; install_new_key checks again.
    let key = state::mutate(|r| r.install_new_key(group_id, target, &seed, ic_cdk::api::time()))?;
    clients::member::receive_access_key(target, group_id, key.expose_bytes()).await?;
    state::mutate(|r| r.mark_key_delivered(group_id, target));
    Ok(())
}
