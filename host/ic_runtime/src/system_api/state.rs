//! `ic0.stable64_*`, certified data, the data certificate, time, the global timer and the
//! performance counter.

use wasmtime::Result;

use super::guards::{allow, certificate_kinds, fail, state_kinds, violation};
use super::wasm_memory::{copy_out, instructions, memory, out_of_bounds, read_wasm};
use super::C;
use crate::errors::Trap;

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
