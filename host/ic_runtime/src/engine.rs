//! One wasmtime `Engine` per process (fuel metering on) and a process-wide cache of compiled
//! modules keyed by the sha256 of the installed bytes, so every test that installs the same
//! canister pays cranelift's compile cost (~1 s for a 600 KB canister) only once per process.
//! Compiled artifacts are also kept on disk under the cargo `target` directory, so the next
//! test binary loads them in milliseconds instead of compiling again.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, InstancePre, Linker, Module};

use crate::context::Host;
use crate::instrument;

/// A compiled, linked canister module, shared by every canister running it.
pub struct CompiledModule {
    /// sha256 of the bytes as installed (gzipped or not): the IC's `module_hash`.
    pub hash: [u8; 32],
    pub pre: InstancePre<Host>,
    pub function_exports: BTreeSet<String>,
    pub global_exports: Vec<String>,
    pub has_table: bool,
    /// The start function, exported as `instrument::START_EXPORT`, runs at instantiation.
    pub has_start: bool,
    /// A wasm64 (memory64) module: pointer-sized ic0 arguments and callback envs are i64.
    pub memory64: bool,
    /// Size of the installed bytes, for canister_status' memory metrics.
    pub wasm_size: usize,
    /// The installed bytes themselves: saving a canister's state stores them (`persist.rs`).
    pub installed: Arc<[u8]>,
    /// `icp:public` / `icp:private` custom sections: (name, public, content).
    pub metadata: Vec<(String, bool, Vec<u8>)>,
}

impl CompiledModule {
    pub fn exports(&self, name: &str) -> bool {
        self.function_exports.contains(name)
    }
}

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        // Fuel is how instruction limits and ic0.performance_counter are implemented.
        config.consume_fuel(true);
        // wasm64 modules (Motoko's default output) use memory64 and 64-bit tables.
        config.wasm_memory64(true);
        // The heap journal keeps the heap's address between executions (heap_journal.rs): a
        // memory never moves, so a wasm64 heap stops growing at the 4 GiB reservation.
        config.memory_may_move(false);
        // Trap messages are formatted by the runtime; a wasm backtrace would only add noise.
        config.wasm_backtrace_max_frames(None);
        Engine::new(&config).expect("wasmtime accepts this configuration")
    })
}

fn linker(memory64: bool) -> &'static Linker<Host> {
    static LINKER32: OnceLock<Linker<Host>> = OnceLock::new();
    static LINKER64: OnceLock<Linker<Host>> = OnceLock::new();
    if memory64 {
        LINKER64.get_or_init(|| {
            crate::linker::wasm64_linker(engine()).expect("the ic0 functions register once")
        })
    } else {
        LINKER32.get_or_init(|| {
            crate::linker::wasm32_linker(engine()).expect("the ic0 functions register once")
        })
    }
}

fn cache() -> &'static Mutex<HashMap<[u8; 32], Arc<CompiledModule>>> {
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], Arc<CompiledModule>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Returns the cached module for these bytes, compiling it on first use.
pub fn load(installed: &[u8]) -> Result<Arc<CompiledModule>, String> {
    let hash = sha256(installed);
    if let Some(found) = cache().lock().unwrap_or_else(|e| e.into_inner()).get(&hash) {
        return Ok(found.clone());
    }
    // Compile outside the lock: another thread may compile a different module meanwhile.
    let compiled = Arc::new(prepare(installed, disk_cache_dir().as_deref())?);
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(hash, compiled.clone());
    Ok(compiled)
}

/// Gunzip, instrument, compile and link, bypassing both caches (the benchmark measures this).
pub fn compile_uncached(installed: &[u8]) -> Result<CompiledModule, String> {
    prepare(installed, None)
}

/// Where compiled modules are kept between processes: `$IC_RUNTIME_MODULE_CACHE`, or
/// `ic_runtime-module-cache` in the cargo `target` directory the running binary lives in; no
/// disk cache when neither exists (or the variable is `off`).
fn disk_cache_dir() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("IC_RUNTIME_MODULE_CACHE") {
            return (dir != "off").then(|| PathBuf::from(dir));
        }
        let exe = std::env::current_exe().ok()?;
        let target = exe
            .ancestors()
            .find(|p| p.file_name().is_some_and(|n| n == "target"))?;
        Some(target.join("ic_runtime-module-cache"))
    })
    .clone()
}

