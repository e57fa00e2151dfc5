//! Loads canister modules into the runtime and reports what happened: compile time, and
//! whether `canister_init` accepts an empty argument. A quick check that a new canister's
//! imports and exports are ones the runtime handles.
//!
//! `cargo run -p ic_runtime --example load -- target/canisters/*.wasm.gz`

use std::time::Instant;

use ic_runtime::{engine, PocketIc};

fn main() {
    let pic = PocketIc::new();
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let t = Instant::now();
        let raw = ic_runtime::instrument::decompress(&bytes).expect("gunzip");
        let gunzip = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        ic_runtime::instrument::instrument(&raw).expect("instrument");
        let instrument = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let loaded = engine::load(&bytes);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        match loaded {
            Err(e) => println!("{path}: does not load: {e}"),
            Ok(m) => {
                let methods = m
                    .function_exports
                    .iter()
                    .filter(|e| e.starts_with("canister_"))
                    .count();
                let id = pic.create_canister();
                let args = candid::encode_args(()).expect("empty args");
                let installed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pic.install_canister(id, bytes.clone(), args, None)
                }));
                let outcome = if installed.is_ok() {
                    "installs with ()"
                } else {
                    "init refuses ()"
                };
                println!(
                    "{path}: gunzip {gunzip:.0} ms, instrument {instrument:.0} ms, load {ms:.0} ms, {methods} canister_* exports, {outcome}"
                );
            }
        }
    }
}
