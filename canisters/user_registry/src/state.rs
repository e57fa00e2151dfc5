//! The canister's state, reached only through [`read`] and [`mutate`]: the accounts, their data
//! version, and the backup snapshots (`stable_snapshot`).

use std::cell::RefCell;

use ic_stable_structures::StableCell;
use stable_snapshot::{tracked, Snapshots};

use crate::accounts::Accounts;
use crate::memory::{self, Memory, RawMemory};

thread_local! {
    static STORE: RefCell<Accounts<Memory>> = RefCell::new(Accounts::init(memory::get));
    static VERSION: RefCell<StableCell<u64, RawMemory>> =
        RefCell::new(StableCell::init(memory::data_version(), 0));
    static SNAPSHOTS: RefCell<Snapshots<Memory>> = RefCell::new(Snapshots::init(
        memory::snapshot_state(),
        memory::export_staging(),
        memory::import_staging(),
    ));
}

pub fn read<R>(f: impl FnOnce(&Accounts<Memory>) -> R) -> R {
    STORE.with_borrow(f)
}

/// The one write path: the data version moves when `f` wrote to the data, and only then (a
/// timer that found nothing to do leaves it, so the backup canister skips this canister).
pub fn mutate<R>(f: impl FnOnce(&mut Accounts<Memory>) -> R) -> R {
    tracked::clear();
    let result = STORE.with_borrow_mut(f);
    if tracked::written() {
        bump_version();
    }
    result
}

pub fn data_version() -> u64 {
    VERSION.with_borrow(|v| *v.get())
}

fn bump_version() -> u64 {
    VERSION.with_borrow_mut(|v| {
        let next = *v.get() + 1;
        v.set(next);
        next
    })
}

pub fn snapshots<R>(f: impl FnOnce(&mut Snapshots<Memory>) -> R) -> R {
    SNAPSHOTS.with_borrow_mut(f)
}

/// After a restore rewrote the data memories: re-open the accounts over them and move the data
/// version (it lives outside the data, so it never goes back), so the restored state is new.
pub fn reopen_after_restore() -> u64 {
    STORE.with_borrow_mut(|s| *s = Accounts::init(memory::get));
    bump_version()
}
