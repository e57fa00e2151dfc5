//! The data-canister side of the backup protocol, declared once: the calendar shards, the
//! notification canister and the user registry each answer the group's backup canister with the
//! same six methods (`data_version`, `export_begin`, `export_chunk`, `import_begin`,
//! `import_chunk`, `import_commit`), only the backup canister may call them, and a restore ends
//! with the canister re-opening its structures over the restored memories.
//!
//! A canister implements [`DataCanister`] (where its data, version and snapshots are, and what it
//! does around a restore) and invokes [`backup_endpoints!`] once at its crate root. The endpoint
//! logic is the generic functions here, so it is tested natively once.
//!
//! [`DataState`] is the state of a canister whose structures keep no data version of their own:
//! the store, a data version that moves exactly when a message wrote to the data
//! (`stable_snapshot::tracked`), and the snapshot staging.

use candid::Principal;
use ic_stable_structures::{Memory, StableCell};
use interfaces::snapshot::{ImportProgress, SnapshotManifest};
use interfaces::{CanisterKind, Error};
use stable_snapshot::tracked::{self, Tracked};
use stable_snapshot::Snapshots;

use crate::auth;

/// Who may call the backup methods.
pub const BACKUP_CALLERS: &[CanisterKind] = &[CanisterKind::BackupCanister];

/// What the backup endpoints need from a data canister.
pub trait DataCanister {
    /// The memory its data and snapshot staging live in.
    type Memory: Memory;
    /// What [`Self::before_restore`] keeps for [`Self::after_restore`].
    type BeforeRestore;

    /// Moves with every message that changed the data.
    fn data_version() -> u64;
    /// The data memories, in the fixed order a snapshot copies and a restore replaces them.
    fn data_memories() -> Vec<Self::Memory>;
    fn with_snapshots<R>(f: impl FnOnce(&mut Snapshots<Self::Memory>) -> R) -> R;
    /// Read right before a restore writes the memories (e.g. state that must outlive it).
    fn before_restore() -> Self::BeforeRestore;
    /// After a restore rewrote the data memories: re-open the structures over them, bring them
    /// to this code's layout, re-arm the jobs; answers the new data version (never an older one).
    fn after_restore(before: Self::BeforeRestore) -> u64;
    /// Wraps the result of every update (health counters, per-method metrics).
    fn finish<T>(_method: &'static str, result: Result<T, Error>) -> Result<T, Error> {
        canister_health::track(result)
    }
    /// Who is calling; `msg_caller()` on the IC, a fixed principal in native tests.
    fn caller() -> Principal {
        ic_cdk::api::msg_caller()
    }
    /// The group's backup canister, with its own key.
    fn authorize(key: &[u8]) -> Result<(), Error> {
        auth::require_member_of(Self::caller(), key, BACKUP_CALLERS).map(|_| ())
    }
}

pub fn data_version<C: DataCanister>(key: &[u8]) -> Result<u64, Error> {
    C::authorize(key).map(|()| C::data_version())
}

/// Copies the data into the staging area as one consistent snapshot.
pub fn export_begin<C: DataCanister>(key: &[u8]) -> Result<SnapshotManifest, Error> {
    let result = C::authorize(key).map(|()| {
        let version = C::data_version();
        C::with_snapshots(|s| s.export_begin(&C::data_memories(), version))
    });
    C::finish("export_begin", result)
}

pub fn export_chunk<C: DataCanister>(
    key: &[u8],
    export_id: u64,
    index: u32,
) -> Result<Vec<u8>, Error> {
    C::authorize(key).and_then(|()| C::with_snapshots(|s| s.export_chunk(export_id, index)))
}

pub fn import_begin<C: DataCanister>(key: &[u8], manifest: SnapshotManifest) -> Result<(), Error> {
    let result = C::authorize(key).and_then(|()| C::with_snapshots(|s| s.import_begin(manifest)));
    C::finish("import_begin", result)
}

pub fn import_chunk<C: DataCanister>(
    key: &[u8],
    index: u32,
    data: &[u8],
) -> Result<ImportProgress, Error> {
    let result =
        C::authorize(key).and_then(|()| C::with_snapshots(|s| s.import_chunk(index, data)));
    C::finish("import_chunk", result)
}

