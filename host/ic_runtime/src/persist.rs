//! Saving a subnet to a directory and loading it back, so the local network keeps every
//! canister across restarts: module, wasm memory and mutable globals, stable memory, settings,
//! status, cycles, version, global timer, certified data, logs, chunk store and history.
//!
//! Layout of the directory:
//!
//! ```text
//! modules/<sha256>.wasm        installed module bytes, content-addressed, shared by snapshots
//! snapshot/subnet.candid       everything but the big blobs, Candid-encoded (FORMAT below)
//! snapshot/<canister>/heap     wasm memory
//! snapshot/<canister>/stable   stable memory
//! ```
//!
//! A save writes `snapshot.new/` completely, then swaps it in with two renames; loading falls
//! back to `snapshot.old/` when a crash hit between them. A canister no message touched since
//! the last save into the same directory is not copied again: its memory files are hard-linked
//! from the current snapshot (each canister counts the messages that may change it). Only state between rounds is saved:
//! saving first runs rounds until no message is queued, and call contexts still open after that
//! (a bounded-wait call whose answer never came) are not kept. Ingress results are not kept
//! either: a client polling across a restart sees its request as unknown.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use candid::{CandidType, Deserialize, Nat, Principal};
use ic_management_canister_types::{CanisterLogRecord, Change, EnvironmentVariable, LogVisibility};
use serde_bytes::ByteBuf;
use wasmtime::Val;

use crate::canister::{Canister, Settings, Status};
use crate::engine;
use crate::execution::Code;
use crate::stable::StableMemory;
use crate::subnet::{Limits, Subnet};

/// Bumped whenever the saved layout changes incompatibly; loading refuses other versions.
const FORMAT: u32 = 1;
const SNAPSHOT: &str = "snapshot";
const META: &str = "subnet.candid";

#[derive(CandidType, Deserialize)]
struct SavedSubnet {
    format: u32,
    time: u64,
    next_canister: u64,
    next_message_id: u64,
    seed: ByteBuf,
    rand_counter: u64,
    canisters: Vec<SavedCanister>,
}

#[derive(CandidType, Deserialize)]
struct SavedSettings {
    controllers: Vec<Principal>,
    compute_allocation: Nat,
    memory_allocation: Nat,
    freezing_threshold: Nat,
    reserved_cycles_limit: Nat,
    wasm_memory_limit: Nat,
    wasm_memory_threshold: Nat,
    log_memory_limit: Nat,
    /// `None` in states saved before log visibility was kept: controllers only.
    log_visibility: Option<LogVisibility>,
    /// `None` in states saved before environment variables were kept: none.
    environment_variables: Option<Vec<EnvironmentVariable>>,
}

#[derive(CandidType, Deserialize)]
struct SavedCanister {
    id: Principal,
    settings: SavedSettings,
    /// `Status::code`: 1 running, 2 stopping, 3 stopped.
    status: u32,
    cycles: Nat,
    version: u64,
    global_timer: u64,
    certified_data: ByteBuf,
    logs: Vec<CanisterLogRecord>,
    next_log_idx: u64,
    next_id: u64,
    chunks: Vec<(ByteBuf, ByteBuf)>,
    history: Vec<Change>,
    total_changes: u64,
    calls_made: u64,
    code: Option<SavedCode>,
}

#[derive(CandidType, Deserialize)]
struct SavedCode {
    module_hash: ByteBuf,
    globals: Vec<SavedGlobal>,
}

/// The value of one mutable global (Rust canisters have only `__stack_pointer`, an i32).
#[derive(CandidType, Deserialize)]
enum SavedGlobal {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
}

/// A canister's wasm memory and stable memory, copied for writing.
type Memories = (Vec<u8>, Vec<u8>);

/// What `save` captured under the lock; written to disk after the lock is released.
pub struct Capture {
    meta: SavedSubnet,
    /// (canister, Some((heap, stable))), or `None` to reuse the files of the current snapshot.
    memories: Vec<(Principal, Option<Memories>)>,
    modules: Vec<([u8; 32], std::sync::Arc<[u8]>)>,
    /// Each canister's change count at capture time.
    changes: BTreeMap<Principal, u64>,
}

