//! Recovery: planning which snapshot restores a canister, and pushing it into a target: back
//! into the canister the snapshot was taken from, or into a new calendar shard this canister
//! creates for it. The target is never a canister the caller names (a live shard would be
//! silently overwritten; a foreign canister would join the group and receive a shard's data
//! and users).
//!
//! The target verifies the SHA-256 and switches atomically in `import_commit`, so a restore
//! that fails midway leaves the target as it was. A new shard is created, installed with the
//! registry's calendar wasm and added to the group (`canister_kit::provision`) before it
//! receives the snapshot, and after the commit the load balancer moves the lost shard's users to
//! it, the lost shard's reminder plans and delivered invitations are dropped where they are
//! held (the new shard sends its own), and the lost shard leaves the group. Each step's outcome
//! is reported. The new shard is remembered (stable memory) until its users moved, so running
//! the recovery again after a failure reuses it (reinstalled empty) instead of creating another.

use std::cell::RefCell;
use std::collections::BTreeSet;

use candid::Principal;
use canister_kit::provision;
use ic_stable_structures::StableBTreeMap;
use interfaces::backup::{
    RecoveryPlan, RecoveryReport, RecoveryStep, RecoveryTarget, SnapshotInfo, SnapshotStatus,
    StepOutcome,
};
use interfaces::clients;
use interfaces::snapshot::SnapshotManifest;
use interfaces::{CanisterKind, Error, InputProblem};

use crate::memory::{self, Memory};
use crate::state;

thread_local! {
    /// Sources a recovery is running for: two recoveries of one source would mix their chunks
    /// or create two shards.
    static RECOVERING: RefCell<BTreeSet<Principal>> = const { RefCell::new(BTreeSet::new()) };
    /// Lost shard -> the new shard created for it, until its users moved there.
    static NEW_SHARDS: RefCell<StableBTreeMap<Principal, Principal, Memory>> =
        RefCell::new(StableBTreeMap::init(memory::new_shards()));
}

/// The new shard a recovery of `source` created earlier and did not finish with.
fn pending_new_shard(source: &Principal) -> Option<Principal> {
    NEW_SHARDS.with_borrow(|m| m.get(source))
}

/// The steps of restoring `snapshot` into `target` (`None`: a new shard still to be created),
/// in order.
pub fn steps(snapshot: &SnapshotInfo, target: Option<Principal>, is_new: bool) -> Vec<String> {
    let mut steps = vec![format!(
        "verify snapshot {}: recompute the SHA-256 over its {} stored chunks",
        snapshot.id, snapshot.chunk_count
    )];
    let name = target.map_or_else(|| "the new shard".to_string(), |t| t.to_string());
    if is_new {
        steps.push(match target {
            None => "create_shard: a new canister with the cycles given, controlled by the backup canister and its controllers".to_string(),
            Some(t) => format!("create_shard: reuse {t}, created by an earlier attempt"),
        });
        steps.push(format!(
            "install: the registry's calendar wasm into {name}, which holds nothing yet"
        ));
        steps.push(format!(
            "add_to_group: {name} joins the group as a calendar shard"
        ));
    }
    steps.push(format!(
        "import_begin on {name} with the snapshot's manifest"
    ));
    steps.push(format!(
        "push {} chunks ({} bytes) with import_chunk",
        snapshot.chunk_count, snapshot.total_bytes
    ));
    steps.push(format!(
        "import_commit on {name}: it checks the SHA-256 and switches to the restored data in one message"
    ));
    if is_new {
        steps.push(format!(
            "replace_shard on the load balancer: {}'s users move to {name}",
            snapshot.canister
        ));
        steps.push(format!(
            "forget_old_reminders: the notification canister drops {}'s reminder plans ({name} sends its own)",
            snapshot.canister
        ));
        steps.push(format!(
            "forget_old_invitations: every other calendar shard drops the invitations {} delivered ({name} delivers them again)",
            snapshot.canister
        ));
        steps.push(format!(
            "leave_group: {} leaves the group once its users moved (its key opens nothing any more)",
            snapshot.canister
        ));
    }
    steps
}

