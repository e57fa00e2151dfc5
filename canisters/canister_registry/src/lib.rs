//! Canister registry: groups of canisters, membership, principal-bound access keys, admins, and
//! the calendar wasm new shards are created from (`wasm_store.rs`).
//!
//! Endpoints are thin: they check the caller, call the plain rules in `registry.rs` through
//! `state`, and (where members must hear of a change) run or kick the outbox in `jobs.rs`; install
//! and upgrade are `lifecycle.rs`.
//! Controllers of this canister are super-admins; admins hold named permissions.

mod jobs;
mod layout;
mod lifecycle;
mod memory;
mod model;
mod registry;
mod state;
mod wasm_store;

use candid::{candid_method, Principal};
use canister_health::track;
use ic_cdk::api::{is_controller, msg_caller, time};
use ic_cdk::{inspect_message, query, update};
use interfaces::registry::{RegistryStats, WasmInfo, WasmUploadStart};
use interfaces::security::{AdminInfo, GroupInfo, GroupMemberInfo};
use interfaces::{CanisterKind, Error, GroupSnapshot, HealthReport, Permission};
use security_base::guards;
use serde_bytes::ByteBuf;

const NS_PER_SECOND: u64 = 1_000_000_000;

fn require(required: Permission) -> Result<(), Error> {
    let caller = msg_caller();
    let granted = state::read(|r| r.admin_permissions(&caller));
    guards::require_permission(
        &caller,
        is_controller(&caller),
        granted.as_deref(),
        required,
    )
}

// ---- groups and members ------------------------------------------------------------------------

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn register_canister_group(group_id: String) -> Result<GroupInfo, Error> {
    track(
        require(Permission::ManageGroups)
            .and_then(|_| state::mutate(|r| r.register_group(&group_id, time()))),
    )
}

