//! The `ic0` system API, written once over 64-bit addresses and sizes. `linker.rs` registers
//! each function for the wasm32 signatures (and could register the same functions for wasm64
//! without touching this file). Every function first checks that its entry-point kind may call
//! it, then records its effect in the execution context; a violation traps the execution with
//! a "Canister violated contract" message, as on the IC.

use candid::Principal;
use wasmtime::Caller;
use wasmtime::{format_err as anyhow, Error, Result};

use crate::context::{ExecKind, Host, OutgoingCall};
use crate::errors::Trap;

pub type C<'a, 'b> = &'a mut Caller<'b, Host>;

/// Payload caps: 2 MiB for ingress messages and replicated replies.
pub const MAX_PAYLOAD: usize = 2 * 1024 * 1024;
/// Calls between canisters of one subnet may carry 5 times that (the IC's
/// `MULTIPLIER_MAX_SIZE_LOCAL_SUBNET`); every canister here shares the one subnet.
pub const MAX_LOCAL_CALL_PAYLOAD: usize = 5 * MAX_PAYLOAD;
/// Bounded-wait timeouts are silently capped at this many seconds.
pub const MAX_CALL_TIMEOUT_SECS: u32 = 300;
/// The subnet every canister lives on (one subnet, see README).
pub const SUBNET_ID: &str = "2vxsx-fae";

// ---------------------------------------------------------------- helpers

fn fail(host: &mut Host, trap: Trap) -> Error {
    let text = trap.detail();
    host.ctx.trap = Some(trap);
    anyhow!(text)
}

pub(crate) fn violation(c: C, text: String) -> Error {
    fail(c.data_mut(), Trap::ContractViolation(text))
}

/// Traps unless the current entry-point kind may call `name`.
fn allow(c: C, name: &str, ok: fn(ExecKind) -> bool) -> Result<()> {
    let kind = c.data().ctx.kind;
    if ok(kind) {
        Ok(())
    } else {
        Err(violation(
            c,
            format!("\"ic0_{name}\" cannot be executed in {} mode", kind.name()),
        ))
    }
}

fn arg_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        Init | Update
            | ReplicatedQuery
            | Query
            | CompositeQuery
            | ReplyCallback
            | CompositeReplyCallback
            | Inspect
    )
}
fn reply_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        Update
            | ReplicatedQuery
            | Query
            | CompositeQuery
            | ReplyCallback
            | RejectCallback
            | CompositeReplyCallback
            | CompositeRejectCallback
    )
}
fn reject_code_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        ReplyCallback
            | RejectCallback
            | CompositeReplyCallback
            | CompositeRejectCallback
            | Cleanup
            | CompositeCleanup
    )
}
fn reject_msg_kinds(k: ExecKind) -> bool {
    matches!(
        k,
        ExecKind::RejectCallback | ExecKind::CompositeRejectCallback
    )
}
fn call_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        Update
            | CompositeQuery
            | ReplyCallback
            | RejectCallback
            | CompositeReplyCallback
            | CompositeRejectCallback
            | System
    )
}
fn state_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        Init | PreUpgrade | Update | ReplyCallback | RejectCallback | Cleanup | System
    )
}
fn deadline_kinds(k: ExecKind) -> bool {
    reply_kinds(k)
}
fn inspect_kind(k: ExecKind) -> bool {
    k == ExecKind::Inspect
}
/// The spec's U, RQ, Ry, Rt: a replicated query may keep cycles although its heap changes go.
fn accept_kinds(k: ExecKind) -> bool {
    available_kinds(k)
}
fn available_kinds(k: ExecKind) -> bool {
    matches!(
        k,
        ExecKind::Update
            | ExecKind::ReplicatedQuery
            | ExecKind::ReplyCallback
            | ExecKind::RejectCallback
    )
}
fn refunded_kinds(k: ExecKind) -> bool {
    matches!(k, ExecKind::ReplyCallback | ExecKind::RejectCallback)
}
/// `root_key_*`: replicated executions only (the spec's I G U RQ Ry Rt C T).
fn root_key_kinds(k: ExecKind) -> bool {
    k.is_replicated()
}
fn certificate_kinds(k: ExecKind) -> bool {
    matches!(k, ExecKind::Query | ExecKind::CompositeQuery)
}

