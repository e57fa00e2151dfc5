//! Scale-out: creating a calendar shard from the wasm stored in the registry.
//!
//! The flow follows check, reserve, await, commit: (1) the guard in `scale_out_guard.rs` admits
//! it (daily cap, cycles floor; a refusal alerts the operator) and `reserve_spawn` records the
//! scale-out in stable memory, so no second one starts while this one awaits; (2) fetch the stored wasm in
//! chunks from the registry and check its SHA-256; (3) create a canister with cycles, controlled
//! by this canister and by whoever controls this canister (the operator keeps every shard); (4)
//! install the wasm, chunk by chunk through the shard's chunk store, with this group's registry
//! as its `MemberInit`; (5) add it to the group as a calendar member (this canister must be a
//! registry admin with `ManageGroups`); (6) commit: track it as a healthy shard that takes new
//! users. Each completed step is stored, so a failure resumes at the failed step on the next
//! health round with the same canister; a failure before a canister exists just releases the
//! reservation.

use std::cell::Cell;
use std::time::Duration;

use candid::{encode_args, Principal};
use ic_cdk::management_canister::{
    self, CanisterInfoArgs, CanisterInstallMode, CanisterSettings, ClearChunkStoreArgs,
    CreateCanisterArgs, InstallChunkedCodeArgs, UploadChunkArgs,
};
use interfaces::registry::WASM_CHUNK_BYTES;
use interfaces::security::MemberInit;
use interfaces::{clients, CanisterKind, Error};
use security_base::{member, single_flight};
use sha2::{Digest, Sha256};

use crate::balancer::SpawnStage;
use crate::checks::{group_shards, own_key};
use crate::{scale_out_guard, state};

/// Most controllers a canister may have on the IC.
const MAX_CONTROLLERS: usize = 10;

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Runs the scale-out soon, in its own message (after an assignment found every shard full).
pub fn kick() {
    ic_cdk_timers::set_timer(Duration::ZERO, run());
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
            Err(Some(refusal)) => return scale_out_guard::alert_operator(refusal).await,
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
                let wasm = fetch_wasm().await?;
                // (3) The cycles leave with this call; the canister is recorded as soon as it
                // exists, so a later failure never creates a second one.
                let canister = create().await?;
                state::mutate(|b| {
                    b.shard_created(ic_cdk::api::time());
                    b.spawn_advanced(SpawnStage::Installing { canister })
                });
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
    let own = ic_cdk::api::canister_self();
    // Any canister may read any canister's controllers through `canister_info`.
    let info = management_canister::canister_info(&CanisterInfoArgs {
        canister_id: own,
        num_requested_changes: None,
    })
    .await
    .map_err(|e| Error::Unavailable {
        reason: format!("canister_info on the balancer failed: {e}"),
    })?;
    let args = CreateCanisterArgs {
        settings: Some(CanisterSettings {
            controllers: Some(shard_controllers(own, &info.controllers)),
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

/// A new shard's controllers: the balancer (it installs and, on retry, reinstalls the shard)
/// and then the balancer's own controllers, so the operator can upgrade, stop and top up every
/// shard. At most the IC's ten.
fn shard_controllers(balancer: Principal, operators: &[Principal]) -> Vec<Principal> {
    let mut controllers = vec![balancer];
    for &p in operators {
        if controllers.len() < MAX_CONTROLLERS && !controllers.contains(&p) {
            controllers.push(p);
        }
    }
    controllers
}

/// Installs the wasm through the new shard's own chunk store, so the module's size is bounded
/// by the registry's limit rather than by one message.
async fn install(canister: Principal, wasm: Vec<u8>, reinstall: bool) -> Result<(), Error> {
    let registry = registry()?;
    let arg = encode_args((Some(MemberInit { registry }),)).expect("MemberInit encodes");
    let failed = |what: &str, e: &dyn std::fmt::Display| Error::Unavailable {
        reason: format!("{what} on {canister} failed: {e}"),
    };
    let store = ClearChunkStoreArgs {
        canister_id: canister,
    };
    // A retry starts from an empty store: an earlier attempt may have left chunks behind.
    management_canister::clear_chunk_store(&store)
        .await
        .map_err(|e| failed("clear_chunk_store", &e))?;
    let mut chunk_hashes_list = Vec::new();
    for chunk in wasm.chunks(WASM_CHUNK_BYTES) {
        let upload = UploadChunkArgs {
            canister_id: canister,
            chunk: chunk.to_vec(),
        };
        let hash = management_canister::upload_chunk(&upload)
            .await
            .map_err(|e| failed("upload_chunk", &e))?;
        chunk_hashes_list.push(hash);
    }
    let args = InstallChunkedCodeArgs {
        mode: if reinstall {
            CanisterInstallMode::Reinstall
        } else {
            CanisterInstallMode::Install
        },
        target_canister: canister,
        store_canister: None,
        chunk_hashes_list,
        wasm_module_hash: Sha256::digest(&wasm).to_vec(),
        arg,
    };
    management_canister::install_chunked_code(&args)
        .await
        .map_err(|e| failed("install_chunked_code", &e))?;
    // The chunks only cost the shard memory from here on; a failure to clear them is harmless.
    if let Err(e) = management_canister::clear_chunk_store(&store).await {
        ic_cdk::println!("clear_chunk_store on {canister} after install failed: {e}");
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n; 10])
    }

    #[test]
    fn a_new_shard_is_controlled_by_the_balancer_and_its_operators() {
        assert_eq!(
            shard_controllers(p(0), &[p(1), p(2)]),
            vec![p(0), p(1), p(2)]
        );
        // The balancer controlling itself is not listed twice.
        assert_eq!(shard_controllers(p(0), &[p(0), p(1)]), vec![p(0), p(1)]);
        assert_eq!(shard_controllers(p(0), &[]), vec![p(0)]);
    }

    #[test]
    fn never_more_than_ten_controllers_and_the_balancer_always_among_them() {
        let operators: Vec<_> = (1..=12).map(p).collect();
        let controllers = shard_controllers(p(0), &operators);
        assert_eq!(controllers.len(), 10);
        assert_eq!(controllers[0], p(0));
        assert_eq!(&controllers[1..], &operators[..9]);
    }
}
