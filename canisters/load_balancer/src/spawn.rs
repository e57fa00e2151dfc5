//! Scale-out: creating a calendar shard from the wasm stored in the registry.
//!
//! The flow follows check, reserve, await, commit: (1) `reserve_spawn` records the scale-out in
//! stable memory, so no second one starts while this one awaits; (2) fetch the stored wasm in
//! chunks from the registry and check its SHA-256; (3) create a canister with cycles; (4)
//! install the wasm with this group's registry as its `MemberInit`; (5) add it to the group as a
//! calendar member (this canister must be a registry admin with `ManageGroups`); (6) commit:
//! track it as a healthy shard that takes new users. Each completed step is stored, so a failure
//! resumes at the failed step on the next health round with the same canister; a failure before
//! a canister exists just releases the reservation.

use std::cell::Cell;
use std::time::Duration;

use candid::{encode_args, Principal};
use ic_cdk::management_canister::{
    self, CanisterInstallMode, CanisterSettings, CreateCanisterArgs, InstallCodeArgs,
};
use interfaces::security::MemberInit;
use interfaces::{clients, CanisterKind, Error};
use security_base::member;
use sha2::{Digest, Sha256};

use crate::balancer::SpawnStage;
use crate::checks::{group_shards, own_key};
use crate::state;

/// Largest module installed with one `install_code` message (the message limit is 2 MiB and
/// the argument needs room). The calendar wasm is about 0.65 MiB gzipped.
const MAX_SINGLE_MESSAGE_WASM: u64 = 2 * 1024 * 1024 - 64 * 1024;

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

struct RunGuard;

impl Drop for RunGuard {
    fn drop(&mut self) {
        RUNNING.set(false);
    }
}

/// Runs the scale-out soon, in its own message (after an assignment found every shard full).
pub fn kick() {
    ic_cdk_timers::set_timer(Duration::ZERO, run());
}

/// Starts a scale-out if one is needed, or resumes the one under way.
pub async fn run() {
    if RUNNING.replace(true) {
        return;
    }
    let _guard = RunGuard;
    let shards = group_shards();
    let now = ic_cdk::api::time();
    // (1) Reserve, or find the reservation a failed attempt left.
    let resuming = state::read(|b| b.spawn().is_some());
    if !resuming && !state::mutate(|b| b.reserve_spawn(&shards, now)) {
        return;
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
                let wasm = fetch_wasm().await?;
                // (3) The cycles leave with this call; the canister is recorded as soon as it
                // exists, so a later failure never creates a second one.
                let canister = create().await?;
                state::mutate(|b| b.spawn_advanced(SpawnStage::Installing { canister }));
                install(canister, wasm, false).await?;
                state::mutate(|b| b.spawn_advanced(SpawnStage::Registering { canister }));
            }
            SpawnStage::Installing { canister } => {
                let wasm = fetch_wasm().await?;
                // (4) A retry reinstalls: the canister holds no data yet.
                install(canister, wasm, true).await?;
                state::mutate(|b| b.spawn_advanced(SpawnStage::Registering { canister }));
            }
            SpawnStage::Registering { canister } => {
                // (5) The registry delivers the new shard's key and pushes the new snapshot
                // (to this canister too) before it answers.
                register(canister).await?;
                // (6) Commit.
                state::mutate(|b| b.spawn_done(canister));
                ic_cdk::println!("new calendar shard {canister} takes users");
                return Ok(());
            }
        }
    }
}

fn registry() -> Result<Principal, Error> {
    member::status().registry.ok_or(Error::Unavailable {
        reason: "this canister has no registry configured".into(),
    })
}

/// The stored calendar wasm, all chunks, checked against the SHA-256 the registry announced.
async fn fetch_wasm() -> Result<Vec<u8>, Error> {
    let registry = registry()?;
    let info = clients::registry::get_wasm_info(registry)
        .await?
        .ok_or_else(|| Error::Unavailable {
            reason: "the registry stores no calendar wasm yet".into(),
        })?;
    if info.size > MAX_SINGLE_MESSAGE_WASM {
        return Err(Error::Unavailable {
            reason: format!(
                "the stored wasm has {} bytes; more than {MAX_SINGLE_MESSAGE_WASM} needs a chunked install, which is not implemented",
                info.size
            ),
        });
    }
    let key = own_key()?;
    let mut wasm = Vec::with_capacity(info.size as usize);
    for index in 0..info.chunks {
        let chunk = clients::registry::get_wasm_chunk(registry, key.expose_bytes(), index).await?;
        wasm.extend_from_slice(&chunk);
    }
    // Checked here too: the wasm may have been replaced between chunk reads.
    if wasm.len() as u64 != info.size || Sha256::digest(&wasm).as_slice() != info.sha256.as_slice()
    {
        return Err(Error::Unavailable {
            reason: "the fetched wasm does not match the registry's SHA-256 (replaced mid-read?)"
                .into(),
        });
    }
    Ok(wasm)
}

async fn create() -> Result<Principal, Error> {
    let cycles = state::read(|b| b.config().new_shard_cycles);
    let args = CreateCanisterArgs {
        settings: Some(CanisterSettings {
            controllers: Some(vec![ic_cdk::api::canister_self()]),
            ..Default::default()
        }),
    };
    management_canister::create_canister_with_extra_cycles(&args, cycles)
        .await
        .map(|r| r.canister_id)
        .map_err(|e| Error::Unavailable {
            reason: format!("create_canister failed: {e}"),
        })
}

async fn install(canister: Principal, wasm: Vec<u8>, reinstall: bool) -> Result<(), Error> {
    let registry = registry()?;
    let arg = encode_args((Some(MemberInit { registry }),)).expect("MemberInit encodes");
    let args = InstallCodeArgs {
        mode: if reinstall {
            CanisterInstallMode::Reinstall
        } else {
            CanisterInstallMode::Install
        },
        canister_id: canister,
        wasm_module: wasm,
        arg,
    };
    management_canister::install_code(&args)
        .await
        .map_err(|e| Error::Unavailable {
            reason: format!("install_code on {canister} failed: {e}"),
        })
}

async fn register(canister: Principal) -> Result<(), Error> {
    let registry = registry()?;
    let group_id = member::status().group_id.ok_or(Error::Unavailable {
        reason: "this canister has no group snapshot yet".into(),
    })?;
    match clients::registry::add_canister_to_group(
        registry,
        &group_id,
        canister,
        CanisterKind::Calendar,
    )
    .await
    {
        // Idempotent: an earlier attempt may have added it and lost only the answer.
        Ok(_) | Err(Error::AlreadyExists { .. }) => Ok(()),
        Err(err) => Err(err),
    }
}
