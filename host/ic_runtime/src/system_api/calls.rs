//! `ic0.call_*`: building an outgoing call (destination, payload, cycles, timeout,
//! cleanup) and performing it.

use wasmtime::Result;

use super::guards::{allow, call_kinds, fail, violation};
use super::wasm_memory::{principal_at, read_wasm, u128_of};
use super::{C, MAX_CALL_TIMEOUT_SECS, MAX_LOCAL_CALL_PAYLOAD};
use crate::context::OutgoingCall;
use crate::errors::Trap;

fn pending(c: C, name: &str) -> Result<()> {
    allow(c, name, call_kinds)?;
    if c.data().ctx.pending_call.is_none() {
        return Err(violation(
            c,
            format!("ic0.{name}: there is no call being assembled (call_new was not called)"),
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn call_new(
    c: C,
    callee_src: u64,
    callee_size: u64,
    name_src: u64,
    name_size: u64,
    reply_fun: u64,
    reply_env: u64,
    reject_fun: u64,
    reject_env: u64,
) -> Result<()> {
    allow(c, "call_new", call_kinds)?;
    let callee = principal_at(c, "ic0.call_new", callee_src, callee_size)?;
    let name = read_wasm(c, "ic0.call_new", name_src, name_size)?;
    let method = String::from_utf8(name)
        .map_err(|_| violation(c, "ic0.call_new: method name is not UTF-8".into()))?;
    // A call_new while another call is being assembled discards that call, as the spec says.
    c.data_mut().ctx.pending_call = Some(OutgoingCall::new(
        callee,
        method,
        (reply_fun, reply_env),
        (reject_fun, reject_env),
    ));
    Ok(())
}
pub fn call_on_cleanup(c: C, fun: u64, env: u64) -> Result<()> {
    pending(c, "call_on_cleanup")?;
    let call = c.data_mut().ctx.pending_call.as_mut().expect("checked");
    if call.cleanup.is_some() {
        return Err(violation(
            c,
            "ic0.call_on_cleanup: a cleanup callback is already set".into(),
        ));
    }
    call.cleanup = Some((fun, env));
    Ok(())
}
pub fn call_data_append(c: C, src: u64, size: u64) -> Result<()> {
    pending(c, "call_data_append")?;
    let total = c
        .data()
        .ctx
        .pending_call
        .as_ref()
        .expect("checked")
        .payload
        .len() as u64
        + size;
    if total > MAX_LOCAL_CALL_PAYLOAD as u64 {
        return Err(violation(
            c,
            format!(
                "ic0.call_data_append: payload size ({total}) cannot be larger than {MAX_LOCAL_CALL_PAYLOAD}."
            ),
        ));
    }
    let data = read_wasm(c, "ic0.call_data_append", src, size)?;
    c.data_mut()
        .ctx
        .pending_call
        .as_mut()
        .expect("checked")
        .payload
        .extend_from_slice(&data);
    Ok(())
}
pub fn call_with_best_effort_response(c: C, timeout_secs: u32) -> Result<()> {
    pending(c, "call_with_best_effort_response")?;
    let call = c.data_mut().ctx.pending_call.as_mut().expect("checked");
    if call.timeout_secs.is_some() {
        return Err(violation(
            c,
            "ic0.call_with_best_effort_response: the timeout is already set".into(),
        ));
    }
    call.timeout_secs = Some(timeout_secs.clamp(1, MAX_CALL_TIMEOUT_SECS));
    Ok(())
}
pub fn call_cycles_add128(c: C, high: u64, low: u64) -> Result<()> {
    pending(c, "call_cycles_add128")?;
    let amount = u128_of(high, low);
    let ctx = &mut c.data_mut().ctx;
    if amount > ctx.balance {
        let balance = ctx.balance;
        return Err(fail(
            c.data_mut(),
            Trap::ContractViolation(format!(
                "ic0.call_cycles_add128: cannot add {amount} cycles, balance is {balance}"
            )),
        ));
    }
    ctx.balance -= amount;
    ctx.pending_call.as_mut().expect("checked").cycles += amount;
    Ok(())
}
pub fn call_perform(c: C) -> Result<u32> {
    pending(c, "call_perform")?;
    let ctx = &mut c.data_mut().ctx;
    let call = ctx.pending_call.take().expect("checked");
    ctx.calls.push(call);
    Ok(0)
}
