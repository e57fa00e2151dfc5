//! `local-network`: the calendar suite on this machine without dfx.
//!
//! - `local-network serve --state-dir DIR [--port P] [--save-every SECS] [--allow-origin O]...`
//!   runs the embedded local network: the in-process IC runtime on the wall clock, served over
//!   the IC HTTP interface on 127.0.0.1 (port 0 = any free port), with an HTTP gateway for
//!   `http://<canister-id>.localhost:<port>/`. `--allow-origin` lets one more browser origin (a
//!   `vite dev` server, say) call the API. When it listens it writes
//!   `DIR/network.json` (`url`, `port`, `root_key`, `pid`); SIGINT/SIGTERM save and exit.
//! - `local-network deploy [--wasm-dir DIR]` deploys the six canisters into a throwaway
//!   in-process runtime, configures their group, verifies, prints a table, and exits non-zero
//!   unless everything verified (nothing stays running).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use candid::Principal;
use ic_runtime::PocketIc;
use local_network::deploy;
use local_network::gateway::Gateway;
use local_network::network::{Config, Network};
use local_network::server::AllowedOrigins;

const USAGE: &str = "usage:
  local-network serve --state-dir DIR [--port P] [--save-every SECS] [--allow-origin ORIGIN]...
  local-network deploy [--wasm-dir DIR]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("deploy") => deploy_cmd(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `--name value` pairs; anything else is a usage error.
fn flags(args: &[String], known: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(name) = it.next() {
        if !known.contains(&name.as_str()) {
            return Err(format!("unknown argument {name}"));
        }
        let value = it.next().ok_or(format!("{name} needs a value"))?;
        out.push((name.clone(), value.clone()));
    }
    Ok(out)
}

fn serve(args: &[String]) -> ExitCode {
    let parsed = match flags(
        args,
        &["--state-dir", "--port", "--save-every", "--allow-origin"],
    ) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let get = |n: &str| parsed.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let Some(state_dir) = get("--state-dir").map(PathBuf::from) else {
        eprintln!("--state-dir is required\n{USAGE}");
        return ExitCode::from(2);
    };
    let port: u16 = match get("--port").map(|p| p.parse()).transpose() {
        Ok(p) => p.unwrap_or(4943),
        Err(e) => {
            eprintln!("--port: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = Config::new(&state_dir);
    if let Some(secs) = get("--save-every") {
        match secs.parse::<u64>() {
            Ok(s) => config.save_every = Duration::from_secs(s.max(1)),
            Err(e) => {
                eprintln!("--save-every: {e}");
                return ExitCode::from(2);
            }
        }
    }
    // Compiled canister modules are cached next to the state, so a restart loads them in
    // milliseconds. Set before any thread starts (the runtime reads it once).
    if std::env::var_os("IC_RUNTIME_MODULE_CACHE").is_none() {
        std::env::set_var("IC_RUNTIME_MODULE_CACHE", state_dir.join("module-cache"));
    }
    let extra_origins: Vec<String> = parsed
        .iter()
        .filter(|(k, _)| k == "--allow-origin")
        .map(|(_, v)| v.clone())
        .collect();
    match run_server(config, port, extra_origins) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-network: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_server(config: Config, port: u16, extra_origins: Vec<String>) -> Result<(), String> {
    let started = Instant::now();
    let state_dir = config.state_dir.clone();
    let net = Network::open(config)?;
    let canisters = net.pic.canister_ids().len();
    let driver = net.spawn_driver();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio: {e}"))?;
    let info_path = state_dir.join("network.json");
    let served = runtime.block_on(async {
        // Loopback only: caller signatures are not verified (README.md).
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let url = format!("http://127.0.0.1:{}", addr.port());
        let info = format!(
            "{{\"url\":\"{url}\",\"port\":{},\"root_key\":\"{}\",\"subnet_id\":\"{}\",\"pid\":{}}}\n",
            addr.port(),
            net.keys.root_key_hex(),
            net.keys.subnet_id,
            std::process::id()
        );
        std::fs::write(&info_path, info).map_err(|e| format!("{}: {e}", info_path.display()))?;
        println!(
            "local-network listening on {url} ({} {canisters} canisters in {:.2} s; state in {})",
            if net.restored { "restored" } else { "fresh network," },
            started.elapsed().as_secs_f64(),
            state_dir.display()
        );
        println!("root key: {}", net.keys.root_key_hex());
        let gateway = Gateway::new(&url, net.keys.root_key_der.clone())?;
        let origins = AllowedOrigins {
            port: addr.port(),
            extra: extra_origins,
        };
        let app = local_network::server::router(net.clone(), Arc::new(gateway), origins);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| format!("server: {e}"))
    });
    let _ = std::fs::remove_file(&info_path);
    let saved = net.shutdown(driver);
    runtime.shutdown_timeout(Duration::from_secs(1));
    served?;
    saved?;
    println!("local-network: state saved in {}", state_dir.display());
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn deploy_cmd(args: &[String]) -> ExitCode {
    let mut wasm_dir = PathBuf::from("target/canisters");
    match args {
        [] => {}
        [flag, dir] if flag == "--wasm-dir" => wasm_dir = PathBuf::from(dir),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    // A fixed operator identity: the controller of every canister of this deployment.
    let operator = Principal::self_authenticating(b"icp-calendar local operator");
    let pic = PocketIc::new();
    let started = Instant::now();
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
