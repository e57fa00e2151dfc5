//! Runs one entry point or callback of a canister atomically. Before each execution the
//! mutable globals are copied aside and a journal level is opened for the wasm heap (pages
//! saved on first write, `heap_journal.rs`) and for stable memory; a trap (or a query, whose
//! changes are never kept) puts everything back, at a cost that follows the pages written, not
//! the heap size. Instruction limits are wasmtime fuel, so `performance_counter` and
//! "instructions used" are fuel too.

use std::sync::Arc;

use wasmtime::{Global, Instance, Memory, Ref, Store, Table, Val};

use crate::context::{ExecCtx, Host};
use crate::engine::{engine, CompiledModule};
use crate::errors::Trap;
use crate::heap_journal::{self, HeapJournal};
use crate::instrument::{MEMORY_EXPORT, START_EXPORT, TABLE_EXPORT};
use crate::stable::StableMemory;

/// Wasm memory + globals, as copied aside before an execution.
#[derive(Default)]
pub struct Snapshot {
    memory: Vec<u8>,
    globals: Vec<Val>,
}

/// A canister's instantiated module.
pub struct Code {
    pub module: Arc<CompiledModule>,
    pub store: Store<Host>,
    instance: Instance,
    memory: Memory,
    table: Option<Table>,
    globals: Vec<Global>,
    /// Reused buffer for what is saved before each execution: the globals, and the whole
    /// heap when it is too small for the journal to pay (`heap_journal::TRACK_FROM`).
    scratch: Snapshot,
}

/// What to run.
#[derive(Clone, Copy, Debug)]
pub enum Entry<'a> {
    Export(&'a str),
    /// A function-table index and its env argument, as registered by call_new/call_on_cleanup.
    Callback {
        fun: u64,
        env: u64,
    },
}

pub struct Outcome {
    pub ctx: ExecCtx,
    pub trap: Option<Trap>,
    pub instructions: u64,
}

impl Code {
    /// Instantiates `module` (no start function runs in Rust canisters; if one exists it runs
    /// here under `fuel`).
    pub fn instantiate(
        module: Arc<CompiledModule>,
        stable: StableMemory,
        fuel: u64,
    ) -> Result<Code, String> {
        Self::instantiate_on(module, stable, fuel, None)
    }

