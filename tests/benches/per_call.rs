//! Benchmark (not a test): what one calendar call costs, next to the original Motoko calendar
//! and the per-call goals, and where its instructions go.
//!
//! Two tables:
//! 1. Instructions per call (mean of 30) on the deployable wasm with 1,000 and 100,000 stored
//!    events, with the original's figures, the goal, and the cycles the call costs on a 13-node
//!    subnet (updates arrive as ingress: reception fee, bytes, execution base fee and one cycle
//!    per instruction; queries are free on the IC today).
//! 2. A profile per endpoint on the same store built with the `profile` feature
//!    (`scripts/build-profile.sh`): instructions from the message's start to its argument
//!    decoding, in the argument header and values, reading and writing stored records,
//!    decoding them, in the call's bookkeeping (metrics, health, scheduling the outbox), in the
//!    remaining logic, encoding the reply, and after it (reply system call, ic-cdk exit). The
//!    marks cost a few hundred instructions, so its totals are slightly above table 1's.
//!
//! The original's column is the measurement quoted in issue 21 (the Motoko calendar run in the
//! same runtime); its source is not in this repository, so it is printed, not rerun.
//!
//! Run: `scripts/build.sh calendar && scripts/build-profile.sh &&
//! cargo bench -p integration_tests --bench per_call`. Filling 100,000 events takes minutes;
//! `PER_CALL_MAX_EVENTS=1000` measures the small store only, `PER_CALL_OPS=0,8` those rows only.

use std::collections::BTreeMap;

use candid::{encode_args, encode_one, CandidType, Principal};
use integration_tests::bench_setup::{no_group, thousands, BenchShard};
use integration_tests::{operator, user};
use interfaces::calendar::{Event, EventInput, EventPage, EventPatch, ListRequest};
use interfaces::Error;

const HOUR: u64 = 3_600_000_000_000;
const WEEK: u64 = 168 * HOUR;
const BASE: u64 = 1_780_000_000_000_000_000; // mid-2026
/// Ten events start in every week: one each 16.8 hours.
const SPACING: u64 = WEEK / 10;
const SIZES: [u64; 2] = [1_000, 100_000];
const SAMPLES: u64 = 30;

/// 13-node application subnet fees (dfinity/ic `rs/config/src/subnet_config.rs`).
const INGRESS_RECEPTION_FEE: u64 = 1_200_000;
const INGRESS_BYTE_FEE: u64 = 2_000;
const UPDATE_EXECUTION_FEE: u64 = 5_000_000;
/// `ten_update_instructions_execution_fee` is 10 cycles.
const CYCLES_PER_INSTRUCTION: u64 = 1;

struct Shard {
    shard: BenchShard,
    /// The profile build logs its marks only from replicated executions, so every call to it
    /// runs as an update (same instructions as the query).
    profiled: bool,
}

impl Shard {
    /// A shard running `wasm_name`, installed over `stable_memory` when given (a store another
    /// shard filled: the fill is the slow part of this benchmark, so it is done once per size).
    fn new(wasm_name: &str, stable_memory: Option<Vec<u8>>) -> Self {
        let shard = BenchShard::install(wasm(wasm_name));
        if stable_memory.is_none() {
            println!(
                "installing {wasm_name}: {} instructions (install builds the codec's headers)",
                thousands(shard.instructions())
            );
        }
        if let Some(memory) = stable_memory {
            // Written under the installed code, then read by it as after an upgrade.
            let (pic, id) = (&shard.pic, shard.id);
            pic.set_stable_memory(id, memory, ic_runtime::BlobCompression::NoCompression);
            pic.upgrade_canister(id, wasm(wasm_name), no_group(), Some(operator()))
                .unwrap();
        }
        shard.configure(200_000, 10_000_000).unwrap();
        Shard {
            shard,
            profiled: wasm_name.ends_with("_profile"),
        }
    }