/// Verifies the staged import and switches to it in this one message (all or nothing); answers
/// the new data version.
pub fn import_commit<C: DataCanister>(key: &[u8]) -> Result<u64, Error> {
    let result = C::authorize(key).and_then(|()| {
        let before = C::before_restore();
        C::with_snapshots(|s| s.import_commit(&C::data_memories()))?;
        Ok(C::after_restore(before))
    });
    C::finish("import_commit", result)
}

/// Declares the six backup endpoints of a data canister at its crate root, for a type that
/// implements [`DataCanister`]. The `.did` lists them as `data_version`, `export_begin`,
/// `export_chunk`, `import_begin`, `import_chunk`, `import_commit`.
#[macro_export]
macro_rules! backup_endpoints {
    ($canister:ty) => {
        /// Moves with every message that changed the data; the backup canister snapshots only
        /// when it moved since its last snapshot.
        #[::candid::candid_method(query)]
        #[::ic_cdk::query(
            hidden = true,
            decode_with = "::canister_kit::codec::arg",
            encode_with = "::canister_kit::codec::query_reply"
        )]
        fn data_version(
            key: ::canister_kit::__private::serde_bytes::ByteBuf,
        ) -> Result<u64, ::interfaces::Error> {
            $crate::backup::data_version::<$canister>(&key)
        }

        /// Copies the data into a staging area as one consistent snapshot.
        #[::candid::candid_method(update)]
        #[::ic_cdk::update(
            hidden = true,
            decode_with = "::canister_kit::codec::arg",
            encode_with = "::canister_kit::codec::reply"
        )]
        fn export_begin(
            key: ::canister_kit::__private::serde_bytes::ByteBuf,
        ) -> Result<::interfaces::snapshot::SnapshotManifest, ::interfaces::Error> {
            $crate::backup::export_begin::<$canister>(&key)
        }

        #[::candid::candid_method(query)]
        #[::ic_cdk::query(
            hidden = true,
            decode_with = "::canister_kit::codec::args",
            encode_with = "::canister_kit::codec::query_reply"
        )]
        fn export_chunk(
            key: ::canister_kit::__private::serde_bytes::ByteBuf,
            export_id: u64,
            index: u32,
        ) -> Result<::canister_kit::__private::serde_bytes::ByteBuf, ::interfaces::Error> {
            $crate::backup::export_chunk::<$canister>(&key, export_id, index)
                .map(::canister_kit::__private::serde_bytes::ByteBuf::from)
        }

        #[::candid::candid_method(update)]
        #[::ic_cdk::update(
            hidden = true,
            decode_with = "::canister_kit::codec::args",
            encode_with = "::canister_kit::codec::reply"
        )]
        fn import_begin(
            key: ::canister_kit::__private::serde_bytes::ByteBuf,
            manifest: ::interfaces::snapshot::SnapshotManifest,
        ) -> Result<(), ::interfaces::Error> {
            $crate::backup::import_begin::<$canister>(&key, manifest)
        }

        #[::candid::candid_method(update)]
        #[::ic_cdk::update(
            hidden = true,
            decode_with = "::canister_kit::codec::args",
            encode_with = "::canister_kit::codec::reply"
        )]
        fn import_chunk(
            key: ::canister_kit::__private::serde_bytes::ByteBuf,
            index: u32,
            data: ::canister_kit::__private::serde_bytes::ByteBuf,
        ) -> Result<::interfaces::snapshot::ImportProgress, ::interfaces::Error> {
            $crate::backup::import_chunk::<$canister>(&key, index, &data)
        }

        /// Verifies the imported snapshot and switches to it in this one message; answers the
        /// new data version.
        #[::candid::candid_method(update)]
        #[::ic_cdk::update(
            hidden = true,
            decode_with = "::canister_kit::codec::arg",
            encode_with = "::canister_kit::codec::reply"
        )]
        fn import_commit(
            key: ::canister_kit::__private::serde_bytes::ByteBuf,
        ) -> Result<u64, ::interfaces::Error> {
            $crate::backup::import_commit::<$canister>(&key)
        }
    };
}

