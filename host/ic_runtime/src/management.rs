//! The management canister `aaaaa-aa`, reachable by ingress and by inter-canister calls.
//! Arguments and results are the candid types of `ic-management-canister-types` (the version
//! pocket-ic 16 uses). Controller checks apply to every method that changes or reveals a
//! canister; `raw_rand`, `create_canister` and `canister_info` are for canister callers only.

use candid::{CandidType, Nat, Principal};
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInfoArgs, CanisterInfoResult, CanisterInstallMode, CanisterSettings,
    ChangeDetails, ChunkHash, ControllersChangeRecord, CreateCanisterArgs, CreationRecord,
    EnvironmentVariable, InstallChunkedCodeArgs, InstallCodeArgs,
    ProvisionalCreateCanisterWithCyclesArgs, ProvisionalTopUpCanisterArgs, UninstallCodeArgs,
    UpdateSettingsArgs, UploadChunkArgs,
};
use serde::de::DeserializeOwned;

use crate::canister::{Canister, Origin, Settings, Status};
use crate::engine::sha256;
use crate::errors::{ErrorCode, Reject, RejectCode};
use crate::lifecycle::{self, Mode};
use crate::subnet::Subnet;

/// Cycles a canister gets from `provisional_create_canister_with_cycles` without an amount.
pub const DEFAULT_CYCLES: u128 = 100_000_000_000_000;
/// Most controllers a canister may have.
const MAX_CONTROLLERS: usize = 10;
/// Size cap of one uploaded chunk, as on the IC.
const MAX_CHUNK: usize = 1024 * 1024;

const CANISTER_ONLY: &[&str] = &[
    "create_canister",
    "http_request",
    "raw_rand",
    "canister_info",
    "deposit_cycles",
];
const KNOWN: &[&str] = &[
    "create_canister",
    "provisional_create_canister_with_cycles",
    "install_code",
    "install_chunked_code",
    "upload_chunk",
    "clear_chunk_store",
    "stored_chunks",
    "uninstall_code",
    "update_settings",
    "canister_status",
    "canister_info",
    "start_canister",
    "stop_canister",
    "delete_canister",
    "deposit_cycles",
    "provisional_top_up_canister",
    "raw_rand",
    "http_request",
];

fn unknown(method: &str) -> Reject {
    Reject {
        code: RejectCode::DestinationInvalid,
        error: ErrorCode::CanisterMethodNotFound,
        message: format!(
            "Management canister has no method '{method}' (or ic_runtime does not implement it)"
        ),
    }
}

/// Ingress filter for `aaaaa-aa`: the method must exist and be callable by users.
pub fn check_ingress(
    _sub: &Subnet,
    _sender: Principal,
    method: &str,
    _payload: &[u8],
) -> Result<(), Reject> {
    if !KNOWN.contains(&method) {
        return Err(unknown(method));
    }
    if CANISTER_ONLY.contains(&method) {
        return Err(Reject::new(
            ErrorCode::CanisterRejectedMessage,
            format!("Only canisters can call ic00 method {method}"),
        ));
    }
    Ok(())
}

fn decode<T: DeserializeOwned + CandidType>(payload: &[u8]) -> Result<T, Reject> {
    candid::decode_one(payload).map_err(|e| {
        Reject::new(
            ErrorCode::InvalidManagementPayload,
            format!("Error decoding candid: {e}"),
        )
    })
}

fn encode<T: CandidType>(value: &T) -> Vec<u8> {
    candid::encode_one(value).expect("management results encode")
}

fn controlled<'a>(
    sub: &'a mut Subnet,
    id: Principal,
    sender: Principal,
    method: &str,
) -> Result<&'a mut Canister, Reject> {
    let c = sub.canister_mut(&id)?;
    if !c.is_controller(&sender) {
        return Err(Reject::not_controller(id, method, sender));
    }
    Ok(c)
}

