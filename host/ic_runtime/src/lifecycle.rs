//! install_code in its three modes, and uninstall. Each is atomic: a trap in `canister_init`,
//! `canister_pre_upgrade` or `canister_post_upgrade` leaves the canister exactly as it was.
//! Upgrades keep stable memory (moved, not copied, with a journal level open so a failed
//! post_upgrade can undo pre_upgrade's writes) and start from a fresh heap.

use candid::Principal;
use ic_management_canister_types::{ChangeDetails, CodeDeploymentMode, CodeDeploymentRecord};

use crate::canister::{Canister, Origin};
use crate::context::ExecKind;
use crate::engine;
use crate::errors::{ErrorCode, Reject};
use crate::execution::{Code, Entry, Outcome};
use crate::stable::StableMemory;
use crate::subnet::{base_ctx, Subnet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Install,
    Reinstall,
    /// `keep_wasm_memory`: the `wasm_memory_persistence = keep` option, which Motoko's
    /// enhanced orthogonal persistence needs: the new code starts on the old heap.
    Upgrade {
        skip_pre_upgrade: bool,
        keep_wasm_memory: bool,
    },
}

/// The custom section (`icp:private enhanced-orthogonal-persistence`) by which a module says
/// its heap must survive upgrades.
const EOP_SECTION: &str = "enhanced-orthogonal-persistence";

fn keep_logs(c: &mut Canister, outcome: &Outcome, time: u64) {
    for (t, line) in &outcome.ctx.logs {
        c.log(*t, line.clone());
    }
    if let Some(trap) = &outcome.trap {
        c.log(time, trap.log_line().into_bytes());
    }
}

fn invalid_wasm(id: Principal, e: String) -> Reject {
    Reject::from_canister(
        id,
        ErrorCode::CanisterInvalidWasm,
        format!("Canister's Wasm module is not valid: {e}"),
    )
}