/// Adds a canister to a group, then delivers its new key and pushes the new snapshot to every
/// member before answering (what fails is retried from the outbox; `has_key` tells).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
async fn add_canister_to_group(
    group_id: String,
    principal: Principal,
    canister_type: CanisterKind,
    shard_key: Option<String>,
) -> Result<GroupInfo, Error> {
    let added = require(Permission::ManageGroups)
        .and_then(|_| registry::may_add_member(canister_type, is_controller(&msg_caller())))
        .and_then(|_| {
            state::mutate(|r| r.add_member(&group_id, principal, canister_type, shard_key, time()))
        });
    if added.is_ok() {
        // The member is recorded before this await, so a concurrent add of the same canister is
        // refused; the outbox holds the deliveries if this message is interrupted.
        jobs::process_outbox().await;
    }
    track(added.and_then(|_| {
        state::read(|r| r.group_info(&group_id)).ok_or_else(|| Error::not_found(&group_id))
    }))
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn remove_canister_from_group(group_id: String, principal: Principal) -> Result<GroupInfo, Error> {
    let removed = require(Permission::ManageGroups)
        .and_then(|_| state::mutate(|r| r.remove_member(&group_id, principal, time())));
    if removed.is_ok() {
        jobs::kick();
    }
    track(removed)
}

/// Gives a member a fresh key; its old key stays valid for the overlap window.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
async fn rotate_access_key(
    group_id: String,
    principal: Principal,
) -> Result<GroupMemberInfo, Error> {
    let queued = require(Permission::ManageKeys)
        .and_then(|_| state::mutate(|r| r.request_key_rotation(&group_id, principal, time())));
    if queued.is_ok() {
        jobs::process_outbox().await;
    }
    track(queued.and_then(|_| {
        state::read(|r| r.group_info(&group_id))
            .and_then(|g| g.members.into_iter().find(|m| m.principal == principal))
            .ok_or_else(|| Error::not_found(format!("{principal} in group {group_id}")))
    }))
}

/// Diagnostic: would `target` accept `access_key` from `caller`? Says only yes or no.
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_args",
    encode_with = "canister_kit::codec::query_reply"
)]
fn verify_inter_canister_call(access_key: ByteBuf, caller: Principal, target: Principal) -> bool {
    state::read(|r| r.verify_call(&access_key, &caller, &target, time()))
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn list_groups() -> Vec<GroupInfo> {
    state::read(|r| r.list_groups())
}

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn get_group(group_id: String) -> Result<GroupInfo, Error> {
    state::read(|r| r.group_info(&group_id))
        .ok_or_else(|| Error::not_found(format!("group {group_id}")))
}

/// The caller's group snapshot, for members pulling what they may have missed.
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_group_snapshot() -> Result<GroupSnapshot, Error> {
    let caller = msg_caller();
    state::read(|r| r.group_of(&caller).and_then(|g| r.snapshot(&g))).ok_or(Error::NotGroupMember)
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_registry_stats() -> RegistryStats {
    state::read(|r| {
        let items = r.outbox_items();
        RegistryStats {
            groups: r.group_count(),
            members: r.member_count(),
            admins: r.list_admins().len() as u64,
            outbox_pending: items.len() as u64,
            outbox_failing: items.iter().filter(|(_, i)| i.attempts > 0).count() as u64,
            last_version: r.config().last_version,
            key_overlap_seconds: r.config().key_overlap_ns / NS_PER_SECOND,
        }
    })
}

// ---- admins ------------------------------------------------------------------------------------

/// Controllers only: grants `permissions` to `principal` (replacing an earlier grant).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn add_admin(principal: Principal, permissions: Vec<Permission>) -> Result<(), Error> {
    let caller = msg_caller();
    let added = guards::require_controller(&caller, is_controller(&caller))
        .and_then(|_| state::mutate(|r| r.set_admin(principal, permissions, time())));
    if added.is_ok() {
        jobs::kick();
    }
    track(added)
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn remove_admin(principal: Principal) -> Result<(), Error> {
    let caller = msg_caller();
    let removed = guards::require_controller(&caller, is_controller(&caller))
        .and_then(|_| state::mutate(|r| r.remove_admin(&principal, time())));
    if removed.is_ok() {
        jobs::kick();
    }
    track(removed)
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn list_admins() -> Vec<AdminInfo> {
    state::read(|r| r.list_admins())
}

// ---- the stored calendar wasm -----------------------------------------------------------------

/// Starts an upload of the calendar wasm (admins with ManageWasm): its SHA-256 and size.
/// Restarting drops the chunks staged so far; the stored module is untouched until commit.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn start_wasm_upload(start: WasmUploadStart) -> Result<(), Error> {
    track(
        require(Permission::ManageWasm)
            .and_then(|_| state::mutate_wasm(|w| w.start(start, msg_caller(), time()))),
    )
}

/// Stores chunk `index` of the upload; answers how many are still missing.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn upload_wasm_chunk(index: u64, chunk: ByteBuf) -> Result<u64, Error> {
    track(
        require(Permission::ManageWasm)
            .and_then(|_| state::mutate_wasm(|w| w.put_chunk(index, &chunk))),
    )
}

/// Checks the upload (all chunks, the announced SHA-256) and makes it the stored module.
#[candid_method(update)]
#[update(hidden = true, encode_with = "canister_kit::codec::reply")]
fn commit_wasm_upload() -> Result<WasmInfo, Error> {
    track(require(Permission::ManageWasm).and_then(|_| state::mutate_wasm(|w| w.commit(time()))))
}

/// The stored module's hash and size (no bytes); absent until an upload was committed.
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_wasm_info() -> Option<WasmInfo> {
    state::read_wasm(|w| w.info())
}

/// Kinds of group member that may read the stored wasm: the balancer spawns shards from it, the
/// backup canister restores into fresh ones.
const WASM_READERS: [CanisterKind; 2] = [CanisterKind::LoadBalancer, CanisterKind::BackupCanister];

/// Chunk `index` of the stored module, for a group member of a reading kind presenting its own
/// key, or for an admin with ManageWasm (whose key argument is ignored).
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_args",
    encode_with = "canister_kit::codec::query_reply"
)]
fn get_wasm_chunk(key: ByteBuf, index: u64) -> Result<ByteBuf, Error> {
    let caller = msg_caller();
    let as_member = state::read(|r| r.authorize_member(&key, &caller, time())).and_then(|kind| {
        if WASM_READERS.contains(&kind) {
            Ok(())
        } else {
            Err(Error::NotGroupMember)
        }
    });
    as_member
        .or_else(|member_error| require(Permission::ManageWasm).map_err(|_| member_error))
        .and_then(|_| state::read_wasm(|w| w.chunk(index)))
}

canister_kit::health_endpoint!(CanisterKind::CanisterRegistry);

/// Largest ingress argument any registry method needs (a wasm chunk); bigger ones are refused before they cost
/// a full execution.
const MAX_INGRESS_ARG_BYTES: usize = interfaces::registry::WASM_CHUNK_BYTES + 16 * 1024;

/// Refuses obviously abusive ingress early (oversized arguments). Not the security boundary:
/// every endpoint checks its caller itself and answers a typed error, anonymous callers included.
#[inspect_message]
fn inspect_message() {
    canister_kit::endpoints::accept_ingress_up_to(MAX_INGRESS_ARG_BYTES);
}

/// Builds what the Candid codec needs for this file's queries (`canister_kit::codec::prepare`),
/// called at install and upgrade: a query cannot keep what it builds, so anything first built
/// in one would be built again in each. Update calls keep what their first call builds.
fn prepare_codec() {
    use canister_kit::codec::{prepare, prepare_args};
    prepare::<bool>();
    prepare::<Vec<GroupInfo>>();
    prepare::<Result<GroupInfo, Error>>();
    prepare::<Result<GroupSnapshot, Error>>();
    prepare::<RegistryStats>();
    prepare::<Vec<AdminInfo>>();
    prepare::<Option<WasmInfo>>();
    prepare::<Result<ByteBuf, Error>>();
    prepare::<HealthReport>();
    prepare_args::<(ByteBuf, Principal, Principal)>();
    prepare_args::<(String,)>();
    prepare_args::<(ByteBuf, u64)>();
}

canister_kit::committed_did_test!("canister_registry.did");