/// Executes one management call. `None` means the answer comes later (stop_canister).
pub fn handle(
    sub: &mut Subnet,
    sender: Principal,
    method: &str,
    payload: &[u8],
    cycles: u128,
    origin: &Origin,
) -> Option<Result<Vec<u8>, Reject>> {
    let from_canister = matches!(origin, Origin::Canister { .. });
    if !from_canister && CANISTER_ONLY.contains(&method) {
        return Some(check_ingress(sub, sender, method, payload).map(|_| Vec::new()));
    }
    // Cycles the method keeps (an outcall's price); the rest go back to a calling canister.
    let mut kept = 0;
    let result =
        match method {
            "create_canister" => decode::<CreateCanisterArgs>(payload)
                .and_then(|a| create(sub, sender, a.settings, cycles, None)),
            "provisional_create_canister_with_cycles" => {
                decode::<ProvisionalCreateCanisterWithCyclesArgs>(payload).and_then(|a| {
                    let amount = a.amount.map_or(Ok(DEFAULT_CYCLES), |n| nat_u128(&n))?;
                    create(sub, sender, a.settings, amount, a.specified_id)
                })
            }
            "install_code" => decode::<InstallCodeArgs>(payload).and_then(|a| {
                controlled(sub, a.canister_id, sender, method)?;
                lifecycle::install_code(
                    sub,
                    sender,
                    a.canister_id,
                    mode(a.mode),
                    &a.wasm_module,
                    a.arg,
                )
                .map(|_| encode(&()))
            }),
            "install_chunked_code" => decode::<InstallChunkedCodeArgs>(payload)
                .and_then(|a| install_chunked(sub, sender, a)),
            "upload_chunk" => decode::<UploadChunkArgs>(payload).and_then(|a| {
                if a.chunk.len() > MAX_CHUNK {
                    return Err(Reject::new(
                        ErrorCode::InvalidManagementPayload,
                        "Wasm chunk size exceeds the maximum of 1 MiB",
                    ));
                }
                let c = controlled(sub, a.canister_id, sender, method)?;
                let hash = sha256(&a.chunk).to_vec();
                c.chunks.insert(hash.clone(), a.chunk);
                Ok(encode(&ChunkHash { hash }))
            }),
            "clear_chunk_store" => decode::<CanisterIdRecord>(payload).and_then(|a| {
                controlled(sub, a.canister_id, sender, method)?
                    .chunks
                    .clear();
                Ok(encode(&()))
            }),
            "stored_chunks" => decode::<CanisterIdRecord>(payload).and_then(|a| {
                let c = controlled(sub, a.canister_id, sender, method)?;
                let hashes: Vec<ChunkHash> = c
                    .chunks
                    .keys()
                    .map(|h| ChunkHash { hash: h.clone() })
                    .collect();
                Ok(encode(&hashes))
            }),
            "uninstall_code" => decode::<UninstallCodeArgs>(payload).and_then(|a| {
                controlled(sub, a.canister_id, sender, method)?;
                lifecycle::uninstall_code(sub, sender, a.canister_id).map(|_| encode(&()))
            }),
            "update_settings" => decode::<UpdateSettingsArgs>(payload).and_then(|a| {
                let time = sub.time;
                let c = controlled(sub, a.canister_id, sender, method)?;
                apply_settings(c, a.settings, time, sender)?;
                c.version += 1; // spec: every settings change moves canister_version
                Ok(encode(&()))
            }),
            "canister_status" => decode::<CanisterIdRecord>(payload).and_then(|a| {
                controlled(sub, a.canister_id, sender, method)
                    .map(|c| encode(&crate::status::status(c)))
            }),
            "canister_info" => decode::<CanisterInfoArgs>(payload).and_then(|a| {
                let c = sub.canister(&a.canister_id)?;
                let wanted = a.num_requested_changes.unwrap_or(0) as usize;
                let skip = c.history.len().saturating_sub(wanted);
                Ok(encode(&CanisterInfoResult {
                    total_num_changes: c.total_changes,
                    recent_changes: c.history[skip..].to_vec(),
                    module_hash: c.module_hash(),
                    controllers: c.controllers().to_vec(),
                }))
            }),
            "start_canister" => decode::<CanisterIdRecord>(payload).and_then(|a| {
                let c = controlled(sub, a.canister_id, sender, method)?;
                c.status = Status::Running;
                c.version += 1; // spec: start and stop move canister_version
                let (cancelled, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut sub.pending_stops)
                    .into_iter()
                    .partition(|(id, _)| *id == a.canister_id);
                sub.pending_stops = waiting;
                for (_, o) in cancelled {
                    let reject = Reject::new(
                        ErrorCode::CanisterStoppingCancelled,
                        format!("Canister {}'s stop request was cancelled.", a.canister_id),
                    );
                    sub.respond(o, Err(reject), 0);
                }
                Ok(encode(&()))
            }),
            "stop_canister" => match decode::<CanisterIdRecord>(payload).and_then(|a| {
                controlled(sub, a.canister_id, sender, method).map(|c| (a.canister_id, c))
            }) {
                Err(e) => Err(e),
                Ok((id, c)) => {
                    c.version += 1;
                    if c.status == Status::Stopped
                        || (c.status == Status::Running && c.call_contexts.is_empty())
                    {
                        c.status = Status::Stopped;
                        Ok(encode(&()))
                    } else {
                        // Stopping: new calls are refused; the reply comes once contexts close.
                        c.status = Status::Stopping;
                        sub.pending_stops.push((id, origin.clone()));
                        return None;
                    }
                }
            },
            "delete_canister" => decode::<CanisterIdRecord>(payload).and_then(|a| {
                let c = controlled(sub, a.canister_id, sender, method)?;
                if c.status != Status::Stopped {
                    return Err(Reject::new(
                        ErrorCode::CanisterNotStopped,
                        format!(
                            "Canister {} must be stopped before it is deleted.",
                            a.canister_id
                        ),
                    ));
                }
                sub.canisters.remove(&a.canister_id);
                Ok(encode(&()))
            }),
            "deposit_cycles" => decode::<CanisterIdRecord>(payload).and_then(|a| {
                sub.canister_mut(&a.canister_id)?.cycles += cycles;
                Ok(encode(&()))
            }),
            "provisional_top_up_canister" => decode::<ProvisionalTopUpCanisterArgs>(payload)
                .and_then(|a| {
                    let amount = nat_u128(&a.amount)?;
                    sub.canister_mut(&a.canister_id)?.cycles += amount;
                    Ok(encode(&()))
                }),
            "raw_rand" => {
                // Deterministic: sha256(seed || counter), so a test run can be replayed.
                sub.rand_counter += 1;
                let mut input = sub.seed.to_vec();
                input.extend_from_slice(&sub.rand_counter.to_be_bytes());
                Ok(encode(&serde_bytes::ByteBuf::from(sha256(&input).to_vec())))
            }
            "http_request" => {
                let (result, price) = crate::outcalls::http_request(sub, sender, payload, cycles);
                kept = price;
                result
            }
            other => Err(unknown(other)),
        };
    // Cycles attached to anything but create/deposit go back to the caller.
    if let (Origin::Canister { .. }, false, true) = (
        origin,
        matches!(method, "create_canister" | "deposit_cycles"),
        cycles > kept,
    ) {
        if let Some(c) = sub.canisters.get_mut(&sender) {
            c.cycles += cycles - kept;
        }
    }
    Some(result)
}