fn memory(c: C) -> Result<wasmtime::Memory> {
    match c.data().memory {
        Some(m) => Ok(m),
        None => Err(fail(
            c.data_mut(),
            Trap::Wasm("the module has no memory".into()),
        )),
    }
}

fn out_of_bounds(what: &str, addr: u64, size: u64, len: usize) -> Trap {
    Trap::Wasm(format!(
        "{what}: heap out of bounds (address {addr} + size {size} > memory size {len})"
    ))
}

/// Copies `size` bytes from wasm memory at `src`.
pub(crate) fn read_wasm(c: C, what: &str, src: u64, size: u64) -> Result<Vec<u8>> {
    let mem = memory(c)?;
    let (bytes, host) = mem.data_and_store_mut(&mut *c);
    match src.checked_add(size) {
        Some(end) if end <= bytes.len() as u64 => Ok(bytes[src as usize..end as usize].to_vec()),
        _ => {
            let len = bytes.len();
            Err(fail(host, out_of_bounds(what, src, size, len)))
        }
    }
}

/// Writes `data` into wasm memory at `dst`.
pub(crate) fn write_wasm(c: C, what: &str, dst: u64, data: &[u8]) -> Result<()> {
    let mem = memory(c)?;
    let (bytes, host) = mem.data_and_store_mut(&mut *c);
    match dst.checked_add(data.len() as u64) {
        Some(end) if end <= bytes.len() as u64 => {
            host.journal.touch(dst as usize, data.len());
            bytes[dst as usize..end as usize].copy_from_slice(data);
            Ok(())
        }
        _ => {
            let len = bytes.len();
            Err(fail(host, out_of_bounds(what, dst, data.len() as u64, len)))
        }
    }
}

/// The part `offset..offset + size` of a `len`-byte source a `*_copy` call asks for, or the
/// contract violation's message.
pub(crate) fn source_range(
    what: &str,
    offset: u64,
    size: u64,
    len: usize,
) -> std::result::Result<std::ops::Range<usize>, String> {
    offset
        .checked_add(size)
        .filter(|end| *end <= len as u64)
        .map(|end| offset as usize..end as usize)
        .ok_or_else(|| format!("{what}: src={offset} + length={size} exceeds the slice size={len}"))
}

/// The `*_copy(dst, offset, size)` pattern: copy a slice of host data into wasm memory.
fn copy_out(
    c: C,
    what: &str,
    dst: u64,
    offset: u64,
    size: u64,
    src: fn(&Host) -> &[u8],
) -> Result<()> {
    let mem = memory(c)?;
    let (bytes, host) = mem.data_and_store_mut(&mut *c);
    let data = src(host);
    let from = match source_range(what, offset, size, data.len()) {
        Ok(from) => from,
        Err(message) => return Err(fail(host, Trap::ContractViolation(message))),
    };
    match dst.checked_add(size) {
        Some(end) if end <= bytes.len() as u64 => {
            host.journal.touch(dst as usize, size as usize);
            bytes[dst as usize..end as usize].copy_from_slice(&data[from]);
            Ok(())
        }
        _ => {
            let len = bytes.len();
            Err(fail(host, out_of_bounds(what, dst, size, len)))
        }
    }
}

fn write_u128(c: C, what: &str, dst: u64, value: u128) -> Result<()> {
    write_wasm(c, what, dst, &value.to_le_bytes())
}

fn principal_at(c: C, what: &str, src: u64, size: u64) -> Result<Principal> {
    let bytes = read_wasm(c, what, src, size)?;
    Principal::try_from_slice(&bytes)
        .map_err(|e| violation(c, format!("{what}: invalid principal: {e}")))
}

fn u128_of(high: u64, low: u64) -> u128 {
    ((high as u128) << 64) | low as u128
}

fn instructions(c: C) -> u64 {
    let limit = c.data().ctx.fuel_limit;
    limit.saturating_sub(c.get_fuel().unwrap_or(0))
}

// ---------------------------------------------------------------- message data

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

// ---------------------------------------------------------------- canister facts

