//! Recovery: planning which snapshot restores a canister, and pushing it into a target (the
//! same canister, or a fresh shard the operator created and installed).
//!
//! The target verifies the SHA-256 and switches atomically in `import_commit`, so a restore
//! that fails midway leaves the target as it was. When the target is new it first joins the
//! group (so it accepts this canister's key), and after the commit the load balancer moves the
//! lost shard's users to it. Each step's outcome is reported; a step after the commit that
//! failed (the balancer unreachable) is retried by running the recovery again.

use std::cell::RefCell;
use std::collections::BTreeSet;

use candid::Principal;
use interfaces::backup::{
    RecoveryPlan, RecoveryReport, RecoveryStep, SnapshotInfo, SnapshotStatus, StepOutcome,
};
use interfaces::clients;
use interfaces::snapshot::SnapshotManifest;
use interfaces::{CanisterKind, Error};

use crate::state;

thread_local! {
    /// Targets a recovery is pushing into: two pushes into one target would mix their chunks.
    static RECOVERING: RefCell<BTreeSet<Principal>> = const { RefCell::new(BTreeSet::new()) };
}

/// The steps of restoring `snapshot` into `target`, in order.
pub fn steps(snapshot: &SnapshotInfo, target: Principal) -> Vec<String> {
    let is_new = target != snapshot.canister;
    let mut steps = vec![format!(
        "verify snapshot {}: recompute the SHA-256 over its {} stored chunks",
        snapshot.id, snapshot.chunk_count
    )];
    if is_new {
        steps.push(format!(
            "add {target} to the group as {} in the registry (if not a member yet)",
            snapshot.kind.name()
        ));
    }
    steps.push(format!(
        "import_begin on {target} with the snapshot's manifest"
    ));
    steps.push(format!(
        "push {} chunks ({} bytes) with import_chunk",
        snapshot.chunk_count, snapshot.total_bytes
    ));
    steps.push(format!(
        "import_commit on {target}: it checks the SHA-256 and switches to the restored data in one message"
    ));
    if is_new && snapshot.kind == CanisterKind::Calendar {
        steps.push(format!(
            "replace_shard on the load balancer: {}'s users move to {target}",
            snapshot.canister
        ));
    }
    steps
}

/// The plan for restoring `canister` from its newest complete snapshot into `target` (itself
/// when absent).
pub fn plan(canister: Principal, target: Option<Principal>) -> Result<RecoveryPlan, Error> {
    let snapshot = state::read(|s| s.latest_complete(&canister))
        .ok_or_else(|| Error::not_found(format!("a complete snapshot of {canister}")))?;
    let target = target.unwrap_or(canister);
    check_target(target)?;
    Ok(RecoveryPlan {
        target,
        target_is_new: target != canister,
        total_bytes: snapshot.total_bytes,
        chunk_count: snapshot.chunk_count,
        steps: steps(&snapshot, target),
        snapshot,
    })
}

