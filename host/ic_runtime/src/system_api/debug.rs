//! `ic0.debug_print` and `ic0.trap`.

use wasmtime::Result;

use super::guards::fail;
use super::wasm_memory::read_wasm;
use super::C;
use crate::errors::Trap;

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
