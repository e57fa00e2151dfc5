//! Prepares a canister module for the runtime: gunzips it, checks the IC's module rules that
//! matter here (imports only `ic0` functions, no duplicate method names, one memory), and
//! re-emits the export section so the function table (`__ic_table`, needed to run callbacks by
//! table index) and every mutable global (`__ic_global_<n>`, needed to roll back a trapped
//! message) are reachable from the host. The replica's instrumentation does the same.

use std::collections::BTreeSet;
use std::io::Read;

use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

/// The name the table is exported under after instrumentation.
pub const TABLE_EXPORT: &str = "__ic_table";
/// The name the (one) memory is exported under after instrumentation, whatever the module
/// called it: the IC accepts a memory exported under any name, or not exported at all.
pub const MEMORY_EXPORT: &str = "__ic_memory";
/// The module's start function, exported under this name with the start section removed, so
/// the runtime decides when it runs (after a kept heap is in place, as on the IC).
pub const START_EXPORT: &str = "__ic_start";
/// Prefix of the exported mutable globals.
pub const GLOBAL_EXPORT_PREFIX: &str = "__ic_global_";

/// A module ready to compile, with what the runtime needs to know about it.
#[derive(Debug)]
pub struct Instrumented {
    pub wasm: Vec<u8>,
    /// Every exported function name (`canister_update inc`, `canister_init`, ...).
    pub function_exports: BTreeSet<String>,
    /// Names of the re-exported mutable globals, in index order.
    pub global_exports: Vec<String>,
    pub has_table: bool,
    /// The module had a start function (now exported as `START_EXPORT`).
    pub has_start: bool,
    /// True for a wasm64 (memory64) module; see the README on pointer width.
    pub memory64: bool,
    /// Custom sections `icp:public <name>` / `icp:private <name>`: (name, public, content).
    /// The local network certifies them as `/canister/<id>/metadata/<name>`.
    pub metadata: Vec<(String, bool, Vec<u8>)>,
}

