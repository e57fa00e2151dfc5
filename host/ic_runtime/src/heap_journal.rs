//! Rolls back a message's wasm-heap writes at a cost that follows the pages it wrote, not the
//! heap size (the IC tracks dirty pages the same way). Between executions every page of the
//! heap is read-only. The first write an execution makes to a page faults; the fault handler
//! (registered on the canister's wasmtime `Store`, which calls it before its own trap
//! handling) saves the page's old bytes, makes the page writable and lets the write proceed.
//! Commit makes the written pages read-only again and forgets the saved bytes; rollback copies
//! them back first. Host code that writes into the heap (`ic0.*_copy`, `stable64_read`...)
//! calls `touch` first, so it never faults.
//!
//! Written by hand because no maintained crate tracks writes to memory wasmtime owns: wasmtime
//! offers the per-store signal hook (`wasmtime::unix::StoreExt`) but no dirty-page tracking,
//! and the alternatives (copying the heap per message, or scanning `/proc/self/pagemap`) cost
//! time in proportion to the heap.
//!
//! Small heaps are not tracked: below `TRACK_FROM` bytes copying the whole heap aside per
//! execution (what `execution.rs` then does) is cheaper than a fault per written page (a
//! signal and an mprotect, a few µs each), and a message easily writes dozens of pages. A heap
//! that grows past it is protected once and tracked from then on.
//!
//! Growth is not journaled: pages a message adds are fresh and writable; commit makes them
//! read-only, and a rolled-back message that grew the heap is undone by the caller
//! (`execution.rs` re-instantiates, as wasm memories cannot shrink).

use std::sync::{Arc, Mutex, OnceLock};

/// The OS page size: the unit of tracking.
fn page_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    // SAFETY: sysconf has no preconditions.
    *SIZE.get_or_init(|| unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize)
}

/// Heaps from this size on are tracked page by page; smaller ones are copied per execution.
pub const TRACK_FROM: usize = 8 * 1024 * 1024;

#[derive(Default)]
struct State {
    /// The heap is tracked (large enough); otherwise every method but `tracking` is a no-op.
    tracking: bool,
    /// Address of the heap's first byte and the bytes that are read-only between executions.
    base: usize,
    len: usize,
    /// An execution is running: faults inside the heap are first writes to journal.
    active: bool,
    /// One bit per page: already writable (saved) in this execution.
    written: Vec<u64>,
    /// Pages saved in this execution, in fault order, and their old bytes back to back.
    pages: Vec<usize>,
    saved: Vec<u8>,
}

impl State {
    fn is_written(&self, page: usize) -> bool {
        self.written
            .get(page / 64)
            .is_some_and(|w| w & (1 << (page % 64)) != 0)
    }

    /// Saves `page` and makes it writable. Runs in the fault handler too: it only copies into
    /// buffers reused from earlier executions (the fault interrupts wasm code or a host copy,
    /// never the allocator, so a rare growth of those buffers is safe) and calls mprotect.
    fn save(&mut self, page: usize) -> bool {
        let size = page_size();
        let addr = self.base + page * size;
        // SAFETY: the page lies inside the heap mapping (checked by the callers) and is
        // readable; it is copied before it becomes writable.
        let old = unsafe { std::slice::from_raw_parts(addr as *const u8, size) };
        self.saved.extend_from_slice(old);
        self.pages.push(page);
        if let Some(word) = self.written.get_mut(page / 64) {
            *word |= 1 << (page % 64);
        }
        protect(addr, size, true)
    }

    /// Read-only again for every saved page; the journal is emptied.
    fn reprotect_and_clear(&mut self) {
        let size = page_size();
        self.pages.sort_unstable();
        let mut i = 0;
        while i < self.pages.len() {
            // One mprotect per run of adjacent pages.
            let start = self.pages[i];
            let mut end = start + 1;
            while i + 1 < self.pages.len() && self.pages[i + 1] == end {
                i += 1;
                end += 1;
            }
            protect(self.base + start * size, (end - start) * size, false);
            i += 1;
        }
        for &page in &self.pages {
            if let Some(word) = self.written.get_mut(page / 64) {
                *word = 0;
            }
        }
        self.pages.clear();
        self.saved.clear();
    }
}

/// `mprotect` a page-aligned range: read-write, or read-only.
fn protect(addr: usize, len: usize, writable: bool) -> bool {
    if len == 0 {
        return true;
    }
    let prot = if writable {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_READ
    };
    // SAFETY: callers pass page-aligned ranges inside the heap mapping wasmtime keeps for the
    // store's lifetime; only the protection changes, never the mapping.
    unsafe { libc::mprotect(addr as *mut libc::c_void, len, prot) == 0 }
}