impl Capture {
    pub fn changes(&self) -> BTreeMap<Principal, u64> {
        self.changes.clone()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn io(what: &str, path: &Path, e: std::io::Error) -> String {
    format!("{what} {}: {e}", path.display())
}

fn save_global(v: &Val) -> Result<SavedGlobal, String> {
    Ok(match v {
        Val::I32(x) => SavedGlobal::I32(*x),
        Val::I64(x) => SavedGlobal::I64(*x),
        Val::F32(x) => SavedGlobal::F32(*x),
        Val::F64(x) => SavedGlobal::F64(*x),
        other => return Err(format!("cannot save a mutable global of type {:?}", other)),
    })
}

fn load_global(g: &SavedGlobal) -> Val {
    match g {
        SavedGlobal::I32(x) => Val::I32(*x),
        SavedGlobal::I64(x) => Val::I64(*x),
        SavedGlobal::F32(x) => Val::F32(*x),
        SavedGlobal::F64(x) => Val::F64(*x),
    }
}

/// Copies the subnet's state for a save into `dir`. Runs rounds first until no message is
/// queued (at most `limits.max_await_ticks`), so the copy is taken between messages.
pub fn capture(sub: &mut Subnet, dir: &Path) -> Result<Capture, String> {
    for _ in 0..sub.limits.max_await_ticks {
        if sub.is_idle() {
            break;
        }
        sub.tick();
    }
    if !sub.is_idle() {
        return Err("messages are still queued after many rounds; not saving".into());
    }
    let mut memories = Vec::new();
    let mut modules: Vec<([u8; 32], std::sync::Arc<[u8]>)> = Vec::new();
    let mut canisters = Vec::new();
    let mut changes = BTreeMap::new();
    let previous = match &sub.saved {
        Some((saved_dir, counts)) if saved_dir == dir => Some(counts),
        _ => None,
    };
    for c in sub.canisters.values_mut() {
        changes.insert(c.id, c.changes);
        let unchanged = previous.and_then(|p| p.get(&c.id)) == Some(&c.changes)
            && dir
                .join(SNAPSHOT)
                .join(c.id.to_text())
                .join("stable")
                .exists();
        let code = match c.code.as_mut() {
            None => None,
            Some(code) => {
                let globals = if unchanged {
                    memories.push((c.id, None));
                    code.globals()
                } else {
                    let (heap, globals) = code.heap_and_globals();
                    memories.push((c.id, Some((heap, code.stable().bytes().to_vec()))));
                    globals
                };
                let hash = code.module.hash;
                if !modules.iter().any(|(h, _)| *h == hash) {
                    modules.push((hash, code.module.installed.clone()));
                }
                Some(SavedCode {
                    module_hash: ByteBuf::from(hash.to_vec()),
                    globals: globals.iter().map(save_global).collect::<Result<_, _>>()?,
                })
            }
        };
        let s = &c.settings;
        canisters.push(SavedCanister {
            id: c.id,
            settings: SavedSettings {
                controllers: s.controllers.clone(),
                compute_allocation: s.compute_allocation.clone(),
                memory_allocation: s.memory_allocation.clone(),
                freezing_threshold: s.freezing_threshold.clone(),
                reserved_cycles_limit: s.reserved_cycles_limit.clone(),
                wasm_memory_limit: s.wasm_memory_limit.clone(),
                wasm_memory_threshold: s.wasm_memory_threshold.clone(),
                log_memory_limit: s.log_memory_limit.clone(),
                log_visibility: Some(s.log_visibility.clone()),
                environment_variables: Some(s.environment_variables.clone()),
            },
            status: c.status.code(),
            cycles: Nat::from(c.cycles),
            version: c.version,
            global_timer: c.global_timer,
            certified_data: ByteBuf::from(c.certified_data.clone()),
            logs: c.logs.iter().cloned().collect(),
            next_log_idx: c.next_log_idx,
            next_id: c.next_id,
            chunks: c
                .chunks
                .iter()
                .map(|(h, b)| (ByteBuf::from(h.clone()), ByteBuf::from(b.clone())))
                .collect(),
            history: c.history.clone(),
            total_changes: c.total_changes,
            calls_made: c.calls_made,
            code,
        });
    }
    Ok(Capture {
        meta: SavedSubnet {
            format: FORMAT,
            time: sub.time,
            next_canister: sub.next_canister,
            next_message_id: sub.next_message_id,
            seed: ByteBuf::from(sub.seed.to_vec()),
            rand_counter: sub.rand_counter,
            canisters,
        },
        memories,
        modules,
        changes,
    })
}

/// Writes `bytes` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, bytes).map_err(|e| io("cannot write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io("cannot rename", &tmp, e))
}

/// Writes `bytes` leaving all-zero 64 KiB pages as holes: stable memory is mostly reserved,
/// never written space (MemoryManager buckets), so a save writes megabytes, not hundreds.
/// Holes read back as zeros.
fn write_sparse(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::os::unix::fs::FileExt;
    let file = fs::File::create(path).map_err(|e| io("cannot create", path, e))?;
    file.set_len(bytes.len() as u64)
        .map_err(|e| io("cannot size", path, e))?;
    let page = crate::stable::WASM_PAGE as usize;
    for (i, chunk) in bytes.chunks(page).enumerate() {
        if chunk.iter().any(|b| *b != 0) {
            file.write_all_at(chunk, (i * page) as u64)
                .map_err(|e| io("cannot write", path, e))?;
        }
    }
    Ok(())
}

/// Writes a capture into `dir` (see the module comment for the layout).
pub fn write(capture: &Capture, dir: &Path) -> Result<(), String> {
    let modules = dir.join("modules");
    fs::create_dir_all(&modules).map_err(|e| io("cannot create", &modules, e))?;
    for (hash, bytes) in &capture.modules {
        let path = modules.join(format!("{}.wasm", hex(hash)));
        if !path.exists() {
            write_atomic(&path, bytes)?;
        }
    }
    let new = dir.join(format!("{SNAPSHOT}.new"));
    if new.exists() {
        fs::remove_dir_all(&new).map_err(|e| io("cannot remove", &new, e))?;
    }
    fs::create_dir_all(&new).map_err(|e| io("cannot create", &new, e))?;
    for (id, memory) in &capture.memories {
        let cdir = new.join(id.to_text());
        fs::create_dir_all(&cdir).map_err(|e| io("cannot create", &cdir, e))?;
        match memory {
            Some((heap, stable)) => {
                write_sparse(&cdir.join("heap"), heap)?;
                write_sparse(&cdir.join("stable"), stable)?;
            }
            None => {
                // Unchanged since the last save: the new snapshot shares the files.
                let old = dir.join(SNAPSHOT).join(id.to_text());
                for name in ["heap", "stable"] {
                    fs::hard_link(old.join(name), cdir.join(name))
                        .or_else(|_| fs::copy(old.join(name), cdir.join(name)).map(|_| ()))
                        .map_err(|e| io("cannot reuse", &old.join(name), e))?;
                }
            }
        }
    }
    let meta = candid::encode_one(&capture.meta).map_err(|e| format!("encode state: {e}"))?;
    fs::write(new.join(META), meta).map_err(|e| io("cannot write", &new, e))?;

    // Swap: snapshot -> snapshot.old, snapshot.new -> snapshot, drop snapshot.old.
    let current = dir.join(SNAPSHOT);
    let old = dir.join(format!("{SNAPSHOT}.old"));
    if old.exists() {
        fs::remove_dir_all(&old).map_err(|e| io("cannot remove", &old, e))?;
    }
    if current.exists() {
        fs::rename(&current, &old).map_err(|e| io("cannot rename", &current, e))?;
    }
    fs::rename(&new, &current).map_err(|e| io("cannot rename", &new, e))?;
    if old.exists() {
        let _ = fs::remove_dir_all(&old);
    }
    // Modules no snapshot refers to any more (replaced by upgrades) are removed.
    let keep: Vec<String> = capture
        .modules
        .iter()
        .map(|(h, _)| format!("{}.wasm", hex(h)))
        .collect();
    if let Ok(entries) = fs::read_dir(&modules) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if !keep.contains(&name) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}

/// The snapshot directory to load: `snapshot/`, or `snapshot.old/` if a save was interrupted
/// between its two renames; `None` when the directory holds no saved state.
fn snapshot_dir(dir: &Path) -> Option<PathBuf> {
    [SNAPSHOT.to_string(), format!("{SNAPSHOT}.old")]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|d| d.join(META).exists())
}

