//! Heap-size benchmark (not a test): `cargo bench -p ic_runtime --bench heap_rollback`.
//! Prints per-message wall time on canisters whose heaps are 1 MB, 100 MB and 1 GB (every page
//! resident), each message writing 8 bytes: committed updates, rolled-back queries and
//! trapping updates. Each figure is the median of 15 batches (the machine is shared). Before the dirty-page journal, each of them copied the whole heap.
//! Also prints the instructions charged for a 1 MiB stable-memory write (the IC's cost table:
//! 20 + 1 per byte = 1,048,596).
//!
//! The canister is written here in WAT, so nothing needs building first.

use std::time::{Duration, Instant};

use candid::Principal;
use ic_runtime::PocketIc;

const WASM_PAGE: u64 = 64 * 1024;

/// A canister with a heap of `pages` wasm pages: `fill` writes every 4 KiB page once (so the
/// heap is resident, as a real canister's is), `write8` stores 8 bytes at a moving offset,
/// `boom` does the same and traps, `stable_1mib` writes 1 MiB to stable memory.
fn canister(pages: u64) -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "trap" (func $trap (param i32 i32)))
  (import "ic0" "stable64_size" (func $stable_size (result i64)))
  (import "ic0" "stable64_grow" (func $stable_grow (param i64) (result i64)))
  (import "ic0" "stable64_write" (func $stable_write (param i64 i64 i64)))
  (import "ic0" "performance_counter" (func $perf (param i32) (result i64)))
  (memory (export "memory") {pages})
  (global $n (mut i32) (i32.const 0))
  (func $store8
    ;; a different page each message, cycling through the heap
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i64.store
      (i32.rem_u (i32.mul (global.get $n) (i32.const 4104)) (i32.const {bytes_minus_8}))
      (i64.extend_i32_u (global.get $n))))
  (func (export "canister_update fill")
    (local $a i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (i32.const {bytes_minus_8})))
        (i64.store (local.get $a) (i64.const 1))
        (local.set $a (i32.add (local.get $a) (i32.const 4096)))
        (br $next)))
    (call $reply))
  (func (export "canister_update write8") (call $store8) (call $reply))
  (func (export "canister_query read_write8") (call $store8) (call $reply))
  (func (export "canister_update boom") (call $store8) (call $trap (i32.const 0) (i32.const 0)))
  (func (export "canister_update stable_1mib")
    (if (i64.eqz (call $stable_size)) (then (drop (call $stable_grow (i64.const 16)))))
    (call $stable_write (i64.const 0) (i64.const 0) (i64.const 1048576))
    (i64.store (i32.const 0) (call $perf (i32.const 0)))
    (call $append (i32.const 0) (i32.const 8))
    (call $reply))
)"#,
        bytes_minus_8 = pages * WASM_PAGE - 8
    );
    wat::parse_str(wat).expect("valid WAT")
}

/// Per-message time: the median over `BATCHES` batches of `n / BATCHES` messages, so that a
/// burst of load from other processes on the machine does not decide the result.
fn per_message(n: u32, mut run: impl FnMut()) -> Duration {
    const BATCHES: u32 = 15;
    let per_batch = (n / BATCHES).max(1);
    let mut times: Vec<Duration> = (0..BATCHES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_batch {
                run();
            }
            t.elapsed() / per_batch
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn micros(d: Duration) -> String {
    format!("{:>10.1} µs", d.as_secs_f64() * 1e6)
}

fn main() {
    let who = Principal::anonymous();
    println!(
        "{:<10} {:>13} {:>13} {:>13} {:>13}",
        "heap", "update", "query", "trap", "vs 1 MB (upd)"
    );
    println!("{}", "-".repeat(68));
    let mut base = None;
    // Fewer messages on big heaps: copying the heap per message (the old rollback) would take
    // hours at 2,000 messages of 1 GB.
    for (label, pages, n) in [
        ("1 MB", 16u64, 2_000),
        ("100 MB", 1600, 400),
        ("1 GB", 16384, 100),
    ] {
        let pic = PocketIc::new();
        let id = pic.create_canister();
        pic.install_canister(id, canister(pages), vec![], None);
        pic.update_call(id, who, "fill", vec![]).expect("fill");
        for _ in 0..20 {
            pic.update_call(id, who, "write8", vec![]).expect("warm up");
        }
        let update = per_message(n, || {
            pic.update_call(id, who, "write8", vec![]).expect("update");
        });
        let query = per_message(n, || {
            pic.query_call(id, who, "read_write8", vec![])
                .expect("query");
        });
        let trap = per_message(n / 4, || {
            pic.update_call(id, who, "boom", vec![]).expect_err("traps");
        });
        let ratio = update.as_secs_f64() / *base.get_or_insert(update.as_secs_f64());
        println!(
            "{label:<10} {} {} {} {:>12.2}x",
            micros(update),
            micros(query),
            micros(trap),
            ratio
        );
    }

    let pic = PocketIc::new();
    let id = pic.create_canister();
    pic.install_canister(id, canister(16), vec![], None);
    pic.update_call(id, who, "stable_1mib", vec![])
        .expect("grow");
    let reply = pic
        .update_call(id, who, "stable_1mib", vec![])
        .expect("write");
    let counted = u64::from_le_bytes(reply[..8].try_into().expect("8 bytes"));
    println!();
    println!(
        "stable64_write of 1 MiB: {counted} instructions up to the call's return \
         (IC table: 20 + 1,048,576 = 1,048,596 for the call itself)"
    );
}
