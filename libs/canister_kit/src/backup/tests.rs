//! The backup protocol on a data canister made of one `StableBTreeMap` in vector memories.

use std::cell::RefCell;

use ic_stable_structures::{StableBTreeMap, VectorMemory};

use super::*;

type Map = StableBTreeMap<u64, u64, Tracked<VectorMemory>>;

thread_local! {
    static DATA: VectorMemory = VectorMemory::default();
    static STATE: RefCell<DataState<Map, VectorMemory>> = RefCell::new(DataState::init(
        || StableBTreeMap::init(Tracked(DATA.with(|d| d.clone()))),
        DataMemories {
            data_version: VectorMemory::default(),
            snapshot_state: Tracked(VectorMemory::default()),
            export_staging: Tracked(VectorMemory::default()),
            import_staging: Tracked(VectorMemory::default()),
        },
    ));
    static RESTORES: RefCell<u32> = const { RefCell::new(0) };
}

const KEY: &[u8] = b"the backup canister's key";

struct Fake;

impl DataCanister for Fake {
    type Memory = Tracked<VectorMemory>;
    type BeforeRestore = u64;

    fn data_version() -> u64 {
        STATE.with_borrow(|s| s.data_version())
    }
    fn data_memories() -> Vec<Self::Memory> {
        vec![Tracked(DATA.with(|d| d.clone()))]
    }
    fn with_snapshots<R>(f: impl FnOnce(&mut Snapshots<Self::Memory>) -> R) -> R {
        STATE.with_borrow_mut(|s| s.snapshots(f))
    }
    fn before_restore() -> u64 {
        Self::data_version()
    }
    fn after_restore(before: u64) -> u64 {
        RESTORES.with_borrow_mut(|r| *r += 1);
        let after = STATE.with_borrow_mut(|s| s.reopen_after_restore());
        assert!(after > before);
        after
    }
    fn authorize(key: &[u8]) -> Result<(), Error> {
        if key == KEY {
            Ok(())
        } else {
            Err(Error::NotGroupMember)
        }
    }
}

fn insert(k: u64, v: u64) {
    STATE.with_borrow_mut(|s| s.mutate(|m| m.insert(k, v)));
}

fn get(k: u64) -> Option<u64> {
    STATE.with_borrow(|s| s.read(|m| m.get(&k)))
}

#[test]
fn the_version_moves_only_when_a_message_wrote() {
    let start = Fake::data_version();
    insert(1, 10);
    assert_eq!(Fake::data_version(), start + 1);
    STATE.with_borrow_mut(|s| s.mutate(|m| m.get(&1)));
    STATE.with_borrow_mut(|s| s.mutate(|m| m.remove(&99)));
    assert_eq!(
        Fake::data_version(),
        start + 1,
        "reads and no-ops write nothing"
    );
}

#[test]
fn only_the_backup_canister_is_answered_and_a_refusal_changes_nothing() {
    insert(1, 10);
    let version = Fake::data_version();
    assert_eq!(data_version::<Fake>(b"other"), Err(Error::NotGroupMember));
    assert!(export_begin::<Fake>(b"other").is_err());
    assert!(import_commit::<Fake>(b"other").is_err());
    assert_eq!(data_version::<Fake>(KEY), Ok(version));
    assert_eq!(get(1), Some(10));
    assert_eq!(RESTORES.with_borrow(|r| *r), 0);
}

#[test]
fn an_export_restores_the_data_of_its_moment_and_moves_the_version() {
    insert(1, 10);
    insert(2, 20);
    let manifest = export_begin::<Fake>(KEY).unwrap();
    assert_eq!(manifest.data_version, Fake::data_version());
    let chunks: Vec<Vec<u8>> = (0..manifest.chunk_count)
        .map(|i| export_chunk::<Fake>(KEY, manifest.export_id, i).unwrap())
        .collect();
    // Changes after the export are not part of it.
    insert(1, 11);
    insert(3, 30);
    let before = Fake::data_version();

    import_begin::<Fake>(KEY, manifest.clone()).unwrap();
    for (i, chunk) in chunks.iter().enumerate() {
        let progress = import_chunk::<Fake>(KEY, i as u32, chunk).unwrap();
        assert_eq!(progress.chunks_received, i as u32 + 1);
    }
    let after = import_commit::<Fake>(KEY).unwrap();
    assert!(
        after > before,
        "a restored state is new to the backup canister"
    );
    assert_eq!((get(1), get(2), get(3)), (Some(10), Some(20), None));
    assert_eq!(RESTORES.with_borrow(|r| *r), 1);
}