/// A data canister whose state is a [`DataState`]: everything [`DataCanister`] needs follows
/// from where that state is kept (the user registry and the notification canister).
pub trait TrackedDataCanister {
    type Store;
    type RawMemory: Memory;
    /// Runs `f` on the canister's one [`DataState`].
    fn with_state<R>(f: impl FnOnce(&mut DataState<Self::Store, Self::RawMemory>) -> R) -> R;
    /// The data memories, in the fixed order a snapshot copies and a restore replaces them.
    fn data_memories() -> Vec<Tracked<Self::RawMemory>>;
    /// After a restore re-opened the store: re-arm the jobs for what the restored state holds.
    fn restored();
}

impl<C: TrackedDataCanister> DataCanister for C {
    type Memory = Tracked<C::RawMemory>;
    type BeforeRestore = ();

    fn data_version() -> u64 {
        C::with_state(|s| s.data_version())
    }

    fn data_memories() -> Vec<Self::Memory> {
        <C as TrackedDataCanister>::data_memories()
    }

    fn with_snapshots<R>(f: impl FnOnce(&mut Snapshots<Self::Memory>) -> R) -> R {
        C::with_state(|s| s.snapshots(f))
    }

    fn before_restore() {}

    fn after_restore((): ()) -> u64 {
        let version = C::with_state(|s| s.reopen_after_restore());
        C::restored();
        version
    }
}

/// The state of a data canister whose structures keep no data version: its store `S` over
/// tracked memories, the data version (kept outside the data, so a restore never rolls it back)
/// and the snapshot staging. Reached only through [`DataState::read`] and [`DataState::mutate`].
pub struct DataState<S, M: Memory> {
    store: S,
    open: fn() -> S,
    version: StableCell<u64, M>,
    snapshots: Snapshots<Tracked<M>>,
}

/// Where a [`DataState`]'s parts live, from the canister's memory module.
pub struct DataMemories<M: Memory> {
    pub data_version: M,
    pub snapshot_state: Tracked<M>,
    pub export_staging: Tracked<M>,
    pub import_staging: Tracked<M>,
}

impl<S, M: Memory> DataState<S, M> {
    /// `open` opens the store over its memories (again after a restore).
    pub fn init(open: fn() -> S, memories: DataMemories<M>) -> Self {
        Self {
            store: open(),
            open,
            version: StableCell::init(memories.data_version, 0),
            snapshots: Snapshots::init(
                memories.snapshot_state,
                memories.export_staging,
                memories.import_staging,
            ),
        }
    }

    pub fn read<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        f(&self.store)
    }

    /// The one write path: the data version moves when `f` wrote to the data, and only then (a
    /// timer that found nothing to do leaves it, so the backup canister skips this canister).
    pub fn mutate<R>(&mut self, f: impl FnOnce(&mut S) -> R) -> R {
        tracked::clear();
        let result = f(&mut self.store);
        if tracked::written() {
            self.bump_version();
        }
        result
    }

    pub fn data_version(&self) -> u64 {
        *self.version.get()
    }

    fn bump_version(&mut self) -> u64 {
        let next = self.data_version() + 1;
        self.version.set(next);
        next
    }

    pub fn snapshots<R>(&mut self, f: impl FnOnce(&mut Snapshots<Tracked<M>>) -> R) -> R {
        f(&mut self.snapshots)
    }

    /// After a restore rewrote the data memories: re-open the store over them and move the data
    /// version, so the restored state counts as new.
    pub fn reopen_after_restore(&mut self) -> u64 {
        self.store = (self.open)();
        self.bump_version()
    }
}

#[cfg(test)]
mod tests;

