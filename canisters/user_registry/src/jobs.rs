//! The user registry's timers and awaiting flows: its outbox of calls to other members of its
//! group (asking the load balancer for a user's shard, and asking every canister that may hold a
//! user's data to delete it), and the expiry of deletion receipts.
//!
//! Every call starts from an outbox item in stable memory, and the item goes only when the
//! callee answered Ok, so a missing load balancer, a stopped shard, a failed call or an upgrade
//! loses nothing: the timer runs the outbox again with growing delays. Each call carries this
//! canister's own access key; the callee checks it against its cached group.

use std::cell::Cell;
use std::time::Duration;

use candid::Principal;
use canister_kit::auth::{own_key, peer_of_kind};
use canister_kit::lifecycle::every;
use canister_kit::member;
use canister_kit::outbox::{self, Next, RunLimits};
use interfaces::{clients, CanisterKind, Error};

use crate::accounts::{Outcome, HOLDERS};
use crate::model::{OutboxItem, Work};
use crate::state;

/// How often the timer looks at the outbox (changes also run it at once).
const TICK: Duration = Duration::from_secs(10);
/// Items taken per batch, and per run before the rest is left to a new message, so a long queue
/// of items that fail without a call (no load balancer yet) never adds up to one message's
/// instruction limit.
const LIMITS: RunLimits = RunLimits {
    batch: 20,
    max_per_run: 200,
};

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Arms every timer; called from the lifecycle path (timers do not survive upgrades).
pub fn arm() {
    every(TICK, || async {
        state::mutate(|a| a.expire_receipts(ic_cdk::api::time()));
        process_outbox().await;
    });
    // Work queued before an upgrade should not wait a whole tick.
    kick();
}

/// Runs the outbox soon, in its own message, without making the caller wait.
pub fn kick() {
    outbox::soon(process_outbox());
}

/// Runs due items, oldest first, one run at a time (`canister_kit::outbox::drain`).
async fn process_outbox() {
    outbox::drain(
        &RUNNING,
        LIMITS,
        |n| state::read(|a| a.due(ic_cdk::api::time(), n)),
        |(id, item)| async move {
            let outcome = run(item).await;
            if let Err(err) = &outcome {
                ic_cdk::println!("outbox item {id} failed: {err}");
            }
            // The item is looked up again: the account may have been deleted during the call.
            state::mutate(|a| a.finish(id, outcome, ic_cdk::api::time()));
            Next::Continue
        },
        kick,
    )
    .await;
}

async fn run(item: OutboxItem) -> Result<Outcome, Error> {
    match item.work {
        Work::AssignShard { user } => {
            let balancer = peer_of_kind(CanisterKind::LoadBalancer)?;
            let key = own_key()?;
            clients::load_balancer::assign_user(balancer, key.expose_bytes(), user)
                .await
                .map(Outcome::Assigned)
        }
        Work::PlanDeletion { .. } => holders().map(Outcome::Planned),
        Work::DeleteUserData { user, target, kind } => {
            let kind = CanisterKind::from(kind);
            if !member::members_of_kind(kind).contains(&target) {
                return Ok(Outcome::Deleted(None));
            }
            let key = own_key()?;
            let key = key.expose_bytes();
            let deleted = match kind {
                CanisterKind::LoadBalancer => {
                    clients::load_balancer::delete_user_data(target, key, user).await
                }
                CanisterKind::Calendar => {
                    clients::calendar::delete_user_data(target, key, user).await
                }
                CanisterKind::Notification => {
                    clients::notification::delete_user_data(target, key, user).await
                }
                other => {
                    return Err(Error::Unavailable {
                        reason: format!("{other:?} holds no user data"),
                    })
                }
            }?;
            // Each call deletes a bounded batch: a step is done only when the callee says so.
            Ok(if deleted.done {
                Outcome::Deleted(Some(deleted.items))
            } else {
                Outcome::DeletedBatch(deleted.items)
            })
        }
    }
}

/// The canisters that may hold a user's data, from the cached group snapshot; `None` before
/// this canister has its first snapshot (then it cannot know, and deletion waits).
pub fn known_holders() -> Option<Vec<(Principal, CanisterKind)>> {
    member::status().group_id.as_ref()?;
    Some(
        HOLDERS
            .iter()
            .flat_map(|&kind| {
                member::members_of_kind(kind)
                    .into_iter()
                    .map(move |p| (p, kind))
            })
            .collect(),
    )
}

fn holders() -> Result<Vec<(Principal, CanisterKind)>, Error> {
    known_holders().ok_or(Error::Unavailable {
        reason: "this canister has no group snapshot yet".into(),
    })
}
