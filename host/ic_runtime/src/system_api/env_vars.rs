//! `ic0.env_var_*`: a canister reads the environment variables its controllers set with
//! `update_settings` (kept in `Settings::environment_variables`, copied into each execution's
//! context). Unknown names and bad indices trap, as on the IC.

use wasmtime::Result;

use super::guards::violation;
use super::wasm_memory::{read_wasm, source_range, write_wasm};
use super::C;

/// The IC's bound on a variable name passed to `env_var_*` (bytes).
const MAX_ENV_VAR_NAME: u64 = 128;

fn env_var_index_name(c: C, what: &str, index: u64) -> Result<Vec<u8>> {
    let vars = &c.data().ctx.env_vars;
    match vars.get(index as usize) {
        Some((name, _)) => Ok(name.as_bytes().to_vec()),
        None => {
            let count = vars.len();
            Err(violation(
                c,
                format!("{what}: index {index} out of bounds ({count} variables)"),
            ))
        }
    }
}

/// The value of the variable whose name is at `src`; traps when there is none, as on the IC.
fn env_var_value_of(c: C, what: &str, src: u64, size: u64) -> Result<Vec<u8>> {
    if size > MAX_ENV_VAR_NAME {
        return Err(violation(
            c,
            format!("{what}: name of {size} bytes exceeds {MAX_ENV_VAR_NAME}"),
        ));
    }
    let name = read_wasm(c, what, src, size)?;
    let found = c
        .data()
        .ctx
        .env_vars
        .iter()
        .find(|(n, _)| n.as_bytes() == name.as_slice())
        .map(|(_, v)| v.as_bytes().to_vec());
    found.ok_or_else(|| {
        violation(
            c,
            format!(
                "{what}: no variable named {:?}",
                String::from_utf8_lossy(&name)
            ),
        )
    })
}

/// Copies `data[offset..offset + size]` to wasm memory at `dst`.
fn copy_owned(c: C, what: &str, dst: u64, offset: u64, size: u64, data: &[u8]) -> Result<()> {
    match source_range(what, offset, size, data.len()) {
        Ok(from) => write_wasm(c, what, dst, &data[from]),
        Err(message) => Err(violation(c, message)),
    }
}

pub fn env_var_count(c: C) -> Result<u64> {
    Ok(c.data().ctx.env_vars.len() as u64)
}
pub fn env_var_name_size(c: C, index: u64) -> Result<u64> {
    Ok(env_var_index_name(c, "ic0.env_var_name_size", index)?.len() as u64)
}
pub fn env_var_name_copy(c: C, index: u64, dst: u64, offset: u64, size: u64) -> Result<()> {
    let what = "ic0.env_var_name_copy";
    let name = env_var_index_name(c, what, index)?;
    copy_owned(c, what, dst, offset, size, &name)
}
pub fn env_var_name_exists(c: C, src: u64, size: u64) -> Result<u32> {
    let what = "ic0.env_var_name_exists";
    if size > MAX_ENV_VAR_NAME {
        return Err(violation(
            c,
            format!("{what}: name of {size} bytes exceeds {MAX_ENV_VAR_NAME}"),
        ));
    }
    let name = read_wasm(c, what, src, size)?;
    let exists = c
        .data()
        .ctx
        .env_vars
        .iter()
        .any(|(n, _)| n.as_bytes() == name.as_slice());
    Ok(exists as u32)
}
pub fn env_var_value_size(c: C, src: u64, size: u64) -> Result<u64> {
    Ok(env_var_value_of(c, "ic0.env_var_value_size", src, size)?.len() as u64)
}
pub fn env_var_value_copy(
    c: C,
    src: u64,
    size: u64,
    dst: u64,
    offset: u64,
    len: u64,
) -> Result<()> {
    let what = "ic0.env_var_value_copy";
    let value = env_var_value_of(c, what, src, size)?;
    copy_owned(c, what, dst, offset, len, &value)
}
