//! Benchmark (not a test): a backup of a calendar shard holding 100,000 events, and its restore
//! into a fresh shard, on the real wasm. Reports snapshot bytes and chunks, the messages the
//! backup canister sent, instructions per chunk on each side, and wall time in the runtime.
//! Run with `cargo bench -p integration_tests --bench backup` after
//! `scripts/build.sh canister_registry calendar backup_canister`.
//!
//! The shard is filled through `import_ics`, 500 events per message (its cap), which is the
//! fastest honest way in: the same validation and indexing as `create_event`, 200 messages
//! instead of 100,000.

use std::time::Instant;

use candid::{encode_args, encode_one, CandidType, Deserialize, Principal};
use ic_runtime::PocketIc;
use integration_tests::{operator, user, wasm};
use interfaces::backup::{RecoveryReport, SnapshotInfo, SnapshotPage, SnapshotQuery};
use interfaces::calendar::{CalendarConfig, CalendarMetrics, IcsImportReport};
use interfaces::registry::RegistryInit;
use interfaces::security::{GroupInfo, MemberInit};
use interfaces::snapshot::SnapshotManifest;
use interfaces::{CanisterKind, Error, Permission};
use serde_bytes::ByteBuf;

const EVENTS: u64 = 100_000;
const USERS: u64 = 20;
const BATCH: u64 = 500;

fn call<R: for<'a> Deserialize<'a> + CandidType>(
    pic: &PocketIc,
    id: Principal,
    who: Principal,
    method: &str,
    arg: Vec<u8>,
) -> R {
    let bytes = pic
        .update_call(id, who, method, arg)
        .unwrap_or_else(|e| panic!("{method}: {e:?}"));
    candid::decode_one(&bytes).unwrap()
}

fn query<R: for<'a> Deserialize<'a> + CandidType>(
    pic: &PocketIc,
    id: Principal,
    who: Principal,
    method: &str,
    arg: Vec<u8>,
) -> R {
    let bytes = pic.query_call(id, who, method, arg).unwrap();
    candid::decode_one(&bytes).unwrap()
}

fn install(pic: &PocketIc, name: &str, arg: Vec<u8>) -> Principal {
    let settings = ic_runtime::management_types::CanisterSettings {
        controllers: Some(vec![operator()]),
        ..Default::default()
    };
    let id = pic.create_canister_with_settings(Some(operator()), Some(settings));
    pic.install_canister(id, wasm(name), arg, Some(operator()));
    id
}

fn ics(owner: u64, from: u64) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n");
    for i in from..from + BATCH {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let hour = 6 + i % 12;
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:bench-{owner}-{i}\r\nDTSTART:2026{month:02}{day:02}T{hour:02}0000Z\r\nDTEND:2026{month:02}{day:02}T{hour:02}3000Z\r\nSUMMARY:Lesson {i} with a student\r\nDESCRIPTION:Bench event {i}\\, a realistic few dozen bytes of text.\r\nLOCATION:Room {r}\r\nEND:VEVENT\r\n",
            r = i % 40
        ));
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

fn snapshots(pic: &PocketIc, backup: Principal, canister: Principal) -> Vec<SnapshotInfo> {
    let page: Result<SnapshotPage, Error> = query(
        pic,
        backup,
        operator(),
        "list_snapshots",
        encode_one(SnapshotQuery {
            canister: Some(canister),
            before: None,
            limit: None,
        })
        .unwrap(),
    );
    page.unwrap().snapshots
}