fn nat_u128(n: &Nat) -> Result<u128, Reject> {
    u128::try_from(n.0.clone()).map_err(|_| {
        Reject::new(
            ErrorCode::InvalidManagementPayload,
            "cycles amount too large",
        )
    })
}

fn mode(m: CanisterInstallMode) -> Mode {
    match m {
        CanisterInstallMode::Install => Mode::Install,
        CanisterInstallMode::Reinstall => Mode::Reinstall,
        CanisterInstallMode::Upgrade(flags) => Mode::Upgrade {
            skip_pre_upgrade: flags
                .as_ref()
                .and_then(|f| f.skip_pre_upgrade)
                .unwrap_or(false),
            keep_wasm_memory: flags.and_then(|f| f.wasm_memory_persistence)
                == Some(ic_management_canister_types::WasmMemoryPersistence::Keep),
        },
    }
}

pub fn create(
    sub: &mut Subnet,
    sender: Principal,
    settings: Option<CanisterSettings>,
    cycles: u128,
    specified_id: Option<Principal>,
) -> Result<Vec<u8>, Reject> {
    let id = match specified_id {
        Some(id) if sub.canisters.contains_key(&id) => {
            return Err(Reject::new(
                ErrorCode::CanisterIdAlreadyExists,
                format!("Canister {id} is already installed."),
            ))
        }
        Some(id) => id,
        None => sub.next_canister_id(),
    };
    let time = sub.time;
    let mut c = Canister::new(id, vec![sender], cycles);
    if let Some(s) = settings {
        apply_settings(&mut c, s, time, sender)?;
    }
    let controllers = c.controllers().to_vec();
    c.total_changes = 0;
    c.history.clear();
    c.record_change(
        time,
        sender,
        ChangeDetails::Creation(CreationRecord {
            controllers,
            environment_variables_hash: None,
        }),
    );
    sub.canisters.insert(id, c);
    Ok(encode(&CanisterIdRecord { canister_id: id }))
}

