//! Provisioning a new calendar shard, for the two members that create one: the load balancer
//! when it scales out, and the backup canister when it restores a lost shard into a fresh
//! canister.
//!
//! The steps are separate so each caller can record its progress between them (a retry then
//! resumes at the failed step with the same canister): fetch the registry's stored calendar wasm
//! and check its SHA-256 ([`fetch_calendar_wasm`]); create a canister with cycles, controlled by
//! the creator and by the creator's own controllers, so the operator keeps every canister the
//! suite makes ([`create_controlled_canister`]); install the wasm through the new canister's chunk
//! store with this group's registry as its `MemberInit` ([`install_member`]); add it to the group
//! as a calendar shard ([`join_group`]; the creator must be a registry admin with `ManageGroups`).

use candid::{encode_args, Principal};
use ic_cdk::management_canister::{
    self, CanisterInfoArgs, CanisterInstallMode, CanisterSettings, ClearChunkStoreArgs,
    CreateCanisterArgs, InstallChunkedCodeArgs, UploadChunkArgs,
};
use interfaces::registry::WASM_CHUNK_BYTES;
use interfaces::security::MemberInit;
use interfaces::{clients, CanisterKind, Error};
use sha2::{Digest, Sha256};

use crate::member;

/// Most controllers a canister may have on the IC.
const MAX_CONTROLLERS: usize = 10;

fn registry() -> Result<Principal, Error> {
    member::status().registry.ok_or(Error::Unavailable {
        reason: "this canister has no registry configured".into(),
    })
}

/// The stored calendar wasm, all chunks, checked against the SHA-256 the registry announced.
pub async fn fetch_calendar_wasm() -> Result<Vec<u8>, Error> {
    let registry = registry()?;
    let info = clients::registry::get_wasm_info(registry)
        .await?
        .ok_or_else(|| Error::Unavailable {
            reason: "the registry stores no calendar wasm yet".into(),
        })?;
    let key = member::own_key().ok_or(Error::Unavailable {
        reason: "this canister has not received its access key yet".into(),
    })?;
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

/// Creates an empty canister with `cycles`, controlled by this canister and its controllers.
pub async fn create_controlled_canister(cycles: u128) -> Result<Principal, Error> {
    let own = ic_cdk::api::canister_self();
    // Any canister may read any canister's controllers through `canister_info`.
    let info = management_canister::canister_info(&CanisterInfoArgs {
        canister_id: own,
        num_requested_changes: None,
    })
    .await
    .map_err(|e| Error::Unavailable {
        reason: format!("canister_info on {own} failed: {e}"),
    })?;
    let args = CreateCanisterArgs {
        settings: Some(CanisterSettings {
            controllers: Some(controllers(own, &info.controllers)),
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

/// A new canister's controllers: its creator (it installs and, on retry, reinstalls it) and
/// then the creator's own controllers. At most the IC's ten.
pub fn controllers(creator: Principal, operators: &[Principal]) -> Vec<Principal> {
    let mut controllers = vec![creator];
    for &p in operators {
        if controllers.len() < MAX_CONTROLLERS && !controllers.contains(&p) {
            controllers.push(p);
        }
    }
    controllers
}

/// Installs `wasm` into `canister` through its own chunk store, so the module's size is bounded
/// by the registry's limit rather than by one message. `reinstall` for a retry: the canister
/// holds nothing yet.
pub async fn install_member(
    canister: Principal,
    wasm: &[u8],
    reinstall: bool,
) -> Result<(), Error> {
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
        wasm_module_hash: Sha256::digest(wasm).to_vec(),
        arg,
    };
    management_canister::install_chunked_code(&args)
        .await
        .map_err(|e| failed("install_chunked_code", &e))?;
    // The chunks only cost the canister memory from here on; a failure to clear them is harmless.
    if let Err(e) = management_canister::clear_chunk_store(&store).await {
        ic_cdk::println!("clear_chunk_store on {canister} after install failed: {e}");
    }
    Ok(())
}

/// Adds `canister` to this canister's group as a calendar shard. Idempotent: an earlier attempt
/// may have added it and lost only the answer.
pub async fn join_group(canister: Principal) -> Result<(), Error> {
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
        Ok(_) | Err(Error::AlreadyExists { .. }) => Ok(()),
        Err(err) => Err(err),
    }
}

/// Removes `canister` from this canister's group (a lost shard whose users moved to another).
/// Idempotent: an earlier attempt may have removed it and lost only the answer.
pub async fn leave_group(canister: Principal) -> Result<(), Error> {
    let registry = registry()?;
    let group_id = member::status().group_id.ok_or(Error::Unavailable {
        reason: "this canister has no group snapshot yet".into(),
    })?;
    match clients::registry::remove_canister_from_group(registry, &group_id, canister).await {
        Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
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
    fn the_creator_comes_first_then_its_controllers_once_each() {
        assert_eq!(controllers(p(0), &[p(1), p(2)]), vec![p(0), p(1), p(2)]);
        assert_eq!(controllers(p(0), &[p(0), p(1)]), vec![p(0), p(1)]);
        assert_eq!(controllers(p(0), &[]), vec![p(0)]);
    }

    #[test]
    fn never_more_than_ten_controllers_and_the_creator_always_among_them() {
        let operators: Vec<Principal> = (1..=12).map(p).collect();
        let controllers = controllers(p(0), &operators);
        assert_eq!(controllers.len(), 10);
        assert_eq!(controllers[0], p(0));
        assert_eq!(&controllers[1..], &operators[..9]);
    }
}
