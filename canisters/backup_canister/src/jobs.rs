//! The backup canister's timer and its awaiting flows: the cycle over the group's data
//! canisters, one pull, and the operator alert when one fails.
//!
//! A pull spans many messages (each chunk is one call), so it follows reserve, await, commit or
//! compensate: (1) reserve the snapshot in the store, which also blocks a second pull of the same
//! canister; (2) ask the source to stage a consistent copy (`export_begin`: one message on the
//! source, so writes that arrive while chunks are pulled are not in it); (3) pull each chunk,
//! hash it, store it; (4) complete if the hash over the stream matches the source's, or fail and
//! delete what was stored. Any failure raises an operator alert.

use std::cell::Cell;
use std::time::Duration;

use candid::Principal;
use canister_kit::single_flight;
use ic_cdk::api::time;
use interfaces::backup::{CycleReport, SnapshotTrigger};
use interfaces::clients;
use interfaces::notification::{AlertInput, AlertKind, AlertSeverity};
use interfaces::{CanisterKind, Error};
use sha2::{Digest, Sha256};

use crate::state;

/// The kinds whose data the backup canister keeps.
pub const DATA_KINDS: [CanisterKind; 3] = [
    CanisterKind::Calendar,
    CanisterKind::Notification,
    CanisterKind::UserRegistry,
];

thread_local! {
    static CYCLE_RUNNING: Cell<bool> = const { Cell::new(false) };
    static TIMER: Cell<Option<ic_cdk_timers::TimerId>> = const { Cell::new(None) };
}

/// (Re-)arms the cycle timer at the configured interval; from the lifecycle path (timers do not
/// survive an upgrade) and after the interval is changed.
pub fn arm() {
    if let Some(id) = TIMER.take() {
        ic_cdk_timers::clear_timer(id);
    }
    let every = Duration::from_secs(state::read(|s| s.config().interval_secs));
    let id = ic_cdk_timers::set_timer_interval(every, || async { run_cycle().await });
    TIMER.set(Some(id));
}

/// This canister's key as the clients take it.
pub fn own_key() -> Result<Vec<u8>, Error> {
    canister_kit::auth::own_key().map(|k| k.expose_bytes().to_vec())
}

/// One run of the timer: every data canister of the group whose data version moved since its
/// last snapshot is snapshotted; the others cost one small query each. Then retention.
pub async fn run_cycle() {
    let Some(_running) = single_flight::begin(&CYCLE_RUNNING) else {
        // The previous run is still pulling (a large canister); it will see the change.
        return;
    };
    let mut report = CycleReport {
        started_at_ns: time(),
        ..Default::default()
    };
    let Ok(key) = own_key() else {
        return;
    };
    for kind in DATA_KINDS {
        for canister in canister_kit::member::members_of_kind(kind) {
            report.checked += 1;
            // Nothing is reserved before this await: a failed check only records the error.
            match clients::snapshot::data_version(canister, &key).await {
                Ok(version) if !state::read(|s| s.needs_snapshot(&canister, version)) => {
                    report.unchanged += 1;
                    state::mutate(|s| s.note_unchanged());
                }
                Ok(_) => match snapshot(canister, kind, SnapshotTrigger::Scheduled).await {
                    Ok(id) => report.snapshots.push(id),
                    Err(_) => report.failed += 1,
                },
                Err(err) => {
                    report.failed += 1;
                    let reason = format!("reading the data version failed: {err}");
                    state::mutate(|s| s.note_error(canister, kind, &reason));
                    alert(canister, &reason).await;
                }
            }
        }
    }
    let now = time();
    report.deleted = state::mutate(|s| s.apply_retention(now));
    report.finished_at_ns = now;
    state::mutate(|s| s.record_cycle(report));
}

/// Takes one snapshot of `canister` now, whatever its data version; answers its id. A failure
/// is recorded on the snapshot and raised as an operator alert.
pub async fn snapshot(
    canister: Principal,
    kind: CanisterKind,
    trigger: SnapshotTrigger,
) -> Result<u64, Error> {
    let key = own_key()?;
    // (1) Reserve.
    let id = state::mutate(|s| s.begin(canister, kind, trigger, time()))?;
    match pull(id, canister, &key).await {
        Ok(()) => Ok(id),
        Err(err) => {
            // (4) Compensate: the snapshot fails and its chunks are deleted.
            let reason = format!("snapshot {id} failed: {err}");
            state::mutate(|s| s.fail(id, &reason, time()));
            alert(canister, &reason).await;
            Err(err)
        }
    }
}

async fn pull(id: u64, canister: Principal, key: &[u8]) -> Result<(), Error> {
    // (2) The source stages one consistent copy; from here on only its chunks are read.
    let manifest = clients::snapshot::export_begin(canister, key).await?;
    state::mutate(|s| s.set_manifest(id, &manifest))?;
    // (3) Each chunk is its own call and its own message here. The stored record says which
    // snapshot it belongs to, so a chunk that arrives for a snapshot an upgrade abandoned is
    // refused by `put_chunk`.
    let mut hasher = Sha256::new();
    for index in 0..manifest.chunk_count {
        let bytes =
            clients::snapshot::export_chunk(canister, key, manifest.export_id, index).await?;
        hasher.update(&bytes);
        state::mutate(|s| s.put_chunk(id, index, bytes))?;
        // This callback is its own message: the counter measures this chunk alone.
        let used = ic_cdk::api::performance_counter(0);
        state::mutate(|s| s.record_chunk_instructions(used));
    }
    state::mutate(|s| s.complete(id, &hasher.finalize(), time()))
}

/// Raises a `BackupFailed` alert about `subject` at the group's notification canister. Best
/// effort: if it cannot be raised, why is kept for `get_backup_stats`, and the next failure
/// raises it again.
pub async fn alert(subject: Principal, message: &str) {
    let outcome = match (
        own_key(),
        canister_kit::auth::peer_of_kind(CanisterKind::Notification),
    ) {
        (Ok(key), Ok(notification)) => {
            let input = AlertInput {
                kind: AlertKind::BackupFailed,
                severity: AlertSeverity::Critical,
                subject: Some(subject),
                message: message
                    .chars()
                    .take(interfaces::notification::MAX_ALERT_MESSAGE_CHARS)
                    .collect(),
            };
            clients::notification::raise_alert(notification, &key, &input)
                .await
                .map(|_| ())
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    state::mutate(|s| s.set_alert_error(outcome.err().map(|e| e.to_string())));
}
