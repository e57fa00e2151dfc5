//! Delivering invitations: the organizer side's stable outbox (`store::Invitations`) goes to
//! each attendee's home shard.
//!
//! A run reads the due messages, finds each attendee's home shard (a heap cache of the load
//! balancer's directory, filled with one `lookup_shards` call per batch of unknown attendees:
//! assignments are sticky, so a cached answer stays right until a restore moves a lost shard's
//! users, and a failed call forgets the failed shard's entries), groups the messages by shard and
//! makes one `deliver_invitations` group call per shard and batch. Messages for this shard's
//! own users are applied here without a call (the same records, the same rules). A message
//! leaves the outbox only after its shard confirmed it; a failed call (a stopped or missing
//! shard, the balancer unreachable) schedules it again with `Backoff`, and the timer and every
//! write try again. A user the balancer never assigned has no calendar to hold the invitation:
//! their message is dropped (a later change of the event queues it again).
//!
//! After a restore (`store::InvitationForget`) a run first has every calendar shard of the group
//! forget the invitations it holds from this one (`forget_invitations`, a page per call; this
//! shard's own users without a call), and the invitations of every restored event are queued
//! again, a batch per message. A shard gets messages again only once it confirmed: one that
//! does not answer is asked again on the next run, and its messages wait. A shard restored into
//! a canister that held no invitations also asks every other shard to send its users'
//! invitations again (`resend_invitations`).
//!
//! The kit's `outbox::drain` awaits one item at a time; invitations are grouped into one call
//! per target shard instead (100 attendees on 4 shards: 4 calls, not 100), so the run is
//! written here over the kit's `Backoff`, `DueIndex` and `single_flight`.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use candid::Principal;
use canister_kit::auth::{own_key, peer_of_kind};
use canister_kit::lifecycle::every;
use canister_kit::outbox::{self, Backoff};
use canister_kit::single_flight;
use interfaces::calendar::MAX_DELETIONS_PER_CALL;
use interfaces::clients::{calendar, load_balancer};
use interfaces::invitation::{
    InvitationDeliveryStatus, InvitationMessage, MAX_INVITATIONS_PER_DELIVERY,
};
use interfaces::{CanisterKind, Error};

use crate::state;
use crate::store::Ctx;

/// How often due invitations are looked for (every write also starts a run).
pub const DELIVERY_INTERVAL: Duration = Duration::from_secs(10);
/// Retry delays of a failed delivery: 5 s, doubling, at most 10 minutes.
pub const BACKOFF: Backoff = Backoff {
    base_ns: 5_000_000_000,
    max_ns: 600_000_000_000,
};
/// Due messages read per batch.
const BATCH: usize = 500;
/// Batches one run handles before it goes on in a new message.
const MAX_BATCHES_PER_RUN: usize = 20;
/// Events looked at per batch when queuing every invitation again after a restore.
const REQUEUE_BATCH: usize = 200;

/// Counters since the code started (heap: they describe this code's work, not stored data).
#[derive(Default, Clone, Copy)]
pub struct Counters {
    pub calls_made: u64,
    pub lookups_made: u64,
    pub delivered_locally: u64,
}

