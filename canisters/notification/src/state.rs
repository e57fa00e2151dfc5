//! The canister's state, reached only through [`read`] and [`mutate`]: the store, its data
//! version and the backup snapshots (`canister_kit::backup::DataState`), and the backup
//! protocol's view of them ([`Backup`]).

use std::cell::RefCell;

use canister_kit::backup::{DataState, TrackedDataCanister};

use crate::layout;
use crate::memory::{self, Memory, RawMemory};
use crate::store::Store;

thread_local! {
    static STATE: RefCell<DataState<Store<Memory>, RawMemory>> =
        RefCell::new(DataState::init(|| Store::init(memory::get), memory::data_state()));
}

pub fn read<R>(f: impl FnOnce(&Store<Memory>) -> R) -> R {
    STATE.with_borrow(|s| s.read(f))
}

/// The one write path: the data version moves when `f` wrote to the data, and only then (a
/// timer that found nothing to do leaves it, so the backup canister skips this canister).
pub fn mutate<R>(f: impl FnOnce(&mut Store<Memory>) -> R) -> R {
    STATE.with_borrow_mut(|s| s.mutate(f))
}

/// Brings the stored data to this code's layout (`layout.rs`); data this code cannot read stops
/// the message, which undoes the upgrade or the restore.
pub fn migrate_layout() {
    if let Err(reason) = mutate(|s| layout::migrate(s, memory::get)) {
        ic_cdk::trap(reason);
    }
}

/// The backup endpoints' view of this canister (`canister_kit::backup_endpoints!`).
pub struct Backup;

impl TrackedDataCanister for Backup {
    type Store = Store<Memory>;
    type RawMemory = RawMemory;

    fn with_state<R>(f: impl FnOnce(&mut DataState<Self::Store, RawMemory>) -> R) -> R {
        STATE.with_borrow_mut(f)
    }

    fn data_memories() -> Vec<Memory> {
        memory::data()
    }

    /// After a restore the firing timer is re-armed for the restored queue.
    fn restored() {
        // A snapshot taken before an upgrade holds the layout of its time.
        migrate_layout();
        crate::jobs::rearm();
    }
}