    /// Instantiates `module`, on `kept_heap` when an upgrade keeps the wasm memory: the memory
    /// is grown to the kept size and filled with it before the start function runs, as the IC
    /// instantiates the new module on the kept memory.
    pub fn instantiate_on(
        module: Arc<CompiledModule>,
        stable: StableMemory,
        fuel: u64,
        kept_heap: Option<Vec<u8>>,
    ) -> Result<Code, String> {
        let mut store = Store::new(engine(), Host::new(stable));
        store.set_fuel(fuel).map_err(|e| e.to_string())?;
        let instance = module
            .pre
            .instantiate(&mut store)
            .map_err(|e| format!("Wasm module instantiation failed: {e}"))?;
        let memory = instance
            .get_memory(&mut store, MEMORY_EXPORT)
            .ok_or("Wasm module has no memory")?;
        store.data_mut().memory = Some(memory);
        if let Some(heap) = kept_heap {
            let have = memory.data_size(&store) as u64 / crate::stable::WASM_PAGE;
            let want = heap.len() as u64 / crate::stable::WASM_PAGE;
            if want > have {
                memory
                    .grow(&mut store, want - have)
                    .map_err(|e| format!("cannot grow wasm memory to the kept size: {e}"))?;
            }
            memory.data_mut(&mut store)[..heap.len()].copy_from_slice(&heap);
        }
        if module.has_start {
            let start = instance
                .get_typed_func::<(), ()>(&mut store, START_EXPORT)
                .map_err(|e| format!("Wasm module start function: {e}"))?;
            start
                .call(&mut store, ())
                .map_err(|e| format!("Wasm module start function trapped: {e}"))?;
        }
        // From here on every heap page is read-only between executions (see heap_journal).
        let journal = HeapJournal::default();
        heap_journal::install_handler(&mut store, &journal);
        journal.attach(memory.data_ptr(&store), memory.data_size(&store));
        store.data_mut().journal = journal;
        let table = if module.has_table {
            instance.get_table(&mut store, TABLE_EXPORT)
        } else {
            None
        };
        let globals = module
            .global_exports
            .iter()
            .map(|name| {
                instance
                    .get_global(&mut store, name)
                    .ok_or(format!("instrumented global {name} is missing"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Code {
            module,
            store,
            instance,
            memory,
            table,
            globals,
            scratch: Snapshot::default(),
        })
    }

    pub fn exports(&self, name: &str) -> bool {
        self.module.exports(name)
    }

    /// The wasm memory and the mutable globals as they are between executions (for saving).
    pub fn heap_and_globals(&mut self) -> (Vec<u8>, Vec<Val>) {
        let mut snap = Snapshot::default();
        self.capture(&mut snap);
        (snap.memory, snap.globals)
    }

    /// Only the mutable globals (saving a canister whose memory files are reused).
    pub fn globals(&mut self) -> Vec<Val> {
        self.globals
            .iter()
            .map(|g| g.get(&mut self.store))
            .collect()
    }

    /// A module instance whose wasm memory, mutable globals and stable memory are the saved
    /// ones: the inverse of `heap_and_globals` + `stable`.
    pub fn from_saved(
        module: Arc<CompiledModule>,
        stable: StableMemory,
        memory: Vec<u8>,
        globals: Vec<Val>,
    ) -> Result<Code, String> {
        if globals.len() != module.global_exports.len() {
            return Err(format!(
                "saved state has {} mutable globals, the module {}",
                globals.len(),
                module.global_exports.len()
            ));
        }
        if !(memory.len() as u64).is_multiple_of(crate::stable::WASM_PAGE) {
            return Err("saved wasm memory is not a whole number of pages".into());
        }
        let mut code = Code::instantiate(module, stable, u64::MAX / 2)?;
        let have = code.memory.data_size(&code.store) as u64 / crate::stable::WASM_PAGE;
        let want = memory.len() as u64 / crate::stable::WASM_PAGE;
        if want < have {
            return Err("saved wasm memory is smaller than the module's initial memory".into());
        }
        if want > have {
            code.memory
                .grow(&mut code.store, want - have)
                .map_err(|e| format!("cannot grow wasm memory to the saved size: {e}"))?;
        }
        code.restore(&Snapshot { memory, globals });
        Ok(code)
    }

    pub fn stable(&self) -> &StableMemory {
        &self.store.data().stable
    }

    pub fn stable_mut(&mut self) -> &mut StableMemory {
        &mut self.store.data_mut().stable
    }

    pub fn take_stable(&mut self) -> StableMemory {
        std::mem::take(&mut self.store.data_mut().stable)
    }

    pub fn memory_size(&self) -> usize {
        self.memory.data_size(&self.store)
    }

    pub fn capture(&mut self, into: &mut Snapshot) {
        into.memory.clear();
        into.memory.extend_from_slice(self.memory.data(&self.store));
        into.globals.clear();
        for g in &self.globals {
            into.globals.push(g.get(&mut self.store));
        }
    }

    /// Puts memory and globals back. Wasm memories cannot shrink, so when a rolled-back
    /// execution grew memory, the module is instantiated afresh and the snapshot copied in.
    pub fn restore(&mut self, from: &Snapshot) {
        if self.memory.data_size(&self.store) != from.memory.len() {
            let stable = self.take_stable();
            let ctx = std::mem::take(&mut self.store.data_mut().ctx);
            let mut fresh = Code::instantiate(self.module.clone(), stable, u64::MAX / 2)
                .expect("a module that instantiated once instantiates again");
            fresh.store.data_mut().ctx = ctx;
            let have = fresh.memory.data_size(&fresh.store) as u64 / crate::stable::WASM_PAGE;
            let want = from.memory.len() as u64 / crate::stable::WASM_PAGE;
            if want > have {
                fresh
                    .memory
                    .grow(&mut fresh.store, want - have)
                    .expect("memory grew to this size before");
            }
            fresh.scratch = std::mem::take(&mut self.scratch);
            *self = fresh;
        }
        let journal = self.store.data().journal.clone();
        journal.unprotect_all();
        self.memory
            .data_mut(&mut self.store)
            .copy_from_slice(&from.memory);
        journal.protect_all(from.memory.len());
        self.set_globals(&from.globals);
    }

    fn set_globals(&mut self, values: &[Val]) {
        for (g, v) in self.globals.iter().zip(values) {
            g.set(&mut self.store, *v).expect("same global types");
        }
    }

    /// A full snapshot including an open stable-memory journal level (for composite queries
    /// and upgrades, which span several executions); end it with `restore_outer`/`commit_outer`.
    pub fn begin_outer(&mut self) -> Snapshot {
        let mut snap = Snapshot::default();
        self.capture(&mut snap);
        self.stable_mut().begin();
        snap
    }

    pub fn restore_outer(&mut self, snap: &Snapshot) {
        self.stable_mut().rollback();
        self.restore(snap);
    }

    pub fn commit_outer(&mut self) {
        self.stable_mut().commit();
    }

    /// Runs `entry` with `ctx` and `ctx.fuel_limit`. Rolls back on trap, or always when
    /// `always_rollback` (queries, inspect_message).
    pub fn execute(&mut self, entry: Entry<'_>, ctx: ExecCtx, always_rollback: bool) -> Outcome {
        let fuel = ctx.fuel_limit;
        let journal = self.store.data().journal.clone();
        let mut saved = std::mem::take(&mut self.scratch);
        let copying = !journal.tracking();
        if copying {
            self.capture(&mut saved);
        } else {
            saved.memory.clear();
            saved.globals.clear();
            for g in &self.globals {
                saved.globals.push(g.get(&mut self.store));
            }
        }
        let size_before = self.memory_size();
        journal.begin();
        self.stable_mut().begin();
        self.store.data_mut().ctx = ctx;
        self.store.set_fuel(fuel).expect("fuel is enabled");

        let result = match entry {
            Entry::Export(name) => match self
                .instance
                .get_typed_func::<(), ()>(&mut self.store, name)
            {
                Ok(f) => f.call(&mut self.store, ()),
                Err(e) => Err(e),
            },
            Entry::Callback { fun, env } => self.call_table(fun, env),
        };

        let instructions = fuel.saturating_sub(self.store.get_fuel().unwrap_or(0));
        let mut ctx = std::mem::take(&mut self.store.data_mut().ctx);
        let trap = result.err().map(|e| classify(e, &mut ctx, fuel));
        if trap.is_some() || always_rollback {
            self.stable_mut().rollback();
            journal.rollback();
            if copying {
                self.restore(&saved);
            } else if self.memory_size() == size_before {
                self.set_globals(&saved.globals);
            } else {
                // The execution grew the heap, and wasm memories cannot shrink: the module is
                // instantiated afresh with the (restored) heap as it was. Rare, and O(heap).
                saved.memory = self.memory.data(&self.store)[..size_before].to_vec();
                self.restore(&saved);
            }
        } else {
            self.stable_mut().commit();
            journal.commit(self.memory_size());
        }
        self.scratch = saved;
        Outcome {
            ctx,
            trap,
            instructions,
        }
    }

    fn call_table(&mut self, fun: u64, env: u64) -> wasmtime::Result<()> {
        let func = self.table.and_then(|t| match t.get(&mut self.store, fun) {
            Some(Ref::Func(Some(f))) => Some(f),
            _ => None,
        });
        let Some(func) = func else {
            self.store.data_mut().ctx.trap = Some(Trap::Wasm(format!(
                "callback table index {fun} is out of bounds or null"
            )));
            return Err(wasmtime::format_err!("bad callback index"));
        };
        // The env argument is pointer-sized: i64 in a wasm64 module.
        if self.module.memory64 {
            func.typed::<i64, ()>(&self.store)?
                .call(&mut self.store, env as i64)
        } else {
            func.typed::<i32, ()>(&self.store)?
                .call(&mut self.store, env as u32 as i32)
        }
    }
}

/// Turns a wasmtime error into the IC's trap kinds. A system call that trapped recorded why.
fn classify(error: wasmtime::Error, ctx: &mut ExecCtx, fuel: u64) -> Trap {
    if let Some(trap) = ctx.trap.take() {
        return trap;
    }
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::OutOfFuel) => Trap::InstructionLimit(fuel),
        Some(wasmtime::Trap::UnreachableCodeReached) => Trap::Wasm("unreachable".into()),
        Some(wasmtime::Trap::MemoryOutOfBounds) => Trap::Wasm("heap out of bounds".into()),
        Some(wasmtime::Trap::StackOverflow) => Trap::Wasm("stack overflow".into()),
        Some(other) => Trap::Wasm(
            other
                .to_string()
                .trim_start_matches("wasm trap: ")
                .to_string(),
        ),
        None => Trap::Wasm(format!("{error}")),
    }
}
