//! Bookkeeping of snapshots: reservation, chunk checks, completion against the source's hash,
//! failure cleanup, verification, retention and the counters, natively over `VectorMemory`.

use super::*;
use ic_stable_structures::VectorMemory;

use crate::retention::DAY_NS;

fn store() -> Store<VectorMemory> {
    Store::init(Memories {
        meta: VectorMemory::default(),
        snapshots: VectorMemory::default(),
        chunks: VectorMemory::default(),
        canisters: VectorMemory::default(),
    })
}

fn p(n: u8) -> Principal {
    Principal::from_slice(&[n; 10])
}

fn stream(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn manifest(data: &[u8], chunk_bytes: u32, version: u64) -> SnapshotManifest {
    SnapshotManifest {
        export_id: 1,
        data_version: version,
        total_bytes: data.len() as u64,
        chunk_bytes,
        chunk_count: (data.len() as u64).div_ceil(u64::from(chunk_bytes)) as u32,
        sha256: Sha256::digest(data).to_vec(),
    }
}

/// Takes a whole snapshot of `data` for `canister` the way the pull does.
fn take(
    s: &mut Store<VectorMemory>,
    canister: Principal,
    data: &[u8],
    version: u64,
    now: u64,
) -> u64 {
    let id = s
        .begin(
            canister,
            CanisterKind::Calendar,
            SnapshotTrigger::Scheduled,
            now,
        )
        .unwrap();
    let m = manifest(data, 1_000, version);
    s.set_manifest(id, &m).unwrap();
    let mut hasher = Sha256::new();
    for (i, c) in data.chunks(1_000).enumerate() {
        hasher.update(c);
        s.put_chunk(id, i as u32, c.to_vec()).unwrap();
    }
    s.complete(id, &hasher.finalize(), now).unwrap();
    id
}

#[test]
fn a_complete_snapshot_moves_the_canisters_version_and_counts() {
    let mut s = store();
    assert!(s.needs_snapshot(&p(1), 0), "never snapshotted");
    let data = stream(4_500, 1);
    let id = take(&mut s, p(1), &data, 7, 100);
    assert!(!s.needs_snapshot(&p(1), 7));
    assert!(s.needs_snapshot(&p(1), 8));
    let info = s.snapshot(id).unwrap();
    assert_eq!(info.status, SnapshotStatus::Complete);
    assert_eq!((info.chunk_count, info.total_bytes), (5, 4_500));
    let stats = s.stats();
    assert_eq!(
        (stats.snapshots, stats.stored_chunks, stats.stored_bytes),
        (1, 5, 4_500)
    );
    assert_eq!(stats.canisters[0].last_snapshot_id, Some(id));
    let v = s.verify(id).unwrap();
    assert!(v.ok);
    assert_eq!(v.bytes_checked, 4_500);
}

#[test]
fn one_pull_per_canister_at_a_time() {
    let mut s = store();
    let id = s
        .begin(p(1), CanisterKind::Calendar, SnapshotTrigger::Scheduled, 0)
        .unwrap();
    assert!(matches!(
        s.begin(p(1), CanisterKind::Calendar, SnapshotTrigger::Scheduled, 0),
        Err(Error::Conflict { .. })
    ));
    // Another canister is not blocked.
    s.begin(
        p(2),
        CanisterKind::Notification,
        SnapshotTrigger::Scheduled,
        0,
    )
    .unwrap();
    s.fail(id, "gone", 1);
    s.begin(p(1), CanisterKind::Calendar, SnapshotTrigger::Scheduled, 2)
        .unwrap();
}

#[test]
fn bad_manifests_and_chunks_are_refused_and_change_nothing() {
    let mut s = store();
    let id = s
        .begin(p(1), CanisterKind::Calendar, SnapshotTrigger::Scheduled, 0)
        .unwrap();
    let data = stream(3_000, 2);
    let mut m = manifest(&data, 1_000, 1);
    m.chunk_bytes = MAX_CHUNK_BYTES + 1;
    m.chunk_count = 1;
    assert!(s.set_manifest(id, &m).is_err(), "chunks over 1.5 MiB");
    let mut m = manifest(&data, 1_000, 1);
    m.chunk_count = 2;
    assert!(s.set_manifest(id, &m).is_err(), "count does not fit");
    let mut m = manifest(&data, 1_000, 1);
    m.sha256.pop();
    assert!(s.set_manifest(id, &m).is_err(), "short hash");
    assert_eq!(s.snapshot(id).unwrap().chunk_count, 0);

    s.set_manifest(id, &manifest(&data, 1_000, 1)).unwrap();
    assert!(s.put_chunk(id, 3, vec![0; 1_000]).is_err(), "past the end");
    assert!(s.put_chunk(id, 0, vec![0; 999]).is_err(), "short chunk");
    assert!(s.chunk(id, 0).is_none());
}

#[test]
fn a_hash_mismatch_fails_the_snapshot_and_deletes_its_chunks() {
    let mut s = store();
    let data = stream(2_500, 3);
    let good = take(&mut s, p(1), &data, 1, 10);
    let id = s
        .begin(p(1), CanisterKind::Calendar, SnapshotTrigger::Scheduled, 20)
        .unwrap();
    s.set_manifest(id, &manifest(&data, 1_000, 2)).unwrap();
    let mut corrupted = data.clone();
    corrupted[1_500] ^= 1;
    let mut hasher = Sha256::new();
    for (i, c) in corrupted.chunks(1_000).enumerate() {
        hasher.update(c);
        s.put_chunk(id, i as u32, c.to_vec()).unwrap();
    }
    assert!(s.complete(id, &hasher.finalize(), 30).is_err());
    assert!(matches!(
        s.snapshot(id).unwrap().status,
        SnapshotStatus::Failed { .. }
    ));
    assert!(s.chunk(id, 0).is_none(), "failed chunks are deleted");
    assert_eq!(s.latest_complete(&p(1)).unwrap().id, good);
    assert!(s.needs_snapshot(&p(1), 2), "version 2 was never captured");
    let stats = s.stats();
    assert_eq!(stats.failures, 1);
    assert_eq!(stats.stored_bytes, 2_500);
    assert!(stats.canisters[0].last_error.is_some());
}

#[test]
fn missing_chunks_fail_completion() {
    let mut s = store();
    let data = stream(2_500, 4);
    let id = s
        .begin(p(1), CanisterKind::Calendar, SnapshotTrigger::Scheduled, 0)
        .unwrap();
    let m = manifest(&data, 1_000, 1);
    s.set_manifest(id, &m).unwrap();
    s.put_chunk(id, 0, data[..1_000].to_vec()).unwrap();
    assert!(s.complete(id, &m.sha256, 1).is_err());
}

#[test]
fn verify_detects_stored_bytes_that_changed() {
    let data = stream(2_500, 5);
    let mut s = store();
    let id = take(&mut s, p(1), &data, 1, 0);
    let info = s.snapshot(id).unwrap();
    let flipped = hash_chunks(&info, |i| {
        let mut c = s.chunk(id, i)?;
        if i == 1 {
            c[10] ^= 0x80;
        }
        Some(c)
    });
    assert!(!flipped.ok);
    assert_ne!(flipped.actual_sha256, flipped.expected_sha256);
    let missing = hash_chunks(&info, |i| if i == 2 { None } else { s.chunk(id, i) });
    assert_eq!(missing.bad_chunks, vec![2]);
    assert!(s.verify(id).unwrap().ok);
}

#[test]
fn retention_deletes_old_snapshots_with_their_chunks_per_canister() {
    let mut s = store();
    s.set_config(BackupConfig {
        interval_secs: 300,
        keep_recent: 2,
        keep_daily: 0,
    })
    .unwrap();
    let data = stream(1_500, 6);
    let ids: Vec<u64> = (0..4)
        .map(|v| take(&mut s, p(1), &data, v, v * 1_000))
        .collect();
    let other = take(&mut s, p(2), &data, 0, 0);
    assert_eq!(s.apply_retention(DAY_NS), 2);
    assert!(s.snapshot(ids[0]).is_none() && s.chunk(ids[0], 0).is_none());
    assert!(s.snapshot(ids[1]).is_none());
    assert!(s.snapshot(ids[2]).is_some() && s.snapshot(ids[3]).is_some());
    assert!(
        s.snapshot(other).is_some(),
        "another canister's only snapshot stays"
    );
    let stats = s.stats();
    assert_eq!((stats.snapshots, stats.stored_bytes), (3, 4_500));
    assert_eq!(stats.deleted_by_retention, 2);
    assert_eq!(s.apply_retention(DAY_NS), 0, "idempotent");
}

#[test]
fn an_upgrade_abandons_pulls_in_progress() {
    let mut s = store();
    let id = s
        .begin(p(1), CanisterKind::Calendar, SnapshotTrigger::Scheduled, 0)
        .unwrap();
    assert_eq!(s.abandon_in_progress(5), 1);
    assert!(matches!(
        s.snapshot(id).unwrap().status,
        SnapshotStatus::Failed { .. }
    ));
    s.begin(p(1), CanisterKind::Calendar, SnapshotTrigger::Scheduled, 6)
        .unwrap();
}

#[test]
fn config_is_validated() {
    let mut s = store();
    for bad in [
        BackupConfig {
            interval_secs: 0,
            ..Default::default()
        },
        BackupConfig {
            keep_recent: 0,
            ..Default::default()
        },
        BackupConfig {
            keep_daily: 5_000,
            ..Default::default()
        },
    ] {
        assert!(s.set_config(bad).is_err());
    }
    assert_eq!(s.config(), BackupConfig::default());
}

#[test]
fn listing_is_newest_first_and_paginated() {
    let mut s = store();
    let data = stream(100, 7);
    for v in 0..5 {
        take(&mut s, p(1), &data, v, v);
        take(&mut s, p(2), &data, v, v);
    }
    let page = s
        .list(&SnapshotQuery {
            canister: Some(p(1)),
            before: None,
            limit: Some(3),
        })
        .unwrap();
    assert_eq!(
        page.snapshots.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![9, 7, 5]
    );
    let next = s
        .list(&SnapshotQuery {
            canister: Some(p(1)),
            before: page.next_before,
            limit: Some(3),
        })
        .unwrap();
    assert_eq!(
        next.snapshots.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![3, 1]
    );
    assert_eq!(next.next_before, None);
    assert!(s
        .list(&SnapshotQuery {
            limit: Some(MAX_PAGE + 1),
            ..Default::default()
        })
        .is_err());
}