/// Checks that `target` is allowed for `snapshot`: in place only into a data canister of this
/// group; a new shard only for a calendar shard (the registry stores only the calendar wasm).
fn check_target(snapshot: &SnapshotInfo, target: RecoveryTarget) -> Result<(), Error> {
    match target {
        RecoveryTarget::InPlace => {
            if canister_kit::member::members_of_kind(snapshot.kind).contains(&snapshot.canister) {
                Ok(())
            } else {
                Err(Error::not_found(format!(
                    "{} as a {} of this group (restore it into a new shard instead)",
                    snapshot.canister,
                    snapshot.kind.name()
                )))
            }
        }
        RecoveryTarget::NewShard { cycles } => {
            if snapshot.kind != CanisterKind::Calendar {
                return Err(Error::invalid(
                    "target",
                    InputProblem::Malformed {
                        reason: format!(
                            "a {} is restored in place: only calendar shards can be recreated",
                            snapshot.kind.name()
                        ),
                    },
                ));
            }
            if cycles == 0 {
                return Err(Error::invalid(
                    "target.cycles",
                    InputProblem::Malformed {
                        reason: "a new shard needs cycles".into(),
                    },
                ));
            }
            Ok(())
        }
    }
}

/// The plan for restoring `canister` from its newest complete snapshot.
pub fn plan(canister: Principal, target: RecoveryTarget) -> Result<RecoveryPlan, Error> {
    let snapshot = state::read(|s| s.latest_complete(&canister))
        .ok_or_else(|| Error::not_found(format!("a complete snapshot of {canister}")))?;
    check_target(&snapshot, target)?;
    let (target, is_new) = match target {
        RecoveryTarget::InPlace => (Some(canister), false),
        RecoveryTarget::NewShard { .. } => (pending_new_shard(&canister), true),
    };
    Ok(RecoveryPlan {
        target,
        target_is_new: is_new,
        total_bytes: snapshot.total_bytes,
        chunk_count: snapshot.chunk_count,
        steps: steps(&snapshot, target, is_new),
        snapshot,
    })
}

struct Recovering(Principal);

impl Drop for Recovering {
    fn drop(&mut self) {
        RECOVERING.with_borrow_mut(|r| r.remove(&self.0));
    }
}

fn step(steps: &mut Vec<RecoveryStep>, name: &str, outcome: StepOutcome) -> bool {
    let ok = outcome == StepOutcome::Done;
    steps.push(RecoveryStep {
        name: name.to_string(),
        outcome,
    });
    ok
}

fn failed(e: Error) -> StepOutcome {
    StepOutcome::Failed {
        reason: e.to_string(),
    }
}

fn skipped(reason: &str) -> StepOutcome {
    StepOutcome::Skipped {
        reason: reason.to_string(),
    }
}