/// A module compiled by an earlier process. wasmtime refuses artifacts from another version
/// or configuration, and then the module is simply compiled again.
fn read_disk(path: &Path) -> Option<Module> {
    let bytes = std::fs::read(path).ok()?;
    // SAFETY: the file was written by `write_disk` below from `Module::serialize` of this
    // engine's configuration; wasmtime still checks version and settings before loading it.
    unsafe { Module::deserialize(engine(), &bytes) }.ok()
}

fn write_disk(path: &Path, module: &Module) {
    let Ok(bytes) = module.serialize() else {
        return;
    };
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    // Write then rename, so a concurrent test process never reads half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

fn prepare(installed: &[u8], disk: Option<&Path>) -> Result<CompiledModule, String> {
    let wasm = instrument::decompress(installed)?;
    let prepared = instrument::instrument(&wasm)?;
    let cached = disk.map(|dir| {
        let key: String = sha256(&prepared.wasm)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        dir.join(format!("{key}.cwasm"))
    });
    let module = match cached.as_deref().and_then(read_disk) {
        Some(module) => module,
        None => {
            let module = Module::new(engine(), &prepared.wasm)
                .map_err(|e| format!("Wasm module is invalid: {e:#}"))?;
            if let Some(path) = &cached {
                write_disk(path, &module);
            }
            module
        }
    };
    // Imports ic_runtime does not know (a newer ic0 function) must not stop instantiation:
    // they become functions that trap when called.
    let mut linker = linker(prepared.memory64).clone();
    linker
        .define_unknown_imports_as_traps(&module)
        .map_err(|e| format!("Wasm module cannot be linked: {e:#}"))?;
    let pre = linker
        .instantiate_pre(&module)
        .map_err(|e| format!("Wasm module cannot be linked: {e:#}"))?;
    Ok(CompiledModule {
        hash: sha256(installed),
        pre,
        function_exports: prepared.function_exports,
        global_exports: prepared.global_exports,
        has_table: prepared.has_table,
        has_start: prepared.has_start,
        memory64: prepared.memory64,
        wasm_size: installed.len(),
        installed: installed.into(),
        metadata: prepared.metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-assembled module importing an ic0 function the runtime does not define.
    fn module_with_unknown_import() -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[0x01, 0x04, 0x01, 0x60, 0x00, 0x00]); // type 0: () -> ()
        let name = b"not_yet_specified";
        let mut import = vec![0x01, 0x03];
        import.extend_from_slice(b"ic0");
        import.push(name.len() as u8);
        import.extend_from_slice(name);
        import.extend_from_slice(&[0x00, 0x00]); // func, type 0
        m.push(0x02);
        m.push(import.len() as u8);
        m.extend_from_slice(&import);
        m.extend_from_slice(&[0x05, 0x03, 0x01, 0x00, 0x01]); // memory: min 1 page
        let mut export = vec![0x01, 0x06];
        export.extend_from_slice(b"memory");
        export.extend_from_slice(&[0x02, 0x00]);
        m.push(0x07);
        m.push(export.len() as u8);
        m.extend_from_slice(&export);
        m
    }

    #[test]
    fn unknown_ic0_imports_still_instantiate() {
        let module = Arc::new(compile_uncached(&module_with_unknown_import()).expect("links"));
        crate::execution::Code::instantiate(module, Default::default(), 1_000)
            .expect("instantiates");
    }

    #[test]
    fn imports_from_other_modules_are_refused() {
        let wasm = module_with_unknown_import();
        let bad = String::from_utf8_lossy(&wasm).replace("ic0", "env");
        let err = compile_uncached(bad.as_bytes()).err().expect("must fail");
        assert!(err.contains("invalid import section"), "{err}");
    }
}
