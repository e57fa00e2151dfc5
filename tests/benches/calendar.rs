//! Benchmark (not a test): instructions per calendar operation on the real wasm with 1,000 and
//! with 100,000 stored events, and stable-memory bytes per event.
//!
//! The question it answers: does listing a range cost what the answer costs, whatever the
//! number of stored events? (The original scanned every event on each range query.) Run with
//! `cargo bench -p integration_tests --bench calendar` after `scripts/build.sh calendar`.
//! Instructions are the runtime's fuel for the message (see host/ic_runtime/README.md).

use std::time::Instant;

use candid::{encode_args, encode_one};
use integration_tests::bench_setup::BenchShard;
use integration_tests::{user, wasm};
use interfaces::calendar::{
    BusyBlock, Event, EventInput, EventPage, EventPatch, FreeBusyAudience, FreeBusyRequest,
    ListRequest,
};
use interfaces::Error;

const HOUR: u64 = 3_600_000_000_000;
const BASE: u64 = 1_780_000_000_000_000_000; // mid-2026
const SIZES: [u64; 2] = [1_000, 100_000];
/// Operations averaged per row.
const SAMPLES: u64 = 20;

/// A shard with room for the largest store.
fn new_shard() -> BenchShard {
    let shard = BenchShard::install(wasm("calendar"));
    let _ = shard.configure(200_000, 10_000_000);
    shard
}

fn event(i: u64) -> EventInput {
    let start = BASE + i * 2 * HOUR;
    EventInput::timed(&format!("Lesson {i}"), start, start + HOUR, "Europe/Berlin")
}

struct Row {
    op: &'static str,
    instructions: Vec<u64>,
}

fn main() {
    let alice = user(1);
    let mut rows = vec![
        Row {
            op: "create_event",
            instructions: vec![],
        },
        Row {
            op: "update_event",
            instructions: vec![],
        },
        Row {
            op: "delete_event",
            instructions: vec![],
        },
        Row {
            op: "get_event",
            instructions: vec![],
        },
        Row {
            op: "list_events (50 results)",
            instructions: vec![],
        },
        Row {
            op: "free_busy (50 blocks)",
            instructions: vec![],
        },
    ];
    let mut bytes_per_event = Vec::new();
    let mut fill_seconds = Vec::new();
    let mut stable_full = Vec::new();
    for n in SIZES {
        let shard = new_shard();
        // user(2) reads alice's free/busy below: alice lets every signed-in user see it.
        let r: Result<(), Error> = shard.update(
            alice,
            "set_free_busy_audience",
            encode_one(FreeBusyAudience::SignedIn).unwrap(),
        );
        r.unwrap();
        let empty = shard.metrics().stable_memory_bytes;
        let started = Instant::now();
        let mut ids = Vec::with_capacity(n as usize);
        for i in 0..n {
            let e: Result<Event, Error> =
                shard.update(alice, "create_event", encode_one(event(i)).unwrap());
            ids.push(e.unwrap().id);
        }
        fill_seconds.push(started.elapsed().as_secs_f64());
        let full = shard.metrics().stable_memory_bytes;
        bytes_per_event.push((full - empty) as f64 / n as f64);
        stable_full.push(full);

        let mut sum = [0u64; 6];
        for s in 0..SAMPLES {
            let i = (s * 7_919) % n; // spread over the whole store
            let id = ids[i as usize];
            let e: Result<Event, Error> =
                shard.update(alice, "create_event", encode_one(event(n + s)).unwrap());
            sum[0] += shard.instructions();
            let extra = e.unwrap();
            let patch = EventPatch {
                title: Some("Renamed".into()),
                ..Default::default()
            };
            let r: Result<Event, Error> = shard.update(
                alice,
                "update_event",
                encode_args((id, 1u64, patch)).unwrap(),
            );
            r.unwrap();
            sum[1] += shard.instructions();
            let r: Result<(), Error> = shard.update(
                alice,
                "delete_event",
                encode_args((extra.id, None::<u64>)).unwrap(),
            );
            r.unwrap();
            sum[2] += shard.instructions();
            let r: Result<Event, Error> = shard.query(alice, "get_event", encode_one(id).unwrap());
            r.unwrap();
            sum[3] += shard.instructions();
            // A window holding exactly 50 events somewhere in the middle of the store.
            let from = BASE + ((n / 2 + s * 3) % (n - 60)) * 2 * HOUR;
            let to = from + 100 * HOUR;
            let page: Result<EventPage, Error> = shard.query(
                alice,
                "list_events",
                encode_one(ListRequest {
                    owner: None,
                    from_ns: from,
                    to_ns: to,
                    cursor: None,
                    limit: Some(50),
                    include_declined: None,
                })
                .unwrap(),
            );
            assert_eq!(page.unwrap().occurrences.len(), 50);
            sum[4] += shard.instructions();
            let busy: Result<Vec<BusyBlock>, Error> = shard.query(
                user(2),
                "free_busy",
                encode_one(FreeBusyRequest {
                    user: alice,
                    from_ns: from,
                    to_ns: to,
                })
                .unwrap(),
            );
            assert_eq!(busy.unwrap().len(), 50);
            sum[5] += shard.instructions();
        }
        for (row, total) in rows.iter_mut().zip(sum) {
            row.instructions.push(total / SAMPLES);
        }
    }

    println!("calendar shard, instructions per call (mean of {SAMPLES}), one user's events");
    println!();
    println!(
        "| operation | {} events | {} events | ratio |",
        SIZES[0], SIZES[1]
    );
    println!("| --- | ---: | ---: | ---: |");
    for row in &rows {
        println!(
            "| {} | {} | {} | {:.2}x |",
            row.op,
            row.instructions[0],
            row.instructions[1],
            row.instructions[1] as f64 / row.instructions[0] as f64
        );
    }
    println!(
        "| stable bytes per event | {:.0} | {:.0} | |",
        bytes_per_event[0], bytes_per_event[1]
    );
    println!(
        "| fill time (create_event x N, wall) | {:.1} s | {:.1} s | |",
        fill_seconds[0], fill_seconds[1]
    );
    // Stable memory grows in 8 MiB buckets per structure, so the small store's figure is
    // mostly allocation granularity; the difference between the two stores is the real cost.
    println!(
        "| stable bytes per event, marginal ({} -> {}) | {:.0} | | |",
        SIZES[0],
        SIZES[1],
        (stable_full[1] - stable_full[0]) as f64 / (SIZES[1] - SIZES[0]) as f64
    );
    let list = &rows[4].instructions;
    println!();
    println!(
        "list-range target: at most 1.5x at {} vs {}: measured {:.2}x",
        SIZES[1],
        SIZES[0],
        list[1] as f64 / list[0] as f64
    );
}