/// Whether `dir` holds a saved subnet.
pub fn exists(dir: &Path) -> bool {
    snapshot_dir(dir).is_some()
}

/// Rebuilds a subnet from `dir`. Compiles each module once (the module caches apply).
pub fn load(dir: &Path, limits: Limits) -> Result<Option<Subnet>, String> {
    let Some(snap) = snapshot_dir(dir) else {
        return Ok(None);
    };
    let meta_path = snap.join(META);
    let bytes = fs::read(&meta_path).map_err(|e| io("cannot read", &meta_path, e))?;
    let meta: SavedSubnet =
        candid::decode_one(&bytes).map_err(|e| format!("{}: {e}", meta_path.display()))?;
    if meta.format != FORMAT {
        return Err(format!(
            "{} has state format {}, this runtime reads format {FORMAT}",
            meta_path.display(),
            meta.format
        ));
    }
    let seed: [u8; 32] = meta
        .seed
        .as_slice()
        .try_into()
        .map_err(|_| "saved seed is not 32 bytes".to_string())?;
    let mut sub = Subnet::new(meta.time, seed, limits);
    sub.next_canister = meta.next_canister;
    sub.next_message_id = meta.next_message_id;
    sub.rand_counter = meta.rand_counter;
    for saved in meta.canisters {
        let c = load_canister(dir, &snap, saved)?;
        sub.canisters.insert(c.id, c);
    }
    // What was loaded is what `dir` holds: the next save rewrites only what changes.
    let counts = sub.canisters.keys().map(|id| (*id, 0)).collect();
    sub.saved = Some((dir.to_path_buf(), counts));
    Ok(Some(sub))
}