pub fn canister_self_size(c: C) -> Result<u64> {
    Ok(c.data().ctx.canister_id.as_slice().len() as u64)
}
pub fn canister_self_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    copy_out(c, "ic0.canister_self_copy", dst, offset, size, |h| {
        h.ctx.canister_id.as_slice()
    })
}
pub fn canister_status(c: C) -> Result<u32> {
    Ok(c.data().ctx.status)
}
pub fn canister_version(c: C) -> Result<u64> {
    Ok(c.data().ctx.version)
}
pub fn subnet_self_size(_c: C) -> Result<u64> {
    Ok(Principal::from_text(SUBNET_ID)
        .expect("valid")
        .as_slice()
        .len() as u64)
}
pub fn subnet_self_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    // The anonymous principal's bytes stand in for the one subnet's id.
    copy_out(c, "ic0.subnet_self_copy", dst, offset, size, |_| &[4])
}
pub fn subnet_self_node_count(_c: C) -> Result<u32> {
    Ok(13)
}
/// The DER key that signs the subnet's certificates, the same one `PocketIc::root_key` gives.
fn root_key_der(host: &Host) -> &[u8] {
    host.ctx.root_key.as_deref().map_or(&[], |k| k.der())
}
pub fn root_key_size(c: C) -> Result<u64> {
    allow(c, "root_key_size", root_key_kinds)?;
    Ok(root_key_der(c.data()).len() as u64)
}
pub fn root_key_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    allow(c, "root_key_copy", root_key_kinds)?;
    copy_out(c, "ic0.root_key_copy", dst, offset, size, root_key_der)
}
pub fn is_controller(c: C, src: u64, size: u64) -> Result<u32> {
    if size > 29 {
        return Err(violation(
            c,
            format!("ic0.is_controller: invalid principal of {size} bytes"),
        ));
    }
    let p = principal_at(c, "ic0.is_controller", src, size)?;
    Ok(c.data().ctx.controllers.contains(&p) as u32)
}
pub fn in_replicated_execution(c: C) -> Result<u32> {
    Ok(c.data().ctx.kind.is_replicated() as u32)
}

// ---------------------------------------------------------------- calls

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

// ---------------------------------------------------------------- stable memory

pub fn stable64_size(c: C) -> Result<u64> {
    Ok(c.data().stable.pages())
}
pub fn stable64_grow(c: C, new_pages: u64) -> Result<u64> {
    Ok(c.data_mut().stable.grow(new_pages))
}
pub fn stable64_write(c: C, offset: u64, src: u64, size: u64) -> Result<()> {
    let mem = memory(c)?;
    let (bytes, host) = mem.data_and_store_mut(&mut *c);
    let Some(end) = src.checked_add(size).filter(|e| *e <= bytes.len() as u64) else {
        let len = bytes.len();
        return Err(fail(
            host,
            out_of_bounds("ic0.stable64_write", src, size, len),
        ));
    };
    match host
        .stable
        .write(offset, &bytes[src as usize..end as usize])
    {
        Ok(()) => Ok(()),
        Err(e) => Err(fail(host, Trap::Wasm(format!("ic0.stable64_write: {e}")))),
    }
}
pub fn stable64_read(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    let mem = memory(c)?;
    let (bytes, host) = mem.data_and_store_mut(&mut *c);
    let Some(end) = dst.checked_add(size).filter(|e| *e <= bytes.len() as u64) else {
        let len = bytes.len();
        return Err(fail(
            host,
            out_of_bounds("ic0.stable64_read", dst, size, len),
        ));
    };
    host.journal.touch(dst as usize, size as usize);
    match host
        .stable
        .read(offset, &mut bytes[dst as usize..end as usize])
    {
        Ok(()) => Ok(()),
        Err(e) => Err(fail(host, Trap::Wasm(format!("ic0.stable64_read: {e}")))),
    }
}

// ---------------------------------------------------------------- certification, time, timer

