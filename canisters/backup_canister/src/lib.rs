//! Backup canister: periodic snapshots of every data canister, integrity hashes, retention, recovery.
//!
//! Every few minutes (configurable, 5 by default) the timer asks each data canister of the group
//! (calendar shards, notification, user_registry) for its data version and snapshots those whose
//! version moved since their last snapshot ([`jobs`]): the source stages a consistent copy, the
//! chunks (1 MiB from the sources, at most 1.5 MiB accepted) are pulled into stable memory and
//! the SHA-256 over the stream is checked against the source's. Retention keeps recent and daily
//! snapshots ([`retention`]). Recovery pushes a snapshot back into the same canister or into a new
//! shard it creates ([`recovery`]). The bookkeeping is plain logic in [`store`]; install and
//! upgrade are [`lifecycle`].
//!
//! Who may call what: `request_emergency_backup` any member of the group with its key; every
//! other backup method controllers or registry admins holding `ManageGroups`.

mod jobs;
mod layout;
mod lifecycle;
mod memory;
mod model;
mod recovery;
mod retention;
mod state;
mod store;

use candid::{candid_method, Principal};
use canister_health::track;
use ic_cdk::api::msg_caller;
use ic_cdk::{query, update};
use interfaces::backup::{
    BackupConfig, BackupStats, RecoveryPlan, RecoveryReport, RecoveryTarget, SnapshotPage,
    SnapshotQuery, SnapshotTrigger, VerifyReport,
};
use interfaces::{CanisterKind, Error, HealthReport, InputProblem, Permission};
use serde_bytes::ByteBuf;

const KIND: CanisterKind = CanisterKind::BackupCanister;
/// Operators of the suite's groups run its backups.
const ADMIN: Permission = Permission::ManageGroups;

fn admin() -> Result<Principal, Error> {
    let caller = msg_caller();
    canister_kit::member::require_admin(caller, ADMIN).map(|()| caller)
}

/// `canister` must be a data canister of this group, of `kind`.
fn check_data_canister(canister: Principal, kind: CanisterKind) -> Result<(), Error> {
    if !jobs::DATA_KINDS.contains(&kind) {
        return Err(Error::invalid(
            "canister_type",
            InputProblem::Malformed {
                reason: format!("{} holds no data to back up", kind.name()),
            },
        ));
    }
    if !canister_kit::member::members_of_kind(kind).contains(&canister) {
        return Err(Error::not_found(format!(
            "{canister} as a {} of this group",
            kind.name()
        )));
    }
    Ok(())
}

/// An admin's snapshot of one data canister, now, whatever its data version.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
async fn emergency_backup(canister: Principal, canister_type: CanisterKind) -> Result<u64, Error> {
    let result =
        match admin().and_then(|by| check_data_canister(canister, canister_type).map(|()| by)) {
            Ok(by) => {
                jobs::snapshot(
                    canister,
                    canister_type,
                    SnapshotTrigger::Emergency { requested_by: by },
                )
                .await
            }
            Err(e) => Err(e),
        };
    track(result)
}

/// The same for a member of the group (the load balancer when a shard turns unhealthy).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
async fn request_emergency_backup(
    key: ByteBuf,
    canister: Principal,
    canister_type: CanisterKind,
) -> Result<u64, Error> {
    let caller = msg_caller();
    let checked = canister_kit::member::authorize_member(caller, &key)
        .and_then(|_| check_data_canister(canister, canister_type));
    let result = match checked {
        Ok(()) => {
            jobs::snapshot(
                canister,
                canister_type,
                SnapshotTrigger::Emergency {
                    requested_by: caller,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    track(result)
}

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn list_snapshots(query: SnapshotQuery) -> Result<SnapshotPage, Error> {
    admin().and_then(|_| state::read(|s| s.list(&query)))
}

/// Recomputes the SHA-256 of a stored snapshot from its chunks (an update: hashing a large
/// snapshot takes more instructions than a query may use).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn verify_snapshot(id: u64) -> Result<VerifyReport, Error> {
    track(admin().and_then(|_| state::read(|s| s.verify(id))))
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_backup_stats() -> Result<BackupStats, Error> {
    admin().map(|_| state::read(|s| s.stats()))
}

/// Sets the interval and retention; the timer is re-armed at the new interval.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn configure_backup(config: BackupConfig) -> Result<(), Error> {
    let result = admin().and_then(|_| state::mutate(|s| s.set_config(config)));
    if result.is_ok() {
        jobs::arm();
    }
    track(result)
}

/// How `canister` would be restored from its newest complete snapshot.
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_args",
    encode_with = "canister_kit::codec::query_reply"
)]
fn generate_recovery_plan(
    canister: Principal,
    target: RecoveryTarget,
) -> Result<RecoveryPlan, Error> {
    admin().and_then(|_| recovery::plan(canister, target))
}

/// Restores snapshot `snapshot_id` of `canister` in place or into a new shard; the report says
/// which steps were done.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
async fn execute_recovery(
    canister: Principal,
    snapshot_id: u64,
    target: RecoveryTarget,
) -> Result<RecoveryReport, Error> {
    let result = match admin() {
        Ok(_) => recovery::execute(canister, snapshot_id, target).await,
        Err(e) => Err(e),
    };
    track(result)
}

canister_kit::health_endpoint!(KIND);

canister_kit::group_member_endpoints!();

/// Builds what the Candid codec needs for this file's queries (`canister_kit::codec::prepare`),
/// called at install and upgrade: a query cannot keep what it builds, so anything first built
/// in one would be built again in each. Update calls keep what their first call builds.
fn prepare_codec() {
    use canister_kit::codec::{prepare, prepare_args};
    prepare::<Result<SnapshotPage, Error>>();
    prepare::<Result<BackupStats, Error>>();
    prepare::<Result<RecoveryPlan, Error>>();
    prepare::<HealthReport>();
    prepare_args::<(SnapshotQuery,)>();
    prepare_args::<(Principal, RecoveryTarget)>();
}

canister_kit::committed_did_test!("backup_canister.did");