pub fn install_code(
    sub: &mut Subnet,
    sender: Principal,
    id: Principal,
    mode: Mode,
    wasm: &[u8],
    arg: Vec<u8>,
) -> Result<(), Reject> {
    let time = sub.time;
    let limit = sub.limits.install;
    let root_key = sub.root_key();
    sub.canister(&id)?;
    let module = engine::load(wasm).map_err(|e| invalid_wasm(id, e))?;
    let c = sub.canister_mut(&id)?;
    let eop = module
        .metadata
        .iter()
        .any(|(name, _, _)| name == EOP_SECTION);
    if let Mode::Upgrade {
        keep_wasm_memory: false,
        ..
    } = mode
    {
        if eop && c.code.is_some() {
            return Err(Reject::from_canister(
                id,
                ErrorCode::CanisterContractViolation,
                "Missing upgrade option: Enhanced orthogonal persistence requires the `wasm_memory_persistence` upgrade option.",
            ));
        }
    }
    match (mode, c.code.is_some()) {
        (Mode::Install, true) => {
            return Err(Reject::new(
                ErrorCode::CanisterNonEmpty,
                format!("Canister {id} cannot be installed because the canister is not empty. Try installing with mode='reinstall' instead."),
            ))
        }
        (Mode::Upgrade { .. }, false) => {
            return Err(Reject::from_canister(
                id,
                ErrorCode::CanisterWasmModuleNotFound,
                "Attempted to execute a message, but the canister contains no Wasm module.",
            ))
        }
        _ => {}
    }

    let (new_code, timer, certified, cycles) = match mode {
        Mode::Install | Mode::Reinstall => {
            let mut code = Code::instantiate(module, StableMemory::default(), limit)
                .map_err(|e| invalid_wasm(id, e))?;
            let mut ctx = base_ctx(c, time, ExecKind::Init, sender, limit);
            ctx.root_key = Some(root_key.clone());
            // The spec bumps the version before the new code runs: init sees the new one.
            ctx.version = c.version + 1;
            ctx.arg = arg;
            ctx.timer_before = 0;
            let mut outcome = Outcome {
                ctx,
                trap: None,
                instructions: 0,
            };
            if code.exports("canister_init") {
                outcome = code.execute(Entry::Export("canister_init"), outcome.ctx, false);
                keep_logs(c, &outcome, time);
                c.last_instructions = outcome.instructions;
                if let Some(trap) = outcome.trap {
                    return Err(trap.into_reject(id));
                }
            }
            let certified = outcome.ctx.certified_data.clone().unwrap_or_default();
            (
                code,
                outcome.ctx.timer.unwrap_or(0),
                certified,
                outcome.ctx.balance,
            )
        }
        Mode::Upgrade {
            skip_pre_upgrade,
            keep_wasm_memory,
        } => {
            let old = c.code.as_mut().expect("checked non-empty");
            let outer = old.begin_outer();
            let mut used = 0;
            let mut balance = c.cycles;
            if !skip_pre_upgrade && old.exports("canister_pre_upgrade") {
                let mut ctx = base_ctx(c, time, ExecKind::PreUpgrade, sender, limit);
                ctx.root_key = Some(root_key.clone());
                let old = c.code.as_mut().expect("checked non-empty");
                let outcome = old.execute(Entry::Export("canister_pre_upgrade"), ctx, false);
                used = outcome.instructions;
                keep_logs(c, &outcome, time);
                if let Some(trap) = outcome.trap {
                    c.code
                        .as_mut()
                        .expect("checked non-empty")
                        .restore_outer(&outer);
                    return Err(trap.into_reject(id));
                }
                balance = outcome.ctx.balance;
            }
            // Stable memory moves to the new instance with the outer journal level still open.
            let old = c.code.as_mut().expect("non-empty");
            let kept_heap = if !keep_wasm_memory {
                None
            } else if old.module.memory64 != module.memory64 {
                old.restore_outer(&outer);
                return Err(invalid_wasm(
                    id,
                    "the new module's memory is not the same kind (wasm32/wasm64) as the kept one"
                        .into(),
                ));
            } else {
                // The new instance starts on the heap pre_upgrade left (its globals are new).
                Some(old.heap_and_globals().0)
            };
            let stable = old.take_stable();
            let mut code = match Code::instantiate_on(
                module.clone(),
                StableMemory::default(),
                limit - used,
                kept_heap,
            ) {
                Ok(mut code) => {
                    *code.stable_mut() = stable;
                    code
                }
                Err(e) => {
                    let old = c.code.as_mut().expect("non-empty");
                    *old.stable_mut() = stable;
                    old.restore_outer(&outer);
                    return Err(invalid_wasm(id, e));
                }
            };
            let mut ctx = base_ctx(c, time, ExecKind::Init, sender, limit - used);
            ctx.root_key = Some(root_key.clone());
            ctx.version = c.version + 1;
            ctx.arg = arg;
            ctx.timer_before = 0;
            ctx.balance = balance;
            let mut outcome = Outcome {
                ctx,
                trap: None,
                instructions: 0,
            };
            if code.exports("canister_post_upgrade") {
                outcome = code.execute(Entry::Export("canister_post_upgrade"), outcome.ctx, false);
                keep_logs(c, &outcome, time);
                if let Some(trap) = outcome.trap {
                    let old = c.code.as_mut().expect("non-empty");
                    *old.stable_mut() = code.take_stable();
                    old.restore_outer(&outer);
                    return Err(trap.into_reject(id));
                }
            }
            code.commit_outer();
            c.last_instructions = used + outcome.instructions;
            let certified = outcome
                .ctx
                .certified_data
                .clone()
                .unwrap_or_else(|| c.certified_data.clone());
            (
                code,
                outcome.ctx.timer.unwrap_or(0),
                certified,
                outcome.ctx.balance,
            )
        }
    };
    let hash = new_code.module.hash.to_vec();
    c.code = Some(new_code);
    c.version += 1;
    c.global_timer = timer;
    c.certified_data = certified;
    c.cycles = cycles;
    let mode = match mode {
        Mode::Install => CodeDeploymentMode::Install,
        Mode::Reinstall => CodeDeploymentMode::Reinstall,
        Mode::Upgrade { .. } => CodeDeploymentMode::Upgrade,
    };
    c.record_change(
        time,
        sender,
        ChangeDetails::CodeDeployment(CodeDeploymentRecord {
            mode,
            module_hash: hash,
        }),
    );
    sub.last_instructions = sub.canisters[&id].last_instructions;
    Ok(())
}

/// Removes code, heap and stable memory; open call contexts are rejected and their callbacks
/// will never run.
pub fn uninstall_code(sub: &mut Subnet, sender: Principal, id: Principal) -> Result<(), Reject> {
    let time = sub.time;
    let c = sub.canister_mut(&id)?;
    c.code = None;
    c.global_timer = 0;
    c.certified_data.clear();
    c.version += 1;
    c.callbacks.clear();
    let contexts = std::mem::take(&mut c.call_contexts);
    c.record_change(time, sender, ChangeDetails::CodeUninstall);
    for (_, context) in contexts {
        if !context.responded && context.origin != Origin::System {
            let reject = Reject::new(
                ErrorCode::CanisterRejectedMessage,
                "Canister has been uninstalled.",
            );
            sub.respond(context.origin, Err(reject), context.cycles_available);
        }
    }
    Ok(())
}