/// Restores snapshot `snapshot_id` of `canister` into `target`. Errors (nothing was done): an
/// unknown or incomplete snapshot, one of another canister, a target not allowed for it, one
/// whose stored bytes no longer hash to the source's SHA-256, or a recovery of `canister`
/// already running. Otherwise the report says which steps were done.
pub async fn execute(
    canister: Principal,
    snapshot_id: u64,
    target: RecoveryTarget,
) -> Result<RecoveryReport, Error> {
    let snapshot = state::read(|s| s.snapshot(snapshot_id))
        .ok_or_else(|| Error::not_found(format!("snapshot {snapshot_id}")))?;
    if snapshot.canister != canister {
        return Err(Error::invalid(
            "snapshot_id",
            InputProblem::Malformed {
                reason: format!("snapshot {snapshot_id} is not of {canister}"),
            },
        ));
    }
    if snapshot.status != SnapshotStatus::Complete {
        return Err(Error::Conflict {
            reason: format!("snapshot {snapshot_id} is not complete"),
        });
    }
    check_target(&snapshot, target)?;
    let verified = state::read(|s| s.verify(snapshot_id))?;
    if !verified.ok {
        return Err(Error::Conflict {
            reason: format!(
                "snapshot {snapshot_id} failed verification: its stored chunks no longer hash to the source's SHA-256"
            ),
        });
    }
    if !RECOVERING.with_borrow_mut(|r| r.insert(canister)) {
        return Err(Error::Conflict {
            reason: format!("a recovery of {canister} is running"),
        });
    }
    let _recovering = Recovering(canister);
    let key = crate::jobs::own_key()?;

    let mut report = RecoveryReport {
        snapshot_id,
        source: canister,
        target: None,
        restored: false,
        restored_data_version: None,
        users_moved: None,
        steps: Vec::new(),
    };
    step(&mut report.steps, "verify", StepOutcome::Done);
    let target = match target {
        RecoveryTarget::InPlace => canister,
        RecoveryTarget::NewShard { cycles } => {
            match prepare_new_shard(canister, cycles, &mut report).await {
                Some(shard) => shard,
                None => return Ok(skip_rest(report)),
            }
        }
    };
    report.target = Some(target);
    let is_new = target != canister;

    let manifest = SnapshotManifest {
        export_id: snapshot.id,
        data_version: snapshot.data_version,
        total_bytes: snapshot.total_bytes,
        chunk_bytes: snapshot.chunk_bytes,
        chunk_count: snapshot.chunk_count,
        sha256: snapshot.sha256.clone(),
    };
    // Every await below may let a retention run in; the chunks are read per message and a
    // deleted snapshot fails the push (the target then keeps its old data).
    let begun = clients::snapshot::import_begin(target, &key, &manifest).await;
    if !step(
        &mut report.steps,
        "import_begin",
        begun.map_or_else(failed, |()| StepOutcome::Done),
    ) {
        return Ok(skip_rest(report));
    }
    let pushed = push_chunks(&key, &snapshot, target).await;
    if !step(
        &mut report.steps,
        "push_chunks",
        pushed.map_or_else(failed, |()| StepOutcome::Done),
    ) {
        return Ok(skip_rest(report));
    }
    match clients::snapshot::import_commit(target, &key).await {
        Ok(version) => {
            report.restored = true;
            report.restored_data_version = Some(version);
            step(&mut report.steps, "import_commit", StepOutcome::Done);
        }
        Err(e) => {
            step(&mut report.steps, "import_commit", failed(e));
            return Ok(skip_rest(report));
        }
    }

    if is_new {
        let outcome =
            match canister_kit::member::members_of_kind(CanisterKind::LoadBalancer).first() {
                None => skipped("the group has no load balancer"),
                // After the commit: the target holds the users' data before they are sent to it.
                Some(&lb) => {
                    match clients::load_balancer::replace_shard(lb, &key, canister, target).await {
                        Ok(moved) => {
                            report.users_moved = Some(moved);
                            // Done with it: a later recovery of this source starts afresh.
                            NEW_SHARDS.with_borrow_mut(|m| m.remove(&canister));
                            StepOutcome::Done
                        }
                        Err(e) => failed(e),
                    }
                }
            };
        step(&mut report.steps, "replace_shard", outcome);
        // The lost shard's reminder plans would fire next to those the new shard sends.
        let outcome = match forget_reminders_of(canister, &key).await {
            Ok(()) => StepOutcome::Done,
            Err(e) => failed(e),
        };
        step(&mut report.steps, "forget_old_reminders", outcome);
        // Likewise the invitations it delivered: the new shard delivers them again under its
        // own name, and attendees would hold both.
        let outcome = match forget_invitations_of(canister, target, &key).await {
            Ok(()) => StepOutcome::Done,
            Err(e) => failed(e),
        };
        step(&mut report.steps, "forget_old_invitations", outcome);
        // Last, and only once its users moved: a lost shard that came back must not deliver
        // its stale events or answer for its old users, and the group's shards, snapshots and
        // re-syncs stop waiting for it.
        let outcome = if report.users_moved.is_none() {
            skipped("its users did not move")
        } else {
            match provision::leave_group(canister).await {
                Ok(()) => StepOutcome::Done,
                Err(e) => failed(e),
            }
        };
        step(&mut report.steps, "leave_group", outcome);
    }
    Ok(report)
}

