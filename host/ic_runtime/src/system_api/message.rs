//! `ic0.msg_*`, `accept_message` and the message's cycles: the incoming message's data,
//! replying or rejecting, and the cycles it carries.

use wasmtime::Result;

use super::guards::{
    accept_kinds, allow, arg_kinds, available_kinds, deadline_kinds, inspect_kind, refunded_kinds,
    reject_code_kinds, reject_msg_kinds, reply_kinds, state_kinds, violation,
};
use super::wasm_memory::{copy_out, read_wasm, u128_of, write_u128};
use super::C;
use crate::context::Host;

pub fn msg_arg_data_size(c: C) -> Result<u64> {
    allow(c, "msg_arg_data_size", arg_kinds)?;
    Ok(c.data().ctx.arg.len() as u64)
}
pub fn msg_arg_data_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    allow(c, "msg_arg_data_copy", arg_kinds)?;
    copy_out(c, "ic0.msg_arg_data_copy", dst, offset, size, |h| {
        &h.ctx.arg
    })
}
pub fn msg_caller_size(c: C) -> Result<u64> {
    Ok(c.data().ctx.caller.as_slice().len() as u64)
}
pub fn msg_caller_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    copy_out(c, "ic0.msg_caller_copy", dst, offset, size, |h| {
        h.ctx.caller.as_slice()
    })
}
/// No caller attributes exist here (no signed delegations): size 0.
pub fn msg_caller_info_data_size(_c: C) -> Result<u64> {
    Ok(0)
}
pub fn msg_caller_info_data_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    copy_out(
        c,
        "ic0.msg_caller_info_data_copy",
        dst,
        offset,
        size,
        |_| &[],
    )
}
pub fn msg_caller_info_signer_size(_c: C) -> Result<u64> {
    Ok(0)
}
pub fn msg_caller_info_signer_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    copy_out(
        c,
        "ic0.msg_caller_info_signer_copy",
        dst,
        offset,
        size,
        |_| &[],
    )
}
pub fn msg_reject_code(c: C) -> Result<u32> {
    allow(c, "msg_reject_code", reject_code_kinds)?;
    Ok(c.data().ctx.reject.as_ref().map_or(0, |r| r.0))
}
pub fn msg_reject_msg_size(c: C) -> Result<u64> {
    allow(c, "msg_reject_msg_size", reject_msg_kinds)?;
    Ok(c.data().ctx.reject.as_ref().map_or(0, |r| r.1.len() as u64))
}
pub fn msg_reject_msg_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    allow(c, "msg_reject_msg_copy", reject_msg_kinds)?;
    copy_out(c, "ic0.msg_reject_msg_copy", dst, offset, size, |h| {
        h.ctx.reject.as_ref().map_or(&[], |r| r.1.as_bytes())
    })
}
pub fn msg_deadline(c: C) -> Result<u64> {
    allow(c, "msg_deadline", deadline_kinds)?;
    Ok(c.data().ctx.deadline)
}
pub fn msg_method_name_size(c: C) -> Result<u64> {
    allow(c, "msg_method_name_size", inspect_kind)?;
    Ok(c.data().ctx.method_name.len() as u64)
}
pub fn msg_method_name_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    allow(c, "msg_method_name_copy", inspect_kind)?;
    copy_out(c, "ic0.msg_method_name_copy", dst, offset, size, |h| {
        h.ctx.method_name.as_bytes()
    })
}
pub fn accept_message(c: C) -> Result<()> {
    allow(c, "accept_message", inspect_kind)?;
    if c.data().ctx.message_accepted {
        return Err(violation(
            c,
            "ic0.accept_message: the function was already called.".into(),
        ));
    }
    c.data_mut().ctx.message_accepted = true;
    Ok(())
}

// ---------------------------------------------------------------- replying

fn check_can_respond(c: C, name: &str) -> Result<()> {
    allow(c, name, reply_kinds)?;
    let ctx = &c.data().ctx;
    if !ctx.can_respond || ctx.response.is_some() {
        return Err(violation(
            c,
            format!("ic0.{name}: the call is already replied"),
        ));
    }
    Ok(())
}