/// The journal of one canister instance; cloned into its store's fault handler.
#[derive(Clone, Default)]
pub struct HeapJournal {
    state: Arc<Mutex<State>>,
}

impl HeapJournal {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts tracking the heap at `base` (`len` bytes): everything becomes read-only.
    pub fn attach(&self, base: *mut u8, len: usize) {
        let mut s = self.lock();
        s.base = base as usize;
        s.len = 0;
        s.tracking = false;
        s.active = false;
        s.pages.clear();
        s.saved.clear();
        s.written.clear();
        drop(s);
        self.extend(len);
    }

    /// The heap grew to `len` bytes: the new pages become read-only too. A heap reaching
    /// `TRACK_FROM` is protected whole and tracked from now on.
    fn extend(&self, len: usize) {
        let mut s = self.lock();
        if !s.tracking {
            if len < TRACK_FROM {
                s.len = len;
                return;
            }
            s.tracking = true;
            s.len = 0;
        }
        if len > s.len {
            let size = page_size();
            protect(s.base + s.len, len - s.len, false);
            s.len = len;
            s.written.resize((len / size).div_ceil(64), 0);
        }
    }

    /// Whether executions are journaled; if not, the caller copies the heap aside.
    pub fn tracking(&self) -> bool {
        self.lock().tracking
    }

    /// An execution starts: first writes are journaled from now on.
    pub fn begin(&self) {
        let mut s = self.lock();
        debug_assert!(s.pages.is_empty(), "the last execution ended");
        s.active = s.tracking;
    }

    /// The execution's writes stay; the heap, now `len` bytes, is read-only again.
    pub fn commit(&self, len: usize) {
        let mut s = self.lock();
        s.active = false;
        s.reprotect_and_clear();
        drop(s);
        self.extend(len);
    }

    /// The execution's writes are undone (inside the size the heap had when it began; the
    /// caller undoes growth).
    pub fn rollback(&self) {
        let mut s = self.lock();
        s.active = false;
        let size = page_size();
        for (i, &page) in s.pages.iter().enumerate() {
            let addr = s.base + page * size;
            // SAFETY: the page is inside the heap and writable (it was saved), and `saved`
            // holds its old bytes at index i.
            unsafe {
                std::ptr::copy_nonoverlapping(s.saved.as_ptr().add(i * size), addr as *mut u8, size)
            };
        }
        s.reprotect_and_clear();
    }

    /// Makes `[offset, offset + len)` of the heap writable before host code writes there
    /// (during an execution, saving each page first; between executions, callers use
    /// `unprotect_all`).
    pub fn touch(&self, offset: usize, len: usize) {
        if len == 0 {
            return;
        }
        let mut s = self.lock();
        if !s.active {
            return;
        }
        let size = page_size();
        let first = offset / size;
        let last = (offset + len - 1) / size;
        for page in first..=last {
            if (page + 1) * size <= s.len && !s.is_written(page) {
                s.save(page);
            }
        }
    }

    /// Everything writable, for a bulk host write between executions (restoring a snapshot);
    /// end with `protect_all`.
    pub fn unprotect_all(&self) {
        let s = self.lock();
        if s.tracking {
            protect(s.base, s.len, true);
        }
    }

    /// Everything read-only again, over the heap's current `len` bytes.
    pub fn protect_all(&self, len: usize) {
        {
            let s = self.lock();
            if s.tracking {
                protect(s.base, s.len, false);
            }
        }
        self.extend(len);
    }

    /// The fault handler's decision: a write to a read-only heap page during an execution is
    /// journaled and retried; anything else is left to wasmtime (a real trap, or a crash).
    pub fn handle_fault(&self, addr: usize) -> bool {
        let Ok(mut s) = self.state.try_lock() else {
            return false;
        };
        if !s.active || addr < s.base || addr >= s.base + s.len {
            return false;
        }
        let page = (addr - s.base) / page_size();
        if s.is_written(page) {
            return false;
        }
        s.save(page)
    }
}

/// Registers `journal`'s fault handler on `store`.
pub fn install_handler<T>(store: &mut wasmtime::Store<T>, journal: &HeapJournal) {
    use wasmtime::unix::StoreExt;
    let journal = journal.clone();
    let handler =
        move |signum: libc::c_int, info: *const libc::siginfo_t, _: *const libc::c_void| {
            if signum != libc::SIGSEGV && signum != libc::SIGBUS {
                return false;
            }
            // SAFETY: the kernel passes a valid siginfo for SIGSEGV/SIGBUS.
            let addr = unsafe { (*info).si_addr() } as usize;
            journal.handle_fault(addr)
        };
    // SAFETY: the handler only locks (try_lock) the journal, copies one page into buffers and
    // calls mprotect, which is what may run while wasm or a host copy is interrupted.
    unsafe { store.set_signal_handler(handler) };
}