fn apply_settings(
    c: &mut Canister,
    s: CanisterSettings,
    time: u64,
    sender: Principal,
) -> Result<(), Reject> {
    if let Some(controllers) = s.controllers {
        if controllers.len() > MAX_CONTROLLERS {
            return Err(Reject::new(
                ErrorCode::InvalidManagementPayload,
                format!(
                    "Invalid settings: expected at most {MAX_CONTROLLERS} controllers, got {}",
                    controllers.len()
                ),
            ));
        }
        c.settings.controllers = controllers.clone();
        c.record_change(
            time,
            sender,
            ChangeDetails::ControllersChange(ControllersChangeRecord { controllers }),
        );
    }
    let set = |slot: &mut Nat, v: Option<Nat>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    let Settings {
        compute_allocation,
        memory_allocation,
        freezing_threshold,
        reserved_cycles_limit,
        wasm_memory_limit,
        wasm_memory_threshold,
        log_memory_limit,
        ..
    } = &mut c.settings;
    set(compute_allocation, s.compute_allocation);
    set(memory_allocation, s.memory_allocation);
    set(freezing_threshold, s.freezing_threshold);
    set(reserved_cycles_limit, s.reserved_cycles_limit);
    set(wasm_memory_limit, s.wasm_memory_limit);
    set(wasm_memory_threshold, s.wasm_memory_threshold);
    set(log_memory_limit, s.log_memory_limit);
    if let Some(visibility) = s.log_visibility {
        c.settings.log_visibility = visibility;
    }
    if let Some(vars) = s.environment_variables {
        c.settings.environment_variables = checked_env_vars(vars)?;
    }
    Ok(())
}

/// Most environment variables a canister may have, and the longest name and value (bytes).
const MAX_ENV_VARS: usize = 20;
const MAX_ENV_VAR_NAME: usize = 128;
const MAX_ENV_VAR_VALUE: usize = 128;

/// The variables sorted by name, or a typed refusal (too many, too long, a name twice).
fn checked_env_vars(
    mut vars: Vec<EnvironmentVariable>,
) -> Result<Vec<EnvironmentVariable>, Reject> {
    let invalid = |m: String| Reject::new(ErrorCode::InvalidManagementPayload, m);
    if vars.len() > MAX_ENV_VARS {
        return Err(invalid(format!(
            "Invalid settings: expected at most {MAX_ENV_VARS} environment variables, got {}",
            vars.len()
        )));
    }
    for v in &vars {
        if v.name.len() > MAX_ENV_VAR_NAME || v.value.len() > MAX_ENV_VAR_VALUE {
            return Err(invalid(format!(
                "Invalid settings: environment variable {:?} exceeds {MAX_ENV_VAR_NAME} bytes of name or {MAX_ENV_VAR_VALUE} bytes of value",
                v.name
            )));
        }
    }
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = vars.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(invalid(format!(
            "Invalid settings: environment variable {:?} is set twice",
            w[0].name
        )));
    }
    Ok(vars)
}

fn install_chunked(
    sub: &mut Subnet,
    sender: Principal,
    a: InstallChunkedCodeArgs,
) -> Result<Vec<u8>, Reject> {
    controlled(sub, a.target_canister, sender, "install_chunked_code")?;
    let store = a.store_canister.unwrap_or(a.target_canister);
    let store_c = controlled(sub, store, sender, "install_chunked_code")?;
    let mut wasm = Vec::new();
    for h in &a.chunk_hashes_list {
        let chunk = store_c.chunks.get(&h.hash).ok_or_else(|| {
            Reject::new(
                ErrorCode::InvalidManagementPayload,
                format!(
                    "Error from Wasm chunk store: chunk {} not found",
                    hex(&h.hash)
                ),
            )
        })?;
        wasm.extend_from_slice(chunk);
    }
    if sha256(&wasm).as_slice() != a.wasm_module_hash.as_slice() {
        return Err(Reject::new(
            ErrorCode::InvalidManagementPayload,
            format!(
                "Error from Wasm chunk store: wasm module hash mismatch: expected {}, got {}",
                hex(&a.wasm_module_hash),
                hex(&sha256(&wasm))
            ),
        ));
    }
    lifecycle::install_code(sub, sender, a.target_canister, mode(a.mode), &wasm, a.arg)
        .map(|_| encode(&()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