fn load_canister(dir: &Path, snap: &Path, s: SavedCanister) -> Result<Canister, String> {
    let cycles = u128::try_from(s.cycles.0.clone())
        .map_err(|_| format!("canister {}: cycles out of range", s.id))?;
    let mut c = Canister::new(s.id, s.settings.controllers, cycles);
    c.settings = Settings {
        controllers: c.settings.controllers.clone(),
        compute_allocation: s.settings.compute_allocation,
        memory_allocation: s.settings.memory_allocation,
        freezing_threshold: s.settings.freezing_threshold,
        reserved_cycles_limit: s.settings.reserved_cycles_limit,
        wasm_memory_limit: s.settings.wasm_memory_limit,
        wasm_memory_threshold: s.settings.wasm_memory_threshold,
        log_memory_limit: s.settings.log_memory_limit,
        log_visibility: s.settings.log_visibility.unwrap_or_default(),
        environment_variables: s.settings.environment_variables.unwrap_or_default(),
    };
    // A canister saved while stopping had no open call context left: it is stopped now.
    c.status = match s.status {
        1 => Status::Running,
        _ => Status::Stopped,
    };
    c.version = s.version;
    c.global_timer = s.global_timer;
    c.certified_data = s.certified_data.into_vec();
    c.log_bytes = s.logs.iter().map(|l| l.content.len()).sum();
    c.logs = s.logs.into();
    c.next_log_idx = s.next_log_idx;
    c.next_id = s.next_id;
    c.chunks = s
        .chunks
        .into_iter()
        .map(|(h, b)| (h.into_vec(), b.into_vec()))
        .collect();
    c.history = s.history;
    c.total_changes = s.total_changes;
    c.calls_made = s.calls_made;
    if let Some(code) = s.code {
        let module_path = dir
            .join("modules")
            .join(format!("{}.wasm", hex(&code.module_hash)));
        let bytes = fs::read(&module_path).map_err(|e| io("cannot read", &module_path, e))?;
        let module = engine::load(&bytes).map_err(|e| format!("canister {}: {e}", c.id))?;
        if module.hash.as_slice() != code.module_hash.as_slice() {
            return Err(format!("{} does not match its hash", module_path.display()));
        }
        let cdir = snap.join(c.id.to_text());
        let heap = fs::read(cdir.join("heap")).map_err(|e| io("cannot read", &cdir, e))?;
        let stable = fs::read(cdir.join("stable")).map_err(|e| io("cannot read", &cdir, e))?;
        let globals = code.globals.iter().map(load_global).collect();
        c.code = Some(
            Code::from_saved(module, StableMemory::from_bytes(stable), heap, globals)
                .map_err(|e| format!("canister {}: {e}", c.id))?,
        );
    }
    Ok(c)
}