thread_local! {
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
    static DIRECTORY: RefCell<HashMap<Principal, Principal>> = RefCell::new(HashMap::new());
    static COUNTERS: Cell<Counters> = Cell::new(Counters::default());
    static LAST_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub fn arm() {
    every(DELIVERY_INTERVAL, || async { deliver().await });
}

/// Starts a run right after this message when messages are due.
pub fn deliver_soon() {
    let now = ic_cdk::api::time();
    let due = state::read(|s| {
        let m = s.meta();
        m.invitation_forget.is_some()
            || m.invitation_requeue_from.is_some()
            || !s.invitations().due(now, 1).is_empty()
    });
    if due && !DELIVERING.get() {
        outbox::soon(deliver());
    }
}

pub fn counters() -> Counters {
    COUNTERS.get()
}

pub fn last_error() -> Option<String> {
    LAST_ERROR.with_borrow(|e| e.clone())
}

/// How delivering this shard's invitations stands (`get_invitation_delivery_status`).
pub fn status() -> InvitationDeliveryStatus {
    let counters = counters();
    state::read(|s| InvitationDeliveryStatus {
        pending: s.invitations().pending_len(),
        calls_made: counters.calls_made,
        lookups_made: counters.lookups_made,
        delivered_locally: counters.delivered_locally,
        invitations_held: s.invitations().held_len(),
        last_error: last_error(),
    })
}

fn count(f: impl FnOnce(&mut Counters)) {
    let mut c = COUNTERS.get();
    f(&mut c);
    COUNTERS.set(c);
}

/// Delivers due messages until none is due, a call fails, or the run's budget is spent.
pub async fn deliver() {
    // One run at a time, so a newer message for an attendee never overtakes an older one.
    let Some(_running) = single_flight::begin(&DELIVERING) else {
        return;
    };
    if !forget_everywhere().await {
        // This shard's own users still hold some: go on in a new message.
        return outbox::soon(deliver());
    }
    for _ in 0..MAX_BATCHES_PER_RUN {
        let more_to_queue = state::mutate(|s| s.requeue_invitations(&ctx_now(), REQUEUE_BATCH));
        let batch = state::read(|s| s.invitations().due(ic_cdk::api::time(), BATCH));
        if batch.is_empty() {
            if more_to_queue {
                // None of those events had attendees: go on in a new message, so the work of
                // one stays bounded.
                outbox::soon(deliver());
            }
            return;
        }
        if !deliver_batch(batch).await {
            return;
        }
    }
    // More than one run's budget is due: go on in a new message.
    outbox::soon(deliver());
}

/// This shard as the organizer, now.
fn ctx_now() -> Ctx {
    let shard = ic_cdk::api::canister_self();
    Ctx {
        caller: shard,
        now_ns: ic_cdk::api::time(),
        shard,
    }
}

/// After a restore: asks each calendar shard that has not confirmed yet (this one included) to
/// forget the invitations it holds from this shard, and after a restore into a new canister to
/// send this shard's users theirs again. A shard that does not answer is asked again on the
/// next run; meanwhile messages for it wait (`deliver_batch`). False when this shard's own
/// users still hold some after one page (the run goes on in a new message).
async fn forget_everywhere() -> bool {
    let Some(forget) = state::read(|s| s.meta().invitation_forget.clone()) else {
        return true;
    };
    let own = ic_cdk::api::canister_self();
    let mut shards = canister_kit::member::members_of_kind(CanisterKind::Calendar);
    if !shards.contains(&own) {
        shards.push(own);
    }
    let key = match own_key() {
        Ok(key) => key.expose_bytes().to_vec(),
        Err(e) => {
            LAST_ERROR.set(Some(e.to_string()));
            return true;
        }
    };
    for &shard in shards.iter().filter(|s| !forget.forgotten_by.contains(s)) {
        if shard == own {
            let (_, done) = state::mutate(|s| {
                s.invitations_mut()
                    .forget_organizer(&own, MAX_DELETIONS_PER_CALL)
            });
            if !done {
                return false;
            }
        } else if let Err(e) = forget_there(shard, &key, forget.ask_resend).await {
            LAST_ERROR.set(Some(e.to_string()));
            continue;
        }
        state::mutate(|s| s.invitations_forgotten_by(shard, &shards));
    }
    true
}

/// Has `shard` forget what it holds from this one, a page per call (idempotent, so a run that
/// stopped halfway asks again), then, if asked, send this shard's users their invitations.
/// Changes made while this awaits are queued and delivered after it.
async fn forget_there(shard: Principal, key: &[u8], ask_resend: bool) -> Result<(), Error> {
    loop {
        count(|c| c.calls_made += 1);
        if calendar::forget_invitations(shard, key).await?.done {
            break;
        }
    }
    if ask_resend {
        count(|c| c.calls_made += 1);
        calendar::resend_invitations(shard, key).await?;
    }
    Ok(())
}

/// Delivers one batch; false when a failure should end the run.
async fn deliver_batch(batch: Vec<(u64, InvitationMessage)>) -> bool {
    let key = match own_key() {
        Ok(key) => key.expose_bytes().to_vec(),
        Err(e) => return give_up(&batch, e),
    };
    if let Err(e) = resolve(&batch, &key).await {
        return give_up(&batch, e);
    }
    let own = ic_cdk::api::canister_self();
    let mut by_shard: BTreeMap<Principal, Vec<(u64, InvitationMessage)>> = BTreeMap::new();
    let mut nowhere = Vec::new();
    for item in batch {
        match DIRECTORY.with_borrow(|d| d.get(&item.1.attendee).copied()) {
            Some(shard) => by_shard.entry(shard).or_default().push(item),
            None => nowhere.push(item),
        }
    }
    state::mutate(|s| s.invitations_mut().delivered(&nowhere));
    let mut all_ok = true;
    for (shard, items) in by_shard {
        if !state::read(|s| s.may_deliver_invitations_to(&shard)) {
            // That shard has still to forget what it held from this one before a restore: its
            // messages wait like a failed delivery (and its users are looked up again, in case
            // a shard restored in its place holds them now).
            LAST_ERROR.set(Some(format!(
                "waiting for {shard} to forget this shard's invitations"
            )));
            state::mutate(|s| {
                s.invitations_mut()
                    .failed(&items, ic_cdk::api::time(), BACKOFF)
            });
            forget_shard(shard);
            all_ok = false;
            continue;
        }
        for chunk in items.chunks(MAX_INVITATIONS_PER_DELIVERY) {
            let messages: Vec<InvitationMessage> = chunk.iter().map(|(_, m)| m.clone()).collect();
            let outcome = if shard == own {
                // The attendee lives here: the same records, without a call.
                count(|c| c.delivered_locally += messages.len() as u64);
                state::mutate(|s| s.invitations_mut().receive(own, messages))
            } else {
                count(|c| c.calls_made += 1);
                // Other messages run during this await; `delivered` and `failed` compare with
                // what is stored then, so a newer message queued meanwhile stays.
                calendar::deliver_invitations(shard, &key, &messages).await
            };
            let now = ic_cdk::api::time();
            match outcome {
                Ok(_) => state::mutate(|s| s.invitations_mut().delivered(chunk)),
                Err(e) => {
                    LAST_ERROR.set(Some(e.to_string()));
                    state::mutate(|s| s.invitations_mut().failed(chunk, now, BACKOFF));
                    forget_shard(shard);
                    all_ok = false;
                }
            }
        }
    }
    if all_ok {
        LAST_ERROR.set(None);
    }
    // A stopped shard fails only its own messages; the others were delivered. Its messages
    // now wait for their backoff, so the run may go on with whatever else is due.
    true
}

/// Fills the directory cache for the batch's attendees it does not know yet.
async fn resolve(batch: &[(u64, InvitationMessage)], key: &[u8]) -> Result<(), Error> {
    let attendees: Vec<Principal> = batch.iter().map(|(_, m)| m.attendee).collect();
    learn_homes(&attendees, key).await
}

/// Each user's home shard, `None` for a user the balancer never assigned: from the directory
/// cache, asking the balancer for the others (team free/busy; a composite query keeps nothing
/// it learns, so each such query asks again for the users this shard never delivered to).
pub async fn homes(users: &[Principal]) -> Result<Vec<Option<Principal>>, Error> {
    let key = own_key()?.expose_bytes().to_vec();
    learn_homes(users, &key).await?;
    Ok(DIRECTORY.with_borrow(|d| users.iter().map(|u| d.get(u).copied()).collect()))
}

/// Fills the directory cache for the users it does not know yet (one balancer call).
async fn learn_homes(users: &[Principal], key: &[u8]) -> Result<(), Error> {
    let mut unknown: Vec<Principal> = users
        .iter()
        .copied()
        .filter(|a| DIRECTORY.with_borrow(|d| !d.contains_key(a)))
        .collect();
    unknown.sort();
    unknown.dedup();
    if unknown.is_empty() {
        return Ok(());
    }
    let balancer = peer_of_kind(CanisterKind::LoadBalancer)?;
    count(|c| c.lookups_made += 1);
    // Sticky assignments: whatever other messages do during this await, the answer stays true.
    let found = load_balancer::lookup_shards(balancer, key, &unknown).await?;
    // Only assignments are kept: a user without one may sign up later.
    DIRECTORY
        .with_borrow_mut(|d| d.extend(found.into_iter().filter_map(|(u, s)| s.map(|s| (u, s)))));
    Ok(())
}

/// Forgets which users live on `shard` after a call to it failed: a lost shard's users move to
/// the shard restored in its place (the balancer's `replace_shard`), so the next try asks the
/// balancer again instead of knocking on the lost shard forever. A shard that was only stopped
/// costs one lookup per retry.
fn forget_shard(shard: Principal) {
    DIRECTORY.with_borrow_mut(|d| d.retain(|_, home| *home != shard));
}

/// Records why the batch could not go and schedules it again.
fn give_up(batch: &[(u64, InvitationMessage)], e: Error) -> bool {
    LAST_ERROR.set(Some(e.to_string()));
    let now = ic_cdk::api::time();
    state::mutate(|s| s.invitations_mut().failed(batch, now, BACKOFF));
    false
}