fn check_target(target: Principal) -> Result<(), Error> {
    if target == Principal::anonymous() || target == Principal::management_canister() {
        return Err(Error::invalid(
            "target",
            interfaces::InputProblem::Malformed {
                reason: "not a canister".into(),
            },
        ));
    }
    Ok(())
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
/// unknown or incomplete snapshot, one of another canister, one whose stored bytes no longer
/// hash to the source's SHA-256, or a recovery into `target` already running. Otherwise the
/// report says which steps were done.
pub async fn execute(
    canister: Principal,
    snapshot_id: u64,
    target: Principal,
) -> Result<RecoveryReport, Error> {
    check_target(target)?;
    let snapshot = state::read(|s| s.snapshot(snapshot_id))
        .ok_or_else(|| Error::not_found(format!("snapshot {snapshot_id}")))?;
    if snapshot.canister != canister {
        return Err(Error::invalid(
            "snapshot_id",
            interfaces::InputProblem::Malformed {
                reason: format!("snapshot {snapshot_id} is not of {canister}"),
            },
        ));
    }
    if snapshot.status != SnapshotStatus::Complete {
        return Err(Error::Conflict {
            reason: format!("snapshot {snapshot_id} is not complete"),
        });
    }
    let verified = state::read(|s| s.verify(snapshot_id))?;
    if !verified.ok {
        return Err(Error::Conflict {
            reason: format!(
                "snapshot {snapshot_id} failed verification: its stored chunks no longer hash to the source's SHA-256"
            ),
        });
    }
    if !RECOVERING.with_borrow_mut(|r| r.insert(target)) {
        return Err(Error::Conflict {
            reason: format!("a recovery into {target} is running"),
        });
    }
    let _recovering = Recovering(target);
    let key = security_base::member::own_key()
        .map(|k| k.expose_bytes().to_vec())
        .ok_or(Error::Unavailable {
            reason: "the backup canister has not received its access key yet".into(),
        })?;

    let mut report = RecoveryReport {
        snapshot_id,
        source: canister,
        target,
        restored: false,
        restored_data_version: None,
        users_moved: None,
        steps: Vec::new(),
    };
    step(&mut report.steps, "verify", StepOutcome::Done);
    let is_new = target != canister;
    let kind = snapshot.kind;

    // The target must be in the group before it accepts this canister's key.
    if is_new {
        let outcome = if security_base::member::members_of_kind(kind).contains(&target) {
            StepOutcome::Done
        } else {
            match join_group(target, kind).await {
                Ok(()) => StepOutcome::Done,
                Err(e) => failed(e),
            }
        };
        if !step(&mut report.steps, "add_to_group", outcome) {
            return Ok(skip_rest(report, is_new, kind));
        }
    }

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
        return Ok(skip_rest(report, is_new, kind));
    }
    let pushed = push_chunks(&key, &snapshot, target).await;
    if !step(
        &mut report.steps,
        "push_chunks",
        pushed.map_or_else(failed, |()| StepOutcome::Done),
    ) {
        return Ok(skip_rest(report, is_new, kind));
    }
    match clients::snapshot::import_commit(target, &key).await {
        Ok(version) => {
            report.restored = true;
            report.restored_data_version = Some(version);
            step(&mut report.steps, "import_commit", StepOutcome::Done);
        }
        Err(e) => {
            step(&mut report.steps, "import_commit", failed(e));
            return Ok(skip_rest(report, is_new, kind));
        }
    }

    if is_new && kind == CanisterKind::Calendar {
        let outcome =
            match security_base::member::members_of_kind(CanisterKind::LoadBalancer).first() {
                None => skipped("the group has no load balancer"),
                // After the commit: the target holds the users' data before they are sent to it.
                Some(&lb) => {
                    match clients::load_balancer::replace_shard(lb, &key, canister, target).await {
                        Ok(moved) => {
                            report.users_moved = Some(moved);
                            StepOutcome::Done
                        }
                        Err(e) => failed(e),
                    }
                }
            };
        step(&mut report.steps, "replace_shard", outcome);
    }
    Ok(report)
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

async fn join_group(target: Principal, kind: CanisterKind) -> Result<(), Error> {
    let status = security_base::member::status();
    let (Some(registry), Some(group)) = (status.registry, status.group_id) else {
        return Err(Error::Unavailable {
            reason: "the backup canister has no group yet".into(),
        });
    };
    clients::registry::add_canister_to_group(registry, &group, target, kind)
        .await
        .map(|_| ())
}

/// Marks every step after the one that failed as not attempted.
fn skip_rest(mut report: RecoveryReport, is_new: bool, kind: CanisterKind) -> RecoveryReport {
    let mut names = vec!["import_begin", "push_chunks", "import_commit"];
    if is_new && kind == CanisterKind::Calendar {
        names.push("replace_shard");
    }
    for name in names {
        if !report.steps.iter().any(|s| s.name == name) {
            step(&mut report.steps, name, skipped("an earlier step failed"));
        }
    }
    report
}