    fn call<R: for<'a> candid::Deserialize<'a> + CandidType>(
        &self,
        kind: Kind,
        who: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> R {
        match kind {
            Kind::Query if !self.profiled => self.shard.query(who, method, arg),
            _ => self.shard.update(who, method, arg),
        }
    }

    fn instructions(&self) -> u64 {
        self.shard.instructions()
    }

    fn fill(&self, n: u64) -> Vec<u64> {
        (0..n)
            .map(|i| {
                let e: Result<Event, Error> = self.call(
                    Kind::Update,
                    user(1),
                    "create_event",
                    encode_one(event(i)).unwrap(),
                );
                e.unwrap().id
            })
            .collect()
    }

    /// The profile line the last call wrote (label -> instructions, spans summed), or nothing
    /// for the deployable build.
    fn last_profile(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        if !self.profiled {
            return out;
        }
        let logs = self
            .shard
            .pic
            .fetch_canister_logs(self.shard.id, operator())
            .unwrap();
        let line =
            String::from_utf8_lossy(&logs.last().expect("a profile line").content).into_owned();
        assert!(
            line.starts_with("profile: "),
            "the reply's last log line: {line}"
        );
        for pair in line["profile: ".len()..].split(' ') {
            let (label, n) = pair.split_once('=').unwrap();
            *out.entry(label.to_string()).or_insert(0) += n.parse::<u64>().unwrap();
        }
        out
    }
}

/// `target/canisters/<name>.wasm.gz`, or from `$PER_CALL_WASM_DIR` when set (so a long run is
/// not disturbed by a rebuild).
fn wasm(name: &str) -> Vec<u8> {
    match std::env::var("PER_CALL_WASM_DIR") {
        Ok(dir) => std::fs::read(format!("{dir}/{name}.wasm.gz")).unwrap(),
        Err(_) => integration_tests::wasm(name),
    }
}

fn profile_wasm_exists() -> bool {
    let dir = std::env::var("PER_CALL_WASM_DIR")
        .unwrap_or_else(|_| format!("{}/../target/canisters", env!("CARGO_MANIFEST_DIR")));
    std::path::Path::new(&dir)
        .join("calendar_profile.wasm.gz")
        .exists()
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Update,
    Query,
}

fn event(i: u64) -> EventInput {
    let start = BASE + i * SPACING;
    EventInput::timed(&format!("Lesson {i}"), start, start + HOUR, "Europe/Berlin")
}

/// One measured operation: how to make the `s`-th call on a store of `n` events.
struct Op {
    name: &'static str,
    method: &'static str,
    kind: Kind,
    original: [Option<u64>; 2],
    goal: Option<u64>,
    /// Sizes it is measured at (issue 21 measures create at 1,000 and the rest at 100,000).
    at: &'static [u64],
}

const OPS: [Op; 9] = [
    Op {
        name: "create_event",
        method: "create_event",
        kind: Kind::Update,
        original: [Some(115_458), None],
        goal: Some(400_000),
        at: &SIZES,
    },
    Op {
        name: "get_event",
        method: "get_event",
        kind: Kind::Query,
        original: [None, Some(8_592)],
        goal: Some(50_000),
        at: &SIZES,
    },
    Op {
        name: "update_event (title)",
        method: "update_event",
        kind: Kind::Update,
        original: [None, Some(16_506)],
        goal: Some(500_000),
        at: &SIZES,
    },
    Op {
        name: "delete_event",
        method: "delete_event",
        kind: Kind::Update,
        original: [None, Some(122_731)],
        goal: Some(300_000),
        at: &SIZES,
    },
    Op {
        name: "list one week, 10 answered",
        method: "list_events",
        kind: Kind::Query,
        original: [Some(1_054_616), Some(109_119_765)],
        goal: Some(1_500_000),
        at: &SIZES,
    },
    Op {
        name: "get of a missing id (error)",
        method: "get_event",
        kind: Kind::Query,
        original: [None, Some(2_275)],
        goal: Some(20_000),
        at: &SIZES,
    },
    Op {
        name: "update at a stale revision (error)",
        method: "update_event",
        kind: Kind::Update,
        original: [None, None],
        goal: Some(20_000),
        at: &SIZES,
    },
    Op {
        name: "anonymous create (error)",
        method: "create_event",
        kind: Kind::Update,
        original: [None, None],
        goal: Some(20_000),
        at: &SIZES,
    },
    Op {
        name: "create with an empty title (error)",
        method: "create_event",
        kind: Kind::Update,
        original: [None, None],
        goal: Some(20_000),
        at: &SIZES,
    },
];

/// Makes the `s`-th sample of `op` on a store whose events are `ids` (the store is the same
/// size before and after: a create is undone by a delete outside the measurement).
fn sample(shard: &Shard, op: usize, s: u64, ids: &[u64], n: u64) -> Sample {
    let alice = user(1);
    let id = ids[((s * 7_919) % n) as usize]; // spread over the whole store
    let (arg, expect_ok): (Vec<u8>, bool) = match op {
        0 => (encode_one(event(n + s)).unwrap(), true),
        1 | 5 => {
            let id = if op == 1 { id } else { u64::MAX - s };
            (encode_one(id).unwrap(), op == 1)
        }
        2 | 6 => {
            let patch = EventPatch {
                title: Some(format!("Renamed {s}")),
                ..Default::default()
            };
            let current: Result<Event, Error> =
                shard.call(Kind::Query, alice, "get_event", encode_one(id).unwrap());
            let revision = current.unwrap().revision;
            let revision = if op == 2 { revision } else { revision + 7 };
            (encode_args((id, revision, patch)).unwrap(), op == 2)
        }
        3 => {
            let extra: Result<Event, Error> = shard.call(
                Kind::Update,
                alice,
                "create_event",
                encode_one(event(n + 1_000 + s)).unwrap(),
            );
            (encode_args((extra.unwrap().id, None::<u64>)).unwrap(), true)
        }
        4 => {
            let from = BASE + ((n / 2 + s * 13) % (n - 20)) * SPACING;
            let req = ListRequest {
                owner: None,
                from_ns: from,
                to_ns: from + WEEK,
                cursor: None,
                limit: None,
                include_declined: None,
            };
            (encode_one(req).unwrap(), true)
        }
        7 => (encode_one(event(n + s)).unwrap(), false),
        8 => {
            let mut input = event(n + s);
            input.title.clear();
            (encode_one(input).unwrap(), false)
        }
        _ => unreachable!(),
    };
    let caller = if op == 7 {
        Principal::anonymous()
    } else {
        alice
    };
    let o = &OPS[op];
    let arg_len = arg.len() + o.method.len();
    let measured = |shard: &Shard| (shard.instructions(), shard.last_profile());
    let (instructions, profile) = match op {
        1 | 2 | 5 | 6 => {
            let r: Result<Event, Error> = shard.call(o.kind, caller, o.method, arg);
            assert_eq!(r.is_ok(), expect_ok, "{}: {r:?}", o.name);
            measured(shard)
        }
        0 | 7 | 8 => {
            let r: Result<Event, Error> = shard.call(o.kind, caller, o.method, arg);
            assert_eq!(r.is_ok(), expect_ok, "{}: {r:?}", o.name);
            let m = measured(shard);
            if let Ok(e) = r {
                // Undo it, so every sample sees a store of `n` events.
                let _: Result<(), Error> = shard.call(
                    Kind::Update,
                    alice,
                    "delete_event",
                    encode_args((e.id, None::<u64>)).unwrap(),
                );
            }
            m
        }
        3 => {
            let r: Result<(), Error> = shard.call(o.kind, caller, o.method, arg);
            assert!(r.is_ok(), "{}: {r:?}", o.name);
            measured(shard)
        }
        4 => {
            let r: Result<EventPage, Error> = shard.call(o.kind, caller, o.method, arg);
            assert_eq!(r.unwrap().occurrences.len(), 10, "{}", o.name);
            measured(shard)
        }
        _ => unreachable!(),
    };
    Sample {
        instructions,
        arg_len,
        profile,
    }
}

struct Sample {
    instructions: u64,
    /// Method name and argument bytes: what the ingress byte fee counts.
    arg_len: usize,
    profile: BTreeMap<String, u64>,
}

fn cycles(kind: Kind, instructions: u64, arg_len: usize) -> u64 {
    match kind {
        Kind::Query => 0,
        Kind::Update => {
            INGRESS_RECEPTION_FEE
                + INGRESS_BYTE_FEE * arg_len as u64
                + UPDATE_EXECUTION_FEE
                + CYCLES_PER_INSTRUCTION * instructions
        }
    }
}

fn main() {
    let profile_wasm = profile_wasm_exists();
    // (op, size index) -> (mean instructions, mean cycles)
    let mut means = BTreeMap::new();
    // (op, size index) -> phase -> mean
    let mut phases: BTreeMap<(usize, usize), BTreeMap<String, u64>> = BTreeMap::new();
    // PER_CALL_MAX_EVENTS=1000 skips the large store (minutes of filling) for a quick look.
    let max_events: u64 = std::env::var("PER_CALL_MAX_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    // PER_CALL_OPS=0,8 measures only those rows (by their index in `OPS`).
    let only: Option<Vec<usize>> = std::env::var("PER_CALL_OPS").ok().map(|v| {
        v.split(',')
            .filter_map(|op| op.trim().parse().ok())
            .collect()
    });
    for (size_index, n) in SIZES.into_iter().enumerate() {
        if n > max_events {
            continue;
        }
        let filled = Shard::new("calendar", None);
        let ids = filled.fill(n);
        let memory = filled.shard.pic.get_stable_memory(filled.shard.id);
        let mut shards = vec![(false, filled)];
        if profile_wasm {
            shards.push((true, Shard::new("calendar_profile", Some(memory))));
        }
        for (profiled, shard) in shards {
            for (op, o) in OPS.iter().enumerate() {
                if !o.at.contains(&n) || only.as_ref().is_some_and(|only| !only.contains(&op)) {
                    continue;
                }
                let (mut instructions, mut cyc) = (0, 0);
                let mut sums: BTreeMap<String, u64> = BTreeMap::new();
                for s in 0..SAMPLES {
                    let m = sample(&shard, op, s, &ids, n);
                    instructions += m.instructions;
                    cyc += cycles(o.kind, m.instructions, m.arg_len);
                    for (label, v) in m.profile {
                        *sums.entry(label).or_insert(0) += v;
                    }
                    *sums.entry("total".into()).or_insert(0) += m.instructions;
                }
                if profiled {
                    phases.insert(
                        (op, size_index),
                        sums.into_iter().map(|(k, v)| (k, v / SAMPLES)).collect(),
                    );
                } else {
                    means.insert((op, size_index), (instructions / SAMPLES, cyc / SAMPLES));
                }
            }
        }
    }

    println!("calendar shard, instructions per call (mean of {SAMPLES}), one user's events");
    println!("ratio = original / ours (above 1: ours is cheaper)");
    println!();
    println!(
        "| operation | events | original | ours | ratio | goal | meets goal | cycles (13-node) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | :---: | ---: |");
    for (op, o) in OPS.iter().enumerate() {
        for (size_index, n) in SIZES.into_iter().enumerate() {
            let Some(&(ours, cyc)) = means.get(&(op, size_index)) else {
                continue;
            };
            let original = o.original[size_index];
            let ratio = original
                .map(|x| format!("{:.2}", x as f64 / ours as f64))
                .unwrap_or_else(|| "-".into());
            let goal = o.goal.filter(|_| n == 100_000 || op == 4);
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                o.name,
                thousands(n),
                original.map(thousands).unwrap_or_else(|| "-".into()),
                thousands(ours),
                ratio,
                goal.map(thousands).unwrap_or_else(|| "-".into()),
                goal.map(|g| if ours <= g { "yes" } else { "NO" })
                    .unwrap_or("-"),
                if o.kind == Kind::Query {
                    "0 (query)".to_string()
                } else {
                    thousands(cyc)
                },
            );
        }
    }
    let month = busy_month(&means);
    println!();
    println!(
        "a busy month (30 days x 20 creates, 20 title edits, 10 deletes; reads are queries): \
         {} cycles = {:.4} XDR (1 T cycles = 1 XDR)",
        thousands(month),
        month as f64 / 1e12
    );

    if !profile_wasm {
        println!();
        println!("(no profile table: run scripts/build-profile.sh first)");
        return;
    }
    println!();
    let profiled_size = if means.keys().any(|&(_, i)| i == 1) {
        1
    } else {
        0
    };
    println!(
        "where the instructions go (profile build, {} events, mean of {SAMPLES})",
        thousands(SIZES[profiled_size])
    );
    println!();
    println!("| operation | message entry | argument header | argument values | stored records | record decoding | validation | indexes | meta cell | rate limit | bookkeeping | other logic | reply encoding | after reply | total |");
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (op, o) in OPS.iter().enumerate() {
        let Some(p) = phases.get(&(op, profiled_size)) else {
            continue;
        };
        let get = |k: &str| p.get(k).copied().unwrap_or(0);
        let args = get("args_decoded");
        // Endpoints without arguments have no header mark: all of it is entry.
        let header = match get("args_header") {
            0 => args,
            h => h,
        };
        // The mark where argument decoding starts (none for endpoints without arguments).
        let entry = match get("entry") {
            0 => header,
            e => e,
        };
        let storage = get("storage");
        let parts = [
            "record_decoding",
            "validation",
            "indexes",
            "meta",
            "rate_limit",
            "bookkeeping",
        ]
        .map(get);
        let logic_done = get("logic_done");
        let encoded = get("reply_encoded");
        let total = get("total");
        let other = logic_done
            .saturating_sub(args)
            .saturating_sub(storage)
            .saturating_sub(parts.iter().sum());
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            o.name,
            thousands(entry),
            thousands(header - entry),
            thousands(args - header),
            thousands(storage),
            thousands(parts[0]),
            thousands(parts[1]),
            thousands(parts[2]),
            thousands(parts[3]),
            thousands(parts[4]),
            thousands(parts[5]),
            thousands(other),
            thousands(encoded.saturating_sub(logic_done)),
            thousands(total.saturating_sub(encoded)),
            thousands(total),
        );
    }
}

/// Cycles of a month of writes at the 100,000-event figures.
fn busy_month(means: &BTreeMap<(usize, usize), (u64, u64)>) -> u64 {
    let per_day = [(0, 20), (2, 20), (3, 10)]
        .into_iter()
        .map(|(op, times)| means.get(&(op, 1)).map_or(0, |m| m.1) * times)
        .sum::<u64>();
    per_day * 30
}