fn main() {
    let pic = PocketIc::new();
    let registry = install(
        &pic,
        "canister_registry",
        encode_args((Some(RegistryInit::default()),)).unwrap(),
    );
    let member = encode_args((Some(MemberInit { registry }),)).unwrap();
    let shard = install(&pic, "calendar", member.clone());
    let backup = install(&pic, "backup_canister", member.clone());
    let fresh = install(&pic, "calendar", member.clone());
    let r: Result<GroupInfo, Error> = call(
        &pic,
        registry,
        operator(),
        "register_canister_group",
        encode_one("bench").unwrap(),
    );
    r.unwrap();
    for (id, kind) in [
        (shard, CanisterKind::Calendar),
        (backup, CanisterKind::BackupCanister),
    ] {
        let r: Result<GroupInfo, Error> = call(
            &pic,
            registry,
            operator(),
            "add_canister_to_group",
            encode_args(("bench", id, kind, None::<String>)).unwrap(),
        );
        r.unwrap();
    }
    let r: Result<(), Error> = call(
        &pic,
        registry,
        operator(),
        "add_admin",
        encode_args((backup, vec![Permission::ManageGroups])).unwrap(),
    );
    r.unwrap();
    for _ in 0..10 {
        pic.tick();
    }
    let r: Result<(), Error> = call(
        &pic,
        shard,
        operator(),
        "configure",
        encode_one(CalendarConfig {
            max_events_per_user: 200_000,
            writes_per_minute: 10_000_000,
        })
        .unwrap(),
    );
    r.unwrap();

    let started = Instant::now();
    let per_user = EVENTS / USERS;
    let mut fill_instructions = 0u64;
    for u in 0..USERS {
        let owner = user(10 + u as u8);
        let mut from = 0;
        while from < per_user {
            let r: Result<IcsImportReport, Error> = call(
                &pic,
                shard,
                owner,
                "import_ics",
                encode_one(ics(u, from)).unwrap(),
            );
            assert_eq!(r.unwrap().created as u64, BATCH);
            fill_instructions += pic.canister_last_instructions(shard);
            from += BATCH;
        }
    }
    let fill_secs = started.elapsed().as_secs_f64();
    let metrics: CalendarMetrics = query(
        &pic,
        shard,
        user(1),
        "get_metrics",
        encode_args(()).unwrap(),
    );
    assert_eq!(metrics.events, EVENTS);

    // The snapshot, as the timer or an admin takes it.
    let calls_before = pic.canister_calls_made(backup);
    let started = Instant::now();
    let id: Result<u64, Error> = call(
        &pic,
        backup,
        operator(),
        "emergency_backup",
        encode_args((shard, CanisterKind::Calendar)).unwrap(),
    );
    let id = id.unwrap();
    let snapshot_secs = started.elapsed().as_secs_f64();
    let messages = pic.canister_calls_made(backup) - calls_before;
    let stats: Result<interfaces::backup::BackupStats, Error> = query(
        &pic,
        backup,
        operator(),
        "get_backup_stats",
        encode_args(()).unwrap(),
    );
    let stats = stats.unwrap();
    let info = snapshots(&pic, backup, shard)
        .into_iter()
        .find(|s| s.id == id)
        .unwrap();

    // Per-chunk instructions on the source, measured as the backup canister (with its key).
    let key = ByteBuf::from(held_key(&pic, backup));
    let manifest: Result<SnapshotManifest, Error> = call(
        &pic,
        shard,
        backup,
        "export_begin",
        encode_one(key.clone()).unwrap(),
    );
    let manifest = manifest.unwrap();
    let export_begin = pic.canister_last_instructions(shard);
    let mut export_chunk = 0u64;
    for i in 0..manifest.chunk_count {
        let _: Result<ByteBuf, Error> = query(
            &pic,
            shard,
            backup,
            "export_chunk",
            encode_args((key.clone(), manifest.export_id, i)).unwrap(),
        );
        export_chunk += pic.canister_last_instructions(shard);
    }

    let started = Instant::now();
    let verify: Result<interfaces::backup::VerifyReport, Error> = call(
        &pic,
        backup,
        operator(),
        "verify_snapshot",
        encode_one(id).unwrap(),
    );
    assert!(verify.unwrap().ok);
    let verify_secs = started.elapsed().as_secs_f64();
    let verify_instructions = pic.canister_last_instructions(backup);

    // Restore into a fresh shard (it joins the group first).
    let calls_before = pic.canister_calls_made(backup);
    let started = Instant::now();
    let report: Result<RecoveryReport, Error> = call(
        &pic,
        backup,
        operator(),
        "execute_recovery",
        encode_args((shard, id, fresh)).unwrap(),
    );
    let restore_secs = started.elapsed().as_secs_f64();
    let report = report.unwrap();
    assert!(report.restored, "{report:?}");
    let restore_messages = pic.canister_calls_made(backup) - calls_before;
    let restored: CalendarMetrics = query(
        &pic,
        fresh,
        user(1),
        "get_metrics",
        encode_args(()).unwrap(),
    );
    assert_eq!(restored.events, EVENTS);
    let import_methods = |name: &str| {
        restored
            .methods
            .iter()
            .find(|m| m.method == name)
            .map(|m| {
                (
                    m.calls,
                    m.instructions_total / m.calls.max(1),
                    m.instructions_max,
                )
            })
            .unwrap_or_default()
    };
    let (chunk_calls, chunk_mean, chunk_max) = import_methods("import_chunk");
    let (_, commit, _) = import_methods("import_commit");

    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    println!("backup of one calendar shard with {EVENTS} events ({USERS} users), real wasm");
    println!();
    println!("| measure | value |");
    println!("| --- | ---: |");
    println!(
        "| fill: import_ics messages of {BATCH} events | {} |",
        EVENTS / BATCH
    );
    println!("| fill: wall time | {fill_secs:.1} s |");
    println!(
        "| fill: instructions per import_ics (mean) | {} |",
        fill_instructions / (EVENTS / BATCH)
    );
    println!(
        "| snapshot bytes | {} ({:.1} MiB) |",
        info.total_bytes,
        mib(info.total_bytes)
    );
    println!(
        "| chunks (bytes each) | {} ({}) |",
        info.chunk_count, info.chunk_bytes
    );
    println!("| messages the backup canister sent for the snapshot | {messages} |");
    println!("| source: export_begin instructions (copy + SHA-256) | {export_begin} |");
    println!(
        "| backup: instructions per pulled chunk (receive, hash, store; last / max) | {} / {} |",
        stats.last_chunk_instructions, stats.max_chunk_instructions
    );
    println!(
        "| source: export_chunk instructions per chunk (mean) | {} |",
        export_chunk / u64::from(manifest.chunk_count.max(1))
    );
    println!("| snapshot wall time (emergency_backup) | {snapshot_secs:.2} s |");
    println!("| verify_snapshot instructions (rehash stored chunks) | {verify_instructions} |");
    println!("| verify_snapshot wall time | {verify_secs:.2} s |");
    println!("| restore: messages the backup canister sent | {restore_messages} |");
    println!("| restore: import_chunk calls, instructions per chunk (mean / max) | {chunk_calls}, {chunk_mean} / {chunk_max} |");
    println!("| restore: import_commit instructions (verify + write + reopen) | {commit} |");
    println!("| restore wall time (execute_recovery into a fresh shard) | {restore_secs:.2} s |");
}

/// The backup canister's access key, read from its stable memory (the suite never returns it).
fn held_key(pic: &PocketIc, member: Principal) -> Vec<u8> {
    integration_tests::key_in_stable_memory(&pic.get_stable_memory(member))
        .expect("the backup canister holds its key")
}