/// Asks every calendar shard of the group but `lost` and `target` (which holds none of them:
/// invitations are not in snapshots) to drop the invitations `lost` delivered, a page per call.
/// Every shard is asked even after one failed; the first error is the outcome.
async fn forget_invitations_of(
    lost: Principal,
    target: Principal,
    key: &[u8],
) -> Result<(), Error> {
    let mut first_error = None;
    let shards = canister_kit::member::members_of_kind(CanisterKind::Calendar);
    for shard in shards.into_iter().filter(|s| *s != lost && *s != target) {
        loop {
            match clients::calendar::forget_invitations_of(shard, key, lost).await {
                Ok(page) if page.done => break,
                Ok(_) => continue,
                Err(e) => {
                    first_error.get_or_insert(e);
                    break;
                }
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Asks the notification canister to drop every reminder plan of `shard`, a batch per call.
async fn forget_reminders_of(shard: Principal, key: &[u8]) -> Result<(), Error> {
    let notification = canister_kit::member::members_of_kind(CanisterKind::Notification)
        .first()
        .copied()
        .ok_or(Error::Unavailable {
            reason: "the group has no notification canister".into(),
        })?;
    while !clients::notification::forget_shard_reminders(notification, key, shard)
        .await?
        .done
    {}
    Ok(())
}

/// Creates the new shard for `source` (or takes the one an earlier attempt created), installs
/// the calendar wasm into it and adds it to the group. `None` when a step failed (reported).
async fn prepare_new_shard(
    source: Principal,
    cycles: u128,
    report: &mut RecoveryReport,
) -> Option<Principal> {
    let reused = pending_new_shard(&source);
    // A shard that already joined is installed and holds its key: the import that follows
    // replaces whatever an earlier attempt left in it. (Reinstalling would wipe the key the
    // registry delivered once, and the shard could make no group call.)
    if let Some(shard) = reused {
        if canister_kit::member::members_of_kind(CanisterKind::Calendar).contains(&shard) {
            report.target = Some(shard);
            step(&mut report.steps, "create_shard", StepOutcome::Done);
            let earlier = "installed and in the group since an earlier attempt";
            step(&mut report.steps, "install", skipped(earlier));
            step(&mut report.steps, "add_to_group", skipped(earlier));
            return Some(shard);
        }
    }
    // Fetched before creating, so a missing or corrupt stored wasm costs no cycles.
    let wasm = match provision::fetch_calendar_wasm().await {
        Ok(wasm) => wasm,
        Err(e) => {
            step(&mut report.steps, "create_shard", failed(e));
            return None;
        }
    };
    let shard = match reused {
        Some(shard) => shard,
        None => match provision::create_controlled_canister(cycles).await {
            Ok(shard) => {
                // Recorded as soon as it exists, so a later failure never creates a second one.
                NEW_SHARDS.with_borrow_mut(|m| m.insert(source, shard));
                shard
            }
            Err(e) => {
                step(&mut report.steps, "create_shard", failed(e));
                return None;
            }
        },
    };
    report.target = Some(shard);
    step(&mut report.steps, "create_shard", StepOutcome::Done);
    // Not in the group yet: it holds no key and no data, so a reused one is reinstalled.
    let installed = provision::install_member(shard, &wasm, reused.is_some()).await;
    if !step(
        &mut report.steps,
        "install",
        installed.map_or_else(failed, |()| StepOutcome::Done),
    ) {
        return None;
    }
    let joined = provision::join_group(shard).await;
    if !step(
        &mut report.steps,
        "add_to_group",
        joined.map_or_else(failed, |()| StepOutcome::Done),
    ) {
        return None;
    }
    Some(shard)
}

async fn push_chunks(key: &[u8], snapshot: &SnapshotInfo, target: Principal) -> Result<(), Error> {
    for index in 0..snapshot.chunk_count {
        let bytes = state::read(|s| s.chunk(snapshot.id, index)).ok_or_else(|| {
            Error::not_found(format!("chunk {index} of snapshot {}", snapshot.id))
        })?;
        clients::snapshot::import_chunk(target, key, index, bytes).await?;
    }
    Ok(())
}

/// Marks every step after the one that failed as not attempted.
fn skip_rest(mut report: RecoveryReport) -> RecoveryReport {
    let is_new = report.target != Some(report.source);
    let mut names = Vec::new();
    if is_new {
        names.extend(["create_shard", "install", "add_to_group"]);
    }
    names.extend(["import_begin", "push_chunks", "import_commit"]);
    if is_new {
        names.extend([
            "replace_shard",
            "forget_old_reminders",
            "forget_old_invitations",
            "leave_group",
        ]);
    }
    for name in names {
        if !report.steps.iter().any(|s| s.name == name) {
            step(&mut report.steps, name, skipped("an earlier step failed"));
        }
    }
    report
}