pub fn certified_data_set(c: C, src: u64, size: u64) -> Result<()> {
    allow(c, "certified_data_set", state_kinds)?;
    if size > 32 {
        return Err(violation(
            c,
            format!("ic0.certified_data_set: can only set up to 32 bytes, got {size}"),
        ));
    }
    let data = read_wasm(c, "ic0.certified_data_set", src, size)?;
    c.data_mut().ctx.certified_data = Some(data);
    Ok(())
}
pub fn data_certificate_present(c: C) -> Result<u32> {
    Ok(c.data().ctx.data_certificate.is_some() as u32)
}
pub fn data_certificate_size(c: C) -> Result<u64> {
    allow(c, "data_certificate_size", certificate_kinds)?;
    Ok(c.data()
        .ctx
        .data_certificate
        .as_ref()
        .map_or(0, |d| d.bytes().len() as u64))
}
pub fn data_certificate_copy(c: C, dst: u64, offset: u64, size: u64) -> Result<()> {
    allow(c, "data_certificate_copy", certificate_kinds)?;
    copy_out(c, "ic0.data_certificate_copy", dst, offset, size, |h| {
        h.ctx.data_certificate.as_ref().map_or(&[], |d| d.bytes())
    })
}
pub fn time(c: C) -> Result<u64> {
    Ok(c.data().ctx.time)
}
pub fn global_timer_set(c: C, timestamp: u64) -> Result<u64> {
    allow(c, "global_timer_set", state_kinds)?;
    let ctx = &mut c.data_mut().ctx;
    let previous = ctx.timer.unwrap_or(ctx.timer_before);
    ctx.timer = Some(timestamp);
    Ok(previous)
}
/// 0: instructions of this execution; 1: of the whole call context so far. Counted in fuel.
pub fn performance_counter(c: C, counter_type: u32) -> Result<u64> {
    let now = instructions(c);
    match counter_type {
        0 => Ok(now),
        1 => Ok(c.data().ctx.context_instructions + now),
        other => Err(violation(
            c,
            format!("ic0.performance_counter: unknown counter type {other}"),
        )),
    }
}

// ---------------------------------------------------------------- costs (nothing is charged)

/// The 13-node subnet prices: 260K cycles per call plus 1K per byte of method name and payload.
pub fn cost_call(c: C, method_name_size: u64, payload_size: u64, dst: u64) -> Result<()> {
    let cost = 260_000u128 + 1_000 * (method_name_size as u128 + payload_size as u128);
    write_u128(c, "ic0.cost_call", dst, cost)
}
pub fn cost_create_canister(c: C, dst: u64) -> Result<()> {
    write_u128(c, "ic0.cost_create_canister", dst, 500_000_000_000)
}
pub fn cost_http_request(c: C, request_size: u64, max_res_bytes: u64, dst: u64) -> Result<()> {
    let n = 13u128;
    let cost = (3_000_000 + 60_000 * n) * n
        + 400 * n * request_size as u128
        + 800 * n * max_res_bytes as u128;
    write_u128(c, "ic0.cost_http_request", dst, cost)
}
pub fn cost_http_request_v2(c: C, _src: u64, _size: u64, _dst: u64) -> Result<()> {
    Err(unsupported(c, "cost_http_request_v2"))
}
/// No threshold keys exist here: every key name is unknown (result code 2).
pub fn cost_sign_with_ecdsa(_c: C, _src: u64, _size: u64, _curve: u32, _dst: u64) -> Result<u32> {
    Ok(2)
}
pub fn cost_sign_with_schnorr(
    _c: C,
    _src: u64,
    _size: u64,
    _algorithm: u32,
    _dst: u64,
) -> Result<u32> {
    Ok(2)
}
pub fn cost_vetkd_derive_key(_c: C, _src: u64, _size: u64, _curve: u32, _dst: u64) -> Result<u32> {
    Ok(2)
}

// ---------------------------------------------------------------- environment variables

pub use crate::env_vars::*;

// ---------------------------------------------------------------- debugging

pub fn debug_print(c: C, src: u64, size: u64) -> Result<()> {
    // Never trap on a bad pointer here: the IC prints nothing instead.
    let bytes = read_wasm(c, "ic0.debug_print", src, size.min(64 * 1024)).unwrap_or_default();
    c.data_mut().ctx.trap = None;
    let time = c.data().ctx.time;
    c.data_mut().ctx.logs.push((time, bytes));
    Ok(())
}
pub fn trap(c: C, src: u64, size: u64) -> Result<()> {
    let bytes = read_wasm(c, "ic0.trap", src, size.min(64 * 1024)).unwrap_or_default();
    Err(fail(
        c.data_mut(),
        Trap::Called(String::from_utf8_lossy(&bytes).into_owned()),
    ))
}

fn unsupported(c: C, name: &str) -> Error {
    violation(c, format!("ic0.{name} is not supported by ic_runtime"))
}