/// The memory module of a data canister with a [`DataState`] (the user registry and the
/// notification canister), from the memory ids it names in its `memory.rs`: one
/// `MemoryManager`; `RawMemory` and the tracked `Memory` every structure is opened over;
/// `membership()`, `get(id)`, `data()` (the `data` ids in their order: what a snapshot copies
/// and a restore replaces) and `data_state()` (where the [`DataState`] keeps its parts).
#[macro_export]
macro_rules! tracked_memories {
    (
        membership: $membership:expr,
        data: $data:expr,
        data_version: $data_version:expr,
        snapshot_state: $snapshot_state:expr,
        export_staging: $export_staging:expr,
        import_staging: $import_staging:expr $(,)?
    ) => {
        /// Every structure's memory notes its writes, so the data version moves only on real
        /// changes (`state::mutate`).
        pub type Memory = $crate::__private::Tracked<RawMemory>;
        pub type RawMemory = ::ic_stable_structures::memory_manager::VirtualMemory<
            ::ic_stable_structures::DefaultMemoryImpl,
        >;

        thread_local! {
            static MANAGER: ::std::cell::RefCell<
                ::ic_stable_structures::memory_manager::MemoryManager<
                    ::ic_stable_structures::DefaultMemoryImpl,
                >,
            > = ::std::cell::RefCell::new(
                ::ic_stable_structures::memory_manager::MemoryManager::init(
                    ::ic_stable_structures::DefaultMemoryImpl::default(),
                ),
            );
        }

        /// The group membership cache (`canister_kit::member`), outside the data.
        pub fn membership() -> RawMemory {
            raw($membership)
        }

        fn raw(id: ::ic_stable_structures::memory_manager::MemoryId) -> RawMemory {
            MANAGER.with_borrow(|m| m.get(id))
        }

        pub fn get(id: ::ic_stable_structures::memory_manager::MemoryId) -> Memory {
            $crate::__private::Tracked(raw(id))
        }

        /// The data memories, in their fixed order.
        pub fn data() -> Vec<Memory> {
            $data.iter().map(|&id| get(id)).collect()
        }

        /// Where the data version and the snapshot staging live.
        pub fn data_state() -> $crate::backup::DataMemories<RawMemory> {
            $crate::backup::DataMemories {
                data_version: raw($data_version),
                snapshot_state: get($snapshot_state),
                export_staging: get($export_staging),
                import_staging: get($import_staging),
            }
        }
    };
}

/// The state module of a data canister with a [`DataState`] over its store type `$store`
/// (opened with `$store::init(memory::get)`): the one `DataState`, reached only through
/// `read` and `mutate`; `migrate_layout` (the canister's `layout::migrate`, trapping on data it
/// cannot read, which undoes the upgrade or the restore); and `Backup`, the backup endpoints'
/// view of it, which after a restore migrates the restored layout and then calls `$restored`
/// (re-arm the jobs for what the restored state holds). Expects the canister's `memory` module
/// from [`tracked_memories!`] and its `layout` module.
// `crate::` here means the canister that invokes the macro: its `memory` and `layout` modules.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! tracked_data_state {
    ($store:ident, restored: $restored:path) => {
        type State =
            $crate::backup::DataState<$store<crate::memory::Memory>, crate::memory::RawMemory>;

        thread_local! {
            static STATE: ::std::cell::RefCell<State> = ::std::cell::RefCell::new(
                $crate::backup::DataState::init(
                    || $store::init(crate::memory::get),
                    crate::memory::data_state(),
                ),
            );
        }

        pub fn read<R>(f: impl FnOnce(&$store<crate::memory::Memory>) -> R) -> R {
            STATE.with_borrow(|s| s.read(f))
        }

        /// The one write path: the data version moves when `f` wrote to the data, and only then
        /// (a timer that found nothing to do leaves it, so the backup canister skips this one).
        pub fn mutate<R>(f: impl FnOnce(&mut $store<crate::memory::Memory>) -> R) -> R {
            STATE.with_borrow_mut(|s| s.mutate(f))
        }

        /// Brings the stored data to this code's layout; data this code cannot read stops the
        /// message, which undoes the upgrade or the restore.
        pub fn migrate_layout() {
            if let Err(reason) = mutate(|s| crate::layout::migrate(s, crate::memory::get)) {
                ::ic_cdk::trap(reason);
            }
        }

        /// The backup endpoints' view of this canister (`canister_kit::backup_endpoints!`).
        pub struct Backup;

        impl $crate::backup::TrackedDataCanister for Backup {
            type Store = $store<crate::memory::Memory>;
            type RawMemory = crate::memory::RawMemory;

            fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
                STATE.with_borrow_mut(f)
            }

            fn data_memories() -> Vec<crate::memory::Memory> {
                crate::memory::data()
            }

            fn restored() {
                // A snapshot taken before an upgrade holds the layout of its time.
                migrate_layout();
                $restored();
            }
        }
    };
}
