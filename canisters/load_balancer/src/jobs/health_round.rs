//! The health round, on a timer: every interval, check each calendar shard of the group with a bounded-wait
//! `health_check`, apply the health rules, pay what is owed for shards that turned unhealthy
//! (an emergency backup request, an operator alert), reseed the random generator from
//! `raw_rand`, and start or resume a scale-out when one is needed.
//!
//! Owed calls are recorded in stable memory before they are made and cleared only when answered,
//! so a missing or failing backup canister or notification canister costs a retry on the next
//! round, never a lost alert and never a failed round.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use candid::Principal;
use canister_kit::auth::{own_key, peer_of_kind};
use canister_kit::{outbox, single_flight};
use ic_cdk::call::Call;
use ic_cdk_timers::TimerId;
use interfaces::notification::{AlertInput, AlertKind, AlertSeverity};
use interfaces::{clients, CanisterKind, Error, HealthReport};

use crate::balancer::Owed;
use crate::health::{CheckOutcome, Transition};
use crate::jobs::scale_out;
use crate::state::{self, group_shards};

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    static TIMER: RefCell<Option<TimerId>> = const { RefCell::new(None) };
}

/// Arms the health timer at the configured interval (again after a config change; timers do not
/// survive upgrades, so the lifecycle path calls this too), and seeds the generator at once if
/// it never was.
pub fn arm() {
    let interval = state::read(|b| b.config().health_check_interval_seconds);
    let id = ic_cdk_timers::set_timer_interval(Duration::from_secs(interval), || async {
        run_round().await
    });
    if let Some(old) = TIMER.replace(Some(id)) {
        ic_cdk_timers::clear_timer(old);
    }
    if !state::read(|b| b.stored().rng.is_some()) {
        outbox::soon(async {
            let _ = reseed().await;
        });
    }
}

/// Folds 32 fresh bytes from `raw_rand` into the generator.
pub async fn reseed() -> Result<(), Error> {
    // Nothing is reserved across this await: the bytes are only mixed in when they arrive.
    let bytes = ic_cdk::management_canister::raw_rand()
        .await
        .map_err(|e| Error::Unavailable {
            reason: format!("raw_rand failed: {e}"),
        })?;
    state::mutate(|b| b.mix_entropy(&bytes));
    Ok(())
}

/// One health round. Only one at a time: a tick that fires while the last round still awaits
/// a slow shard is skipped.
pub async fn run_round() {
    let Some(_running) = single_flight::begin(&RUNNING) else {
        return;
    };
    let shards = group_shards();
    state::mutate(|b| b.sync_shards(&shards));
    let timeout = state::read(|b| b.config().health_check_timeout_seconds);
    // One shard after the other: each check's latency is its own, not the slowest's.
    for shard in shards.iter().copied() {
        let outcome = check(shard, timeout).await;
        let transition = state::mutate(|b| b.record_check(shard, outcome, ic_cdk::api::time()));
        match transition {
            Transition::BecameUnhealthy => ic_cdk::println!("shard {shard} is unhealthy"),
            Transition::BecameHealthy => ic_cdk::println!("shard {shard} is healthy again"),
            Transition::Unchanged => {}
        }
    }
    pay_owed().await;
    if let Err(err) = reseed().await {
        ic_cdk::println!("{err}");
    }
    scale_out::run().await;
    // Counter 1 counts the whole call context, so every message of this round so far.
    let instructions = ic_cdk::api::performance_counter(1);
    state::mutate(|b| b.finish_round(ic_cdk::api::time(), instructions));
}

async fn check(shard: Principal, timeout_seconds: u32) -> CheckOutcome {
    let started = ic_cdk::api::time();
    // Bounded wait: a shard that does not answer within the timeout counts as failed, and the
    // round goes on.
    let answer = Call::bounded_wait(shard, "health_check")
        .change_timeout(timeout_seconds)
        .await;
    let latency_ns = ic_cdk::api::time().saturating_sub(started);
    let report = match answer {
        Ok(response) => response.candid::<HealthReport>().map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match report {
        Ok(report) if report.canister == CanisterKind::Calendar => {
            CheckOutcome::Answered { latency_ns }
        }
        Ok(report) => CheckOutcome::Failed {
            error: format!(
                "answered as {}, not a calendar shard",
                report.canister.name()
            ),
        },
        Err(error) => CheckOutcome::Failed { error },
    }
}

/// Makes the calls owed for unhealthy shards; each answer (or failure) is recorded.
async fn pay_owed() {
    let owed = state::read(|b| b.owed());
    for (shard, what) in owed {
        let result = match what {
            Owed::EmergencyBackup => request_backup(shard).await,
            Owed::Alert => raise_alert(shard).await,
        };
        if let Err(err) = &result {
            ic_cdk::println!("{what:?} for {shard} failed: {err}");
        }
        let result = result.map_err(|e| e.to_string());
        state::mutate(|b| b.settle_owed(shard, what, result, ic_cdk::api::time()));
    }
}

async fn request_backup(shard: Principal) -> Result<u64, Error> {
    let backup = peer_of_kind(CanisterKind::BackupCanister)?;
    let key = own_key()?;
    clients::backup::request_emergency_backup(
        backup,
        key.expose_bytes(),
        shard,
        CanisterKind::Calendar,
    )
    .await
}

async fn raise_alert(shard: Principal) -> Result<u64, Error> {
    let notification = peer_of_kind(CanisterKind::Notification)?;
    let key = own_key()?;
    let (failures, error) = state::read(|b| {
        b.shard(&shard)
            .map(|r| (r.consecutive_failures, r.last_error.unwrap_or_default()))
            .unwrap_or_default()
    });
    let message: String = format!(
        "calendar shard {shard} failed {failures} health checks in a row and takes no new users: {error}"
    )
    .chars()
    .take(interfaces::notification::MAX_ALERT_MESSAGE_CHARS)
    .collect();
    let alert = AlertInput {
        kind: AlertKind::ShardUnhealthy,
        severity: AlertSeverity::Critical,
        subject: Some(shard),
        message,
    };
    clients::notification::raise_alert(notification, key.expose_bytes(), &alert).await
}
