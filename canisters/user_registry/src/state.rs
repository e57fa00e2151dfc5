//! The canister's state, reached only through [`read`] and [`mutate`]: the accounts, their data
//! version and the backup snapshots (`canister_kit::backup::DataState`), and the backup
//! protocol's view of them ([`Backup`]).

use std::cell::RefCell;

use canister_kit::backup::{DataCanister, DataState};
use stable_snapshot::Snapshots;

use crate::accounts::Accounts;
use crate::memory::{self, Memory, RawMemory};

thread_local! {
    static STATE: RefCell<DataState<Accounts<Memory>, RawMemory>> =
        RefCell::new(DataState::init(|| Accounts::init(memory::get), memory::data_state()));
}

pub fn read<R>(f: impl FnOnce(&Accounts<Memory>) -> R) -> R {
    STATE.with_borrow(|s| s.read(f))
}

/// The one write path: the data version moves when `f` wrote to the data, and only then.
pub fn mutate<R>(f: impl FnOnce(&mut Accounts<Memory>) -> R) -> R {
    STATE.with_borrow_mut(|s| s.mutate(f))
}

/// The backup endpoints' view of this canister (`canister_kit::backup_endpoints!`).
pub struct Backup;

impl DataCanister for Backup {
    type Memory = Memory;
    type BeforeRestore = ();

    fn data_version() -> u64 {
        STATE.with_borrow(|s| s.data_version())
    }

    fn data_memories() -> Vec<Memory> {
        memory::data()
    }

    fn with_snapshots<R>(f: impl FnOnce(&mut Snapshots<Memory>) -> R) -> R {
        STATE.with_borrow_mut(|s| s.snapshots(f))
    }

    fn before_restore() {}

    /// Re-opens the accounts over the restored memories; the outbox runs for whatever the
    /// restored state has queued.
    fn after_restore((): ()) -> u64 {
        let version = STATE.with_borrow_mut(|s| s.reopen_after_restore());
        crate::jobs::kick();
        version
    }
}
