//! The management canister `aaaaa-aa` through the agent. Every call carries its effective
//! canister id (the canister it manages), as the HTTP interface routes by it. Modules larger
//! than one ingress message allows go through the chunk store.

use candid::utils::ArgumentEncoder;
use candid::{CandidType, Nat, Principal};
use ic_agent::Agent;
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInstallMode, CanisterSettings, CanisterStatusResult, ChunkHash,
    InstallChunkedCodeArgs, InstallCodeArgs, ProvisionalCreateCanisterWithCyclesArgs,
    UpdateSettingsArgs, UpgradeFlags, UploadChunkArgs,
};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// Above this size a module is installed chunk by chunk (an ingress message carries 2 MiB).
pub const MAX_DIRECT_INSTALL: usize = 1_900_000;
/// The IC's chunk size limit.
pub const CHUNK: usize = 1024 * 1024;

async fn update<A: CandidType, R: DeserializeOwned + CandidType>(
    agent: &Agent,
    effective: Principal,
    method: &str,
    arg: &A,
) -> Result<R, String> {
    let bytes = agent
        .update(&Principal::management_canister(), method)
        .with_effective_canister_id(effective)
        .with_arg(candid::encode_one(arg).map_err(|e| e.to_string())?)
        .call_and_wait()
        .await
        .map_err(|e| format!("{method}: {e}"))?;
    candid::decode_one(&bytes).map_err(|e| format!("{method} reply: {e}"))
}

/// A new canister with `cycles` (provisional: local networks only; mainnet creates through the
/// cycles ledger, which `dfx`/`icp` do). `near` is any id on the target subnet, used as the
/// effective canister id (the embedded network accepts its first id; dfx any in its range).
pub async fn create_canister(
    agent: &Agent,
    near: Principal,
    controllers: Vec<Principal>,
    cycles: Option<u128>,
) -> Result<Principal, String> {
    let arg = ProvisionalCreateCanisterWithCyclesArgs {
        amount: cycles.map(Nat::from),
        settings: Some(CanisterSettings {
            controllers: Some(controllers),
            ..Default::default()
        }),
        specified_id: None,
        sender_canister_version: None,
    };
    let r: CanisterIdRecord =
        update(agent, near, "provisional_create_canister_with_cycles", &arg).await?;
    Ok(r.canister_id)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Install,
    Reinstall,
    Upgrade,
}

impl Mode {
    pub fn parse(s: &str) -> Result<Mode, String> {
        match s {
            "install" => Ok(Mode::Install),
            "reinstall" => Ok(Mode::Reinstall),
            "upgrade" => Ok(Mode::Upgrade),
            other => Err(format!("unknown install mode {other}")),
        }
    }

    fn wire(self) -> CanisterInstallMode {
        match self {
            Mode::Install => CanisterInstallMode::Install,
            Mode::Reinstall => CanisterInstallMode::Reinstall,
            Mode::Upgrade => CanisterInstallMode::Upgrade(Some(UpgradeFlags {
                skip_pre_upgrade: None,
                wasm_memory_persistence: None,
            })),
        }
    }
}

/// Installs `wasm` (raw or gzipped) with a Candid-encoded `arg`; chunked when it is large.
pub async fn install(
    agent: &Agent,
    canister: Principal,
    wasm: &[u8],
    arg: Vec<u8>,
    mode: Mode,
) -> Result<(), String> {
    if wasm.len() <= MAX_DIRECT_INSTALL {
        let args = InstallCodeArgs {
            mode: mode.wire(),
            canister_id: canister,
            wasm_module: wasm.to_vec(),
            arg,
            sender_canister_version: None,
        };
        return update::<_, ()>(agent, canister, "install_code", &args).await;
    }
    install_chunked(agent, canister, wasm, arg, mode).await
}

/// Installs through the chunk store: clear it, upload 1 MiB chunks, `install_chunked_code`
/// with the module's hash, clear it again.
pub async fn install_chunked(
    agent: &Agent,
    canister: Principal,
    wasm: &[u8],
    arg: Vec<u8>,
    mode: Mode,
) -> Result<(), String> {
    let record = CanisterIdRecord {
        canister_id: canister,
    };
    update::<_, ()>(agent, canister, "clear_chunk_store", &record).await?;
    let mut hashes = Vec::new();
    for chunk in wasm.chunks(CHUNK) {
        let args = UploadChunkArgs {
            canister_id: canister,
            chunk: chunk.to_vec(),
        };
        let h: ChunkHash = update(agent, canister, "upload_chunk", &args).await?;
        hashes.push(h);
    }
    let args = InstallChunkedCodeArgs {
        mode: mode.wire(),
        target_canister: canister,
        store_canister: None,
        chunk_hashes_list: hashes,
        wasm_module_hash: Sha256::digest(wasm).to_vec(),
        arg,
        sender_canister_version: None,
    };
    update::<_, ()>(agent, canister, "install_chunked_code", &args).await?;
    update::<_, ()>(agent, canister, "clear_chunk_store", &record).await
}

/// `install` with the argument given as Rust values.
pub async fn install_with<A: ArgumentEncoder>(
    agent: &Agent,
    canister: Principal,
    wasm: &[u8],
    arg: A,
    mode: Mode,
) -> Result<(), String> {
    let arg = candid::encode_args(arg).map_err(|e| e.to_string())?;
    install(agent, canister, wasm, arg, mode).await
}

pub async fn status(agent: &Agent, canister: Principal) -> Result<CanisterStatusResult, String> {
    let record = CanisterIdRecord {
        canister_id: canister,
    };
    update(agent, canister, "canister_status", &record).await
}

pub async fn start(agent: &Agent, canister: Principal) -> Result<(), String> {
    let record = CanisterIdRecord {
        canister_id: canister,
    };
    update(agent, canister, "start_canister", &record).await
}

pub async fn stop(agent: &Agent, canister: Principal) -> Result<(), String> {
    let record = CanisterIdRecord {
        canister_id: canister,
    };
    update(agent, canister, "stop_canister", &record).await
}

pub async fn update_settings(
    agent: &Agent,
    canister: Principal,
    settings: CanisterSettings,
) -> Result<(), String> {
    let args = UpdateSettingsArgs {
        canister_id: canister,
        settings,
        sender_canister_version: None,
    };
    update(agent, canister, "update_settings", &args).await
}