/// Gunzips when the bytes start with the gzip magic (`1f 8b 08`), as install_code does.
pub fn decompress(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.starts_with(&[0x1f, 0x8b, 0x08]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| format!("Failed to decompress the gzipped wasm module: {e}"))?;
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

/// Validates and rewrites the export section. Errors read like the IC's "Wasm module ..." ones.
pub fn instrument(wasm: &[u8]) -> Result<Instrumented, String> {
    if !wasm.starts_with(b"\0asm") {
        return Err("Wasm module has an invalid magic number or is not a wasm module".into());
    }
    let mut imported_globals = 0u32;
    let mut defined_mutable_globals = Vec::new();
    let mut has_table = false;
    let mut memory64 = false;
    let mut memories = 0;
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();
    let mut export_range = None;
    let mut metadata = Vec::new();
    let mut export_insert_at = None;
    let mut start = None;

    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("Wasm module is invalid: {e}"))?;
        if matches!(
            payload,
            Payload::TypeSection(_)
                | Payload::ImportSection(_)
                | Payload::FunctionSection(_)
                | Payload::TableSection(_)
                | Payload::MemorySection(_)
                | Payload::TagSection(_)
                | Payload::GlobalSection(_)
        ) {
            // Sections that precede the export section: a new one goes after the last.
            export_insert_at = payload.as_section().map(|(_, r)| r.end);
        }
        match &payload {
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports() {
                    let import = import.map_err(|e| format!("Wasm module is invalid: {e}"))?;
                    match import.ty {
                        TypeRef::Func(_) if import.module == "ic0" => {}
                        TypeRef::Global(_) => imported_globals += 1,
                        _ => {
                            return Err(format!(
                                "Wasm module has an invalid import section. Module imports function '{}' from '{}' that is not exported by the runtime.",
                                import.name, import.module
                            ))
                        }
                    }
                }
            }
            Payload::TableSection(reader) => has_table |= reader.count() > 0,
            Payload::MemorySection(reader) => {
                for mem in reader.clone() {
                    let mem = mem.map_err(|e| format!("Wasm module is invalid: {e}"))?;
                    memory64 |= mem.memory64;
                    memories += 1;
                }
            }
            Payload::GlobalSection(reader) => {
                for (i, global) in reader.clone().into_iter().enumerate() {
                    let global = global.map_err(|e| format!("Wasm module is invalid: {e}"))?;
                    if global.ty.mutable {
                        defined_mutable_globals.push(imported_globals + i as u32);
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader.clone() {
                    let e = export.map_err(|e| format!("Wasm module is invalid: {e}"))?;
                    exports.push((e.name.to_string(), e.kind, e.index));
                }
                export_range = payload.as_section().map(|(_, r)| r);
            }
            Payload::StartSection { func, range } => start = Some((*func, range.clone())),
            Payload::CustomSection(reader) => {
                let name = reader.name();
                if let Some(n) = name.strip_prefix("icp:public ") {
                    metadata.push((n.to_string(), true, reader.data().to_vec()));
                } else if let Some(n) = name.strip_prefix("icp:private ") {
                    metadata.push((n.to_string(), false, reader.data().to_vec()));
                }
            }
            _ => {}
        }
    }
    if memories > 1 {
        return Err(
            "Wasm module has an invalid memory section: at most one memory is allowed".into(),
        );
    }
    check_method_names(&exports)?;

    let mut global_exports = Vec::new();
    let mut new_exports = exports.clone();
    if memories == 1 {
        new_exports.push((MEMORY_EXPORT.to_string(), ExternalKind::Memory, 0));
    }
    if let Some((func, _)) = &start {
        new_exports.push((START_EXPORT.to_string(), ExternalKind::Func, *func));
    }
    if has_table {
        new_exports.push((TABLE_EXPORT.to_string(), ExternalKind::Table, 0));
    }
    for index in defined_mutable_globals {
        let name = format!("{GLOBAL_EXPORT_PREFIX}{index}");
        new_exports.push((name.clone(), ExternalKind::Global, index));
        global_exports.push(name);
    }

    // Re-encode the export section: count, then (name, kind, index) per export.
    let mut body = Vec::new();
    leb(&mut body, new_exports.len() as u64);
    for (name, kind, index) in &new_exports {
        leb(&mut body, name.len() as u64);
        body.extend_from_slice(name.as_bytes());
        body.push(match kind {
            ExternalKind::Func | ExternalKind::FuncExact => 0,
            ExternalKind::Table => 1,
            ExternalKind::Memory => 2,
            ExternalKind::Global => 3,
            ExternalKind::Tag => 4,
        });
        leb(&mut body, *index as u64);
    }
    // Replace the export section, or add one where the section order puts it.
    let (cut_start, cut_end) = match export_range {
        // The section header (id 7 + LEB size) sits just before the range wasmparser reports.
        Some(range) => (section_header_start(wasm, range.start), range.end),
        None => {
            let at = export_insert_at.ok_or("Wasm module has no memory: a canister needs one")?;
            (at, at)
        }
    };
    let mut out = Vec::with_capacity(wasm.len() + body.len());
    out.extend_from_slice(&wasm[..cut_start]);
    out.push(7);
    leb(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    match &start {
        // The start section (id 8) follows the export section: drop it.
        Some((_, range)) => {
            out.extend_from_slice(&wasm[cut_end..section_header_start(wasm, range.start)]);
            out.extend_from_slice(&wasm[range.end..]);
        }
        None => out.extend_from_slice(&wasm[cut_end..]),
    }

    let function_exports = exports
        .iter()
        .filter(|(_, kind, _)| matches!(kind, ExternalKind::Func | ExternalKind::FuncExact))
        .map(|(name, _, _)| name.clone())
        .collect();
    Ok(Instrumented {
        wasm: out,
        function_exports,
        global_exports,
        has_table,
        has_start: start.is_some(),
        memory64,
        metadata,
    })
}

/// The IC refuses a module exporting one method name under two kinds (e.g. update and query).
fn check_method_names(exports: &[(String, ExternalKind, u32)]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for (name, _, _) in exports {
        for prefix in [
            "canister_update ",
            "canister_query ",
            "canister_composite_query ",
        ] {
            if let Some(method) = name.strip_prefix(prefix) {
                if !seen.insert(method) {
                    return Err(format!(
                        "Wasm module has an invalid export section. Duplicate function '{method}' exported multiple times with different call types: update, query, or composite_query."
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Walks back from the section contents over the LEB128 size to the section id byte.
fn section_header_start(wasm: &[u8], contents_start: usize) -> usize {
    let mut i = contents_start - 1; // last byte of the size (no continuation bit)
    while i > 0 && wasm[i - 1] & 0x80 != 0 {
        i -= 1;
    }
    i - 1 // the id byte
}

fn leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb_encodes_multi_byte_values() {
        let mut out = Vec::new();
        leb(&mut out, 624_485);
        assert_eq!(out, vec![0xe5, 0x8e, 0x26]);
    }

    #[test]
    fn gzip_is_detected_and_raw_is_passed_through() {
        use std::io::Write;
        let raw = b"\0asm\x01\0\0\0".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        assert_eq!(decompress(&gz.finish().unwrap()).unwrap(), raw);
        assert_eq!(decompress(&raw).unwrap(), raw);
    }

    #[test]
    fn non_wasm_is_rejected() {
        assert!(instrument(b"hello")
            .unwrap_err()
            .contains("not a wasm module"));
    }
}
