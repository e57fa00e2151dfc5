//! Saving a runtime to a directory and loading it back (what the local network does across
//! restarts): heap, stable memory, timers, settings, status, cycles, logs and history survive,
//! and the loaded canisters keep running.

mod common;

use std::time::Duration;

use candid::Principal;
use common::{install_store, user, Stats};
use ic_runtime::{query_candid, update_candid, PocketIc, PocketIcBuilder};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ic-runtime-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[derive(candid::CandidType, candid::Deserialize, Debug, PartialEq)]
struct TimerStats {
    init_timer_runs: u64,
    interval_ticks: u64,
    oneshot_runs: u64,
    module_hash: Option<Vec<u8>>,
}

#[test]
fn a_saved_runtime_loads_with_every_canister_and_its_data() {
    let dir = temp_dir("save-load");
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let stopped = install_store(&pic);
    let empty = pic.create_canister();
    for _ in 0..3 {
        let _: (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    }
    let _: () = update_candid(&pic, store, "put", ("k", "v")).unwrap();
    let _: () = update_candid(&pic, store, "log", ("kept",)).unwrap();
    let _: () = update_candid(&pic, store, "start_interval", (10u64,)).unwrap();
    pic.set_controllers(store, None, vec![Principal::anonymous(), user()])
        .unwrap();
    pic.stop_canister(stopped, None).unwrap();
    pic.add_cycles(store, 5);
    pic.advance_time(Duration::from_secs(25));
    pic.tick();
    let (before,): (TimerStats,) = query_candid(&pic, store, "timer_stats", ()).unwrap();
    assert!(before.interval_ticks >= 1);
    let status_before = pic.canister_status(store, None).unwrap();
    let (stats_before,): (Stats,) = query_candid(&pic, store, "stats", ()).unwrap();
    let time_before = pic.get_time();
    assert!(!PocketIc::saved_state_exists(&dir));
    pic.save_state(&dir).unwrap();
    assert!(PocketIc::saved_state_exists(&dir));
    drop(pic);

    let pic = PocketIcBuilder::new()
        .build_from_state(&dir)
        .unwrap()
        .expect("state was saved");
    assert_eq!(pic.get_time(), time_before);
    assert_eq!(pic.canister_ids().len(), 3);
    // Heap (counter), stable memory (map), timer state in the heap.
    let (stats,): (Stats,) = query_candid(&pic, store, "stats", ()).unwrap();
    assert_eq!(stats, stats_before);
    assert_eq!(stats.counter, 3);
    let (v,): (Option<String>,) = query_candid(&pic, store, "get", ("k",)).unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    let (after,): (TimerStats,) = query_candid(&pic, store, "timer_stats", ()).unwrap();
    assert_eq!(after, before);
    // Settings, version, module hash, cycles; the stopped canister is still stopped.
    let status = pic.canister_status(store, None).unwrap();
    assert_eq!(
        status.settings.controllers,
        status_before.settings.controllers
    );
    assert_eq!(status.module_hash, status_before.module_hash);
    assert_eq!(status.version, status_before.version);
    assert_eq!(status.cycles, status_before.cycles);
    assert!(pic
        .update_call(
            stopped,
            Principal::anonymous(),
            "inc",
            candid::encode_args(()).unwrap()
        )
        .is_err());
    assert!(pic.canister_exists(empty));
    let logs = pic
        .fetch_canister_logs(store, Principal::anonymous())
        .unwrap();
    assert!(logs
        .iter()
        .any(|l| String::from_utf8_lossy(&l.content).contains("kept")));

    // It keeps running: updates commit, the interval timer fires, new ids do not collide.
    let (n,): (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    assert_eq!(n, 4);
    pic.advance_time(Duration::from_secs(10));
    pic.tick();
    let (later,): (TimerStats,) = query_candid(&pic, store, "timer_stats", ()).unwrap();
    assert!(later.interval_ticks > after.interval_ticks);
    let fresh = pic.create_canister();
    assert!(![store, stopped, empty].contains(&fresh));

    // Saving again replaces the snapshot; the newest state is what loads.
    pic.save_state(&dir).unwrap();
    let again = PocketIcBuilder::new()
        .build_from_state(&dir)
        .unwrap()
        .unwrap();
    let (c,): (u64,) = query_candid(&again, store, "counter", ()).unwrap();
    assert_eq!(c, 4);
    assert!(again.canister_exists(fresh));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_save_rewrites_only_canisters_that_changed() {
    let dir = temp_dir("incremental");
    let pic = PocketIc::new();
    let busy = install_store(&pic);
    let idle = install_store(&pic);
    for _ in 0..3 {
        pic.tick();
    }
    pic.save_state(&dir).unwrap();
    let file = |id: Principal| dir.join("snapshot").join(id.to_text()).join("heap");
    let mtime = |id: Principal| std::fs::metadata(file(id)).unwrap().modified().unwrap();
    let (busy_before, idle_before) = (mtime(busy), mtime(idle));
    std::thread::sleep(Duration::from_millis(20));
    let (n,): (u64,) = update_candid(&pic, busy, "inc", ()).unwrap();
    assert_eq!(n, 1);
    pic.save_state(&dir).unwrap();
    assert_ne!(
        mtime(busy),
        busy_before,
        "the changed canister is written again"
    );
    assert_eq!(
        mtime(idle),
        idle_before,
        "the unchanged one shares its files"
    );

    let loaded = PocketIcBuilder::new()
        .build_from_state(&dir)
        .unwrap()
        .unwrap();
    let (b,): (u64,) = query_candid(&loaded, busy, "counter", ()).unwrap();
    let (i,): (u64,) = query_candid(&loaded, idle, "counter", ()).unwrap();
    assert_eq!((b, i), (1, 0));
    // A loaded runtime saving into its own directory also reuses what did not change.
    let idle_loaded = mtime(idle);
    let _: (u64,) = update_candid(&loaded, busy, "inc", ()).unwrap();
    loaded.save_state(&dir).unwrap();
    assert_eq!(mtime(idle), idle_loaded);
    let again = PocketIcBuilder::new()
        .build_from_state(&dir)
        .unwrap()
        .unwrap();
    let (b,): (u64,) = query_candid(&again, busy, "counter", ()).unwrap();
    assert_eq!(b, 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_directory_holds_no_state() {
    let dir = temp_dir("empty");
    assert!(PocketIcBuilder::new()
        .build_from_state(&dir)
        .unwrap()
        .is_none());
}

#[test]
fn activity_counts_executed_messages() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    // The timers armed by init run in the first rounds.
    for _ in 0..3 {
        pic.tick();
    }
    let before = pic.activity();
    pic.tick();
    assert_eq!(pic.activity(), before, "an empty round changes nothing");
    let _: (u64,) = update_candid(&pic, store, "inc", ()).unwrap();
    assert!(pic.activity() > before);
    assert!(pic.is_idle());
}
