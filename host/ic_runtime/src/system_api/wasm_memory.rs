//! Reading and writing the canister's wasm memory with bounds checks, the `*_copy` pattern,
//! and the small encodings (u128 halves, principals) the `ic0` functions share.

use candid::Principal;
use wasmtime::Result;

use super::guards::{fail, violation};
use super::C;
use crate::context::Host;
use crate::errors::Trap;

pub(super) fn memory(c: C) -> Result<wasmtime::Memory> {
    match c.data().memory {
        Some(m) => Ok(m),
        None => Err(fail(
            c.data_mut(),
            Trap::Wasm("the module has no memory".into()),
        )),
    }
}

pub(super) fn out_of_bounds(what: &str, addr: u64, size: u64, len: usize) -> Trap {
    Trap::Wasm(format!(
        "{what}: heap out of bounds (address {addr} + size {size} > memory size {len})"
    ))
}

/// Copies `size` bytes from wasm memory at `src`.
pub(super) fn read_wasm(c: C, what: &str, src: u64, size: u64) -> Result<Vec<u8>> {
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
pub(super) fn write_wasm(c: C, what: &str, dst: u64, data: &[u8]) -> Result<()> {
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
pub(super) fn source_range(
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
pub(super) fn copy_out(
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

pub(super) fn write_u128(c: C, what: &str, dst: u64, value: u128) -> Result<()> {
    write_wasm(c, what, dst, &value.to_le_bytes())
}

pub(super) fn principal_at(c: C, what: &str, src: u64, size: u64) -> Result<Principal> {
    let bytes = read_wasm(c, what, src, size)?;
    Principal::try_from_slice(&bytes)
        .map_err(|e| violation(c, format!("{what}: invalid principal: {e}")))
}

pub(super) fn u128_of(high: u64, low: u64) -> u128 {
    ((high as u128) << 64) | low as u128
}

pub(super) fn instructions(c: C) -> u64 {
    let limit = c.data().ctx.fuel_limit;
    limit.saturating_sub(c.get_fuel().unwrap_or(0))
}