pub fn msg_reply_data_append(c: C, src: u64, size: u64) -> Result<()> {
    check_can_respond(c, "msg_reply_data_append")?;
    let max = c.data().ctx.max_reply_size;
    let total = c.data().ctx.reply_buf.len() as u64 + size;
    if total > max as u64 {
        return Err(violation(
            c,
            format!("ic0.msg_reply_data_append: application payload size ({total}) cannot be larger than {max}."),
        ));
    }
    let data = read_wasm(c, "ic0.msg_reply_data_append", src, size)?;
    c.data_mut().ctx.reply_buf.extend_from_slice(&data);
    Ok(())
}
pub fn msg_reply(c: C) -> Result<()> {
    check_can_respond(c, "msg_reply")?;
    let ctx = &mut c.data_mut().ctx;
    ctx.response = Some(Ok(std::mem::take(&mut ctx.reply_buf)));
    Ok(())
}
pub fn msg_reject(c: C, src: u64, size: u64) -> Result<()> {
    check_can_respond(c, "msg_reject")?;
    let bytes = read_wasm(c, "ic0.msg_reject", src, size)?;
    // The IC traps on a reject message that is not UTF-8 rather than passing on garbled text.
    let text = String::from_utf8(bytes).map_err(|_| {
        violation(
            c,
            "ic0.msg_reject: the reject message is not valid UTF-8".into(),
        )
    })?;
    c.data_mut().ctx.response = Some(Err(text));
    Ok(())
}

// ---------------------------------------------------------------- cycles

/// Cycles the call context still offers: none once it has replied or rejected, because the
/// rest went back to the caller with the response.
fn cycles_left(host: &Host) -> u128 {
    let ctx = &host.ctx;
    if ctx.response.is_some() {
        0
    } else {
        ctx.cycles_available - ctx.cycles_accepted
    }
}

pub fn msg_cycles_available128(c: C, dst: u64) -> Result<()> {
    allow(c, "msg_cycles_available128", available_kinds)?;
    let left = cycles_left(c.data());
    write_u128(c, "ic0.msg_cycles_available128", dst, left)
}
pub fn msg_cycles_refunded128(c: C, dst: u64) -> Result<()> {
    allow(c, "msg_cycles_refunded128", refunded_kinds)?;
    let refunded = c.data().ctx.cycles_refunded;
    write_u128(c, "ic0.msg_cycles_refunded128", dst, refunded)
}
pub fn msg_cycles_accept128(c: C, high: u64, low: u64, dst: u64) -> Result<()> {
    allow(c, "msg_cycles_accept128", accept_kinds)?;
    let amount = u128_of(high, low).min(cycles_left(c.data()));
    let ctx = &mut c.data_mut().ctx;
    ctx.cycles_accepted += amount;
    ctx.balance += amount;
    write_u128(c, "ic0.msg_cycles_accept128", dst, amount)
}
pub fn cycles_burn128(c: C, high: u64, low: u64, dst: u64) -> Result<()> {
    allow(c, "cycles_burn128", state_kinds)?;
    let ctx = &mut c.data_mut().ctx;
    let amount = u128_of(high, low).min(ctx.balance);
    ctx.balance -= amount;
    ctx.cycles_burned += amount;
    write_u128(c, "ic0.cycles_burn128", dst, amount)
}
pub fn canister_cycle_balance128(c: C, dst: u64) -> Result<()> {
    let balance = c.data().ctx.balance;
    write_u128(c, "ic0.canister_cycle_balance128", dst, balance)
}
/// Nothing is reserved or frozen here, so the liquid balance is the balance.
pub fn canister_liquid_cycle_balance128(c: C, dst: u64) -> Result<()> {
    let balance = c.data().ctx.balance;
    write_u128(c, "ic0.canister_liquid_cycle_balance128", dst, balance)
}
