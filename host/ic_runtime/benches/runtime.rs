//! Runtime benchmark (not a test): `cargo bench -p ic_runtime`. Prints compile time per
//! module (cold and cached), and update, inter-canister round-trip and query rates on the
//! fixture canisters. Needs `scripts/build.sh rt_store rt_caller rt_composite` first.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use candid::{encode_args, encode_one};
use ic_runtime::{engine, PocketIc};

fn wasm(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/canisters")
        .join(format!("{name}.wasm.gz"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): build the fixtures first",
            path.display()
        )
    })
}

fn rate(n: u32, d: Duration) -> String {
    format!(
        "{:>10.0} /s   ({:.3} ms each, n = {n})",
        n as f64 / d.as_secs_f64(),
        d.as_secs_f64() * 1e3 / n as f64
    )
}

fn main() {
    println!("{:<44} result", "measurement");
    println!("{}", "-".repeat(90));
    for name in ["rt_store", "rt_caller", "rt_composite"] {
        let bytes = wasm(name);
        let t = Instant::now();
        engine::compile_uncached(&bytes).expect("compiles");
        let cold = t.elapsed();
        engine::load(&bytes).expect("compiles"); // fill the cache
        let t = Instant::now();
        engine::load(&bytes).expect("cached");
        let cached = t.elapsed();
        println!(
            "{:<44} cold {:>8.1} ms   cached {:>8.3} ms   ({} KB gz)",
            format!("compile {name}"),
            cold.as_secs_f64() * 1e3,
            cached.as_secs_f64() * 1e3,
            bytes.len() / 1024
        );
    }

    let pic = PocketIc::new();
    let store = pic.create_canister();
    pic.install_canister(
        store,
        wasm("rt_store"),
        encode_args((None::<String>,)).unwrap(),
        None,
    );
    let caller = pic.create_canister();
    pic.install_canister(caller, wasm("rt_caller"), encode_args(()).unwrap(), None);
    pic.tick();
    let sender = candid::Principal::from_slice(&[7; 29]);
    let no_args = encode_args(()).unwrap();

    // Warm up each path once.
    pic.update_call(store, sender, "inc", no_args.clone())
        .unwrap();
    let n = 3_000;
    let t = Instant::now();
    for _ in 0..n {
        pic.update_call(store, sender, "inc", no_args.clone())
            .unwrap();
    }
    println!(
        "{:<44} {}",
        "update call (ingress, inspect + inc)",
        rate(n, t.elapsed())
    );

    let arg = encode_one(store).unwrap();
    pic.update_call(caller, sender, "call_inc", arg.clone())
        .unwrap();
    let n = 2_000;
    let t = Instant::now();
    for _ in 0..n {
        pic.update_call(caller, sender, "call_inc", arg.clone())
            .unwrap();
    }
    println!(
        "{:<44} {}",
        "inter-canister round trip (ingress + call)",
        rate(n, t.elapsed())
    );

    let n = 5_000;
    let t = Instant::now();
    for _ in 0..n {
        pic.query_call(store, sender, "counter", no_args.clone())
            .unwrap();
    }
    println!("{:<44} {}", "query call", rate(n, t.elapsed()));

    // Instructions of single messages (system calls charged as the IC charges them).
    pic.update_call(store, sender, "inc", no_args.clone())
        .unwrap();
    let inc = pic.canister_last_instructions(store);
    let put_arg = encode_args(("key", "x".repeat(1000))).unwrap();
    pic.update_call(store, sender, "put", put_arg).unwrap();
    let put = pic.canister_last_instructions(store);
    pic.query_call(store, sender, "get", encode_one("key").unwrap())
        .unwrap();
    let get = pic.canister_last_instructions(store);
    println!(
        "{:<44} inc {inc}   put (1 KB value) {put}   get {get}",
        "instructions per message (rt_store)"
    );

    let n = 200;
    let t = Instant::now();
    for _ in 0..n {
        let id = pic.create_canister();
        pic.install_canister(
            id,
            wasm("rt_store"),
            encode_args((None::<String>,)).unwrap(),
            None,
        );
    }
    println!(
        "{:<44} {}",
        "create + install rt_store (cached module)",
        rate(n, t.elapsed())
    );
}
