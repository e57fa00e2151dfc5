//! `local-network`: the calendar suite on this machine without dfx.
//!
//! `local-network deploy [--wasm-dir DIR]` deploys the six canisters into the in-process IC
//! runtime, configures their group through the registry, verifies health and an authorized group
//! call, prints a table, and exits non-zero unless everything verified. It does not yet leave a
//! network running: serving the IC HTTP interface to dfx, the icp CLI and agent-js is the next
//! step of this crate.

use std::path::PathBuf;
use std::process::ExitCode;

use candid::Principal;
use ic_runtime::PocketIc;
use local_network::deploy;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut wasm_dir = PathBuf::from("target/canisters");
    match args.as_slice() {
        [cmd] if cmd == "deploy" => {}
        [cmd, flag, dir] if cmd == "deploy" && flag == "--wasm-dir" => {
            wasm_dir = PathBuf::from(dir)
        }
        _ => {
            eprintln!("usage: local-network deploy [--wasm-dir DIR]");
            return ExitCode::from(2);
        }
    }
    // A fixed operator identity: the controller of every canister of this deployment.
    let operator = Principal::self_authenticating(b"icp-calendar local operator");
    let pic = PocketIc::new();
    let started = std::time::Instant::now();
    let deployment = match deploy::deploy(&pic, &wasm_dir, operator) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("deploy failed: {e}");
            return ExitCode::FAILURE;
        }
    };

    println!(
        "{:<18} {:<28} {:<8} {:>10} {:>10} {:<14}",
        "canister", "id", "health", "heap KiB", "stable KiB", "module hash"
    );
    for c in &deployment.canisters {
        match &c.health {
            Ok(h) => println!(
                "{:<18} {:<28} {:<8} {:>10} {:>10} {:<14}",
                c.kind.name(),
                c.id.to_text(),
                if h.module_hash.is_some() {
                    "ok"
                } else {
                    "no hash"
                },
                h.heap_memory_bytes / 1024,
                h.stable_memory_bytes / 1024,
                h.module_hash
                    .as_ref()
                    .map(|m| hex(&m[..6]))
                    .unwrap_or_else(|| "-".into()),
            ),
            Err(e) => println!("{:<18} {:<28} FAILED   {e}", c.kind.name(), c.id.to_text()),
        }
    }
    match &deployment.group_call {
        Ok(p) => println!(
            "group call calendar -> notification: ok (group {}, version {}, {} instructions)",
            p.group_id, p.group_version, p.instructions
        ),
        Err(e) => println!("group call calendar -> notification: FAILED: {e}"),
    }
    println!(
        "deployed and verified in {:.1} s (in-process runtime; nothing stays running)",
        started.elapsed().as_secs_f64()
    );
    if deployment.healthy() {
        ExitCode::SUCCESS
    } else {
        eprintln!("the suite is not healthy");
        ExitCode::FAILURE
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
