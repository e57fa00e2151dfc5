//! Virtual time, the global timer and ic-cdk-timers (self-calls to `timer_executor`).

mod common;

use std::time::Duration;

use common::*;
use ic_runtime::{update_candid, PocketIc, Time, DEFAULT_INITIAL_TIME_NANOS};

fn timer_stats(pic: &PocketIc, store: candid::Principal) -> TimerStats {
    let (t,): (TimerStats,) = ic_runtime::query_candid(pic, store, "timer_stats", ()).unwrap();
    t
}

#[test]
fn time_is_virtual_and_moves_only_when_told() {
    let pic = PocketIc::new();
    assert_eq!(
        pic.get_time(),
        Time::from_nanos_since_unix_epoch(DEFAULT_INITIAL_TIME_NANOS)
    );
    let store = install_store(&pic);
    let t0 = stats(&pic, store).time;
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(stats(&pic, store).time, t0, "wall-clock time leaked in");
    pic.advance_time(Duration::from_secs(5));
    assert_eq!(stats(&pic, store).time, t0 + 5_000_000_000);
    pic.tick();
    assert_eq!(
        stats(&pic, store).time,
        t0 + 5_000_000_000,
        "a tick after advance_time adds nothing"
    );
    pic.tick();
    assert_eq!(
        stats(&pic, store).time,
        t0 + 5_000_000_001,
        "a plain tick adds 1 ns"
    );
    pic.set_time(Time::from_nanos_since_unix_epoch(t0 + 60_000_000_000));
    assert_eq!(
        pic.get_time().as_nanos_since_unix_epoch(),
        t0 + 60_000_000_000
    );
}

#[test]
fn zero_delay_timer_from_init_runs_and_learns_the_module_hash() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    assert_eq!(
        timer_stats(&pic, store).init_timer_runs,
        0,
        "timers only fire in rounds"
    );
    pic.tick();
    let t = timer_stats(&pic, store);
    assert_eq!(t.init_timer_runs, 1);
    let expected = ic_runtime::engine::sha256(&wasm("rt_store")).to_vec();
    assert_eq!(
        t.module_hash,
        Some(expected),
        "canister_info from the timer gave the wrong hash"
    );
}

#[test]
fn interval_timer_fires_once_per_interval() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let () = update_candid(&pic, store, "start_interval", (10u64,)).unwrap();
    pic.advance_time(Duration::from_secs(10));
    pic.tick();
    assert_eq!(timer_stats(&pic, store).interval_ticks, 1);
    pic.advance_time(Duration::from_secs(5));
    pic.tick();
    assert_eq!(timer_stats(&pic, store).interval_ticks, 1);
    pic.advance_time(Duration::from_secs(5));
    pic.tick();
    assert_eq!(timer_stats(&pic, store).interval_ticks, 2);
}

#[test]
fn one_shot_timer_fires_once_when_due() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let () = update_candid(&pic, store, "start_oneshot", (60u64,)).unwrap();
    pic.advance_time(Duration::from_secs(59));
    pic.tick();
    pic.tick();
    assert_eq!(timer_stats(&pic, store).oneshot_runs, 0, "fired early");
    pic.advance_time(Duration::from_secs(1));
    pic.tick();
    assert_eq!(timer_stats(&pic, store).oneshot_runs, 1);
    pic.advance_time(Duration::from_secs(600));
    pic.tick();
    pic.tick();
    assert_eq!(timer_stats(&pic, store).oneshot_runs, 1, "fired twice");
}
