//! Scale-out: creating a calendar shard from the wasm stored in the registry (the steps are
//! `canister_kit::provision`'s, shared with the backup canister's restore into a new shard).
//!
//! The flow follows check, reserve, await, commit: (1) the guard in `scale_out_guard.rs` admits
//! it (daily cap, cycles floor; a refusal alerts the operator) and `reserve_spawn` records the
//! scale-out in stable memory, so no second one starts while this one awaits; (2) fetch the
//! stored wasm in chunks from the registry and check its SHA-256; (3) create a canister with cycles, controlled
//! by this canister and by whoever controls this canister (the operator keeps every shard); (4)
//! install the wasm, chunk by chunk through the shard's chunk store, with this group's registry
//! as its `MemberInit`; (5) add it to the group as a calendar member (this canister must be a
//! registry admin with `ManageGroups`); (6) commit: track it as a healthy shard that takes new
//! users. Each completed step is stored, so a failure resumes at the failed step on the next
//! health round with the same canister; a failure before a canister exists just releases the
//! reservation.

use std::cell::Cell;

use canister_kit::auth::{own_key, peer_of_kind};
use canister_kit::{outbox, provision, single_flight};
use interfaces::notification::{AlertInput, AlertKind, AlertSeverity, MAX_ALERT_MESSAGE_CHARS};
use interfaces::{clients, CanisterKind, Error};

use crate::model::{Refusal, SpawnStage};
use crate::scale_out_guard::alert_answered;
use crate::state::{self, group_shards};

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Runs the scale-out soon, in its own message (after an assignment found every shard full).
pub fn kick() {
    outbox::soon(run());
}

/// Starts a scale-out if one is needed, or resumes the one under way.
pub async fn run() {
    let Some(_running) = single_flight::begin(&RUNNING) else {
        return;
    };
    let shards = group_shards();
    let now = ic_cdk::api::time();
    // (1) Reserve, or find the reservation a failed attempt left. A new scale-out first passes
    // the guard (daily cap, cycles floor); a refusal alerts the operator instead.
    let resuming = state::read(|b| b.spawn().is_some());
    if !resuming {
        if !state::read(|b| b.needs_scale_out(&shards)) {
            return;
        }
        let balance = ic_cdk::api::canister_cycle_balance();
        match state::mutate(|b| b.admit_scale_out(now, balance)) {
            Ok(()) => {}
            Err(Some(refusal)) => return alert_operator(refusal).await,
            Err(None) => return,
        }
        // No await since the guard admitted it, so the reservation sees the same state.
        if !state::mutate(|b| b.reserve_spawn(&shards, now)) {
            return;
        }
    }
    if let Err(err) = advance().await {
        ic_cdk::println!("scale-out failed: {err}");
        state::mutate(|b| b.spawn_failed(err.to_string()));
    }
}

/// Runs the remaining steps of the stored scale-out.
async fn advance() -> Result<(), Error> {
    loop {
        let Some(spawn) = state::read(|b| b.spawn()) else {
            return Ok(());
        };
        match spawn.stage {
            SpawnStage::Creating => {
                // (2) Fetched before the canister is created, so a missing or corrupt wasm costs
                // no cycles.
                let wasm = provision::fetch_calendar_wasm().await?;
                // (3) The cycles leave with this call; the canister is recorded as soon as it
                // exists, so a later failure never creates a second one.
                let cycles = state::read(|b| b.config().new_shard_cycles);
                let canister = provision::create_controlled_canister(cycles).await?;
                state::mutate(|b| {
                    b.shard_created(ic_cdk::api::time());
                    b.spawn_advanced(SpawnStage::Installing { canister })
                });
                provision::install_member(canister, &wasm, false).await?;
                state::mutate(|b| b.spawn_advanced(SpawnStage::Registering { canister }));
            }
            SpawnStage::Installing { canister } => {
                let wasm = provision::fetch_calendar_wasm().await?;
                // (4) A retry reinstalls: the canister holds no data yet.
                provision::install_member(canister, &wasm, true).await?;
                state::mutate(|b| b.spawn_advanced(SpawnStage::Registering { canister }));
            }
            SpawnStage::Registering { canister } => {
                // (5) The registry delivers the new shard's key and pushes the new snapshot
                // (to this canister too) before it answers.
                provision::join_group(canister).await?;
                // (6) Commit.
                state::mutate(|b| b.spawn_done(canister));
                ic_cdk::println!("new calendar shard {canister} takes users");
                return Ok(());
            }
        }
    }
}

/// Raises the operator alert for `refusal` (bounded wait, best effort: a failure is recorded
/// and the next health round, which finds the shards still full, tries again).
pub async fn alert_operator(refusal: Refusal) {
    let result = raise(&refusal).await;
    if let Err(err) = &result {
        ic_cdk::println!("scale-out refusal alert failed: {err}");
    }
    let now = ic_cdk::api::time();
    state::mutate(|b| {
        b.with_guard(|g| alert_answered(g, &refusal, result.map_err(|e| e.to_string()), now))
    });
}

async fn raise(refusal: &Refusal) -> Result<u64, Error> {
    let notification = peer_of_kind(CanisterKind::Notification)?;
    let key = own_key()?;
    let (kind, severity) = match refusal {
        Refusal::DailyCap { .. } => (AlertKind::Other, AlertSeverity::Warning),
        Refusal::CyclesFloor { .. } => (AlertKind::CyclesLow, AlertSeverity::Critical),
    };
    let message: String = format!("scale-out refused: {}", refusal.describe())
        .chars()
        .take(MAX_ALERT_MESSAGE_CHARS)
        .collect();
    let alert = AlertInput {
        kind,
        severity,
        subject: Some(ic_cdk::api::canister_self()),
        message,
    };
    clients::notification::raise_alert(notification, key.expose_bytes(), &alert).await
}
