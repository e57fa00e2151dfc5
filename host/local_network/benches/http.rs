//! Calls per second through the embedded network's HTTP interface, with ic-agent as the client:
//! a query (`health_check`, node-signed and verified) and an update (`register_canister_group`,
//! a v4 call answered with a BLS-signed certificate), one at a time and with several in flight;
//! plus the time the server takes to start fresh and to start again with a canister restored.
//! Prints a table; nothing is asserted. Run: `cargo bench -p local_network`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use candid::Principal;
use common::{agent, identity, query, update, Server, TempDir};
use ic_agent::Agent;
use interfaces::security::GroupInfo;
use interfaces::{CanisterKind, Error, HealthReport};
use suite_client::manage::{self, Mode};
use suite_client::registry::{default_effective_id, init_arg};

const QUERIES: usize = 400;
const UPDATES: usize = 200;
const IN_FLIGHT: usize = 8;

/// `total` calls spread over `in_flight` tasks on the multi-threaded runtime (each task waits
/// for its call before making the next).
async fn run(
    agent: &Agent,
    registry: Principal,
    update_calls: bool,
    total: usize,
    in_flight: usize,
    tag: &str,
) -> Duration {
    let started = Instant::now();
    let per_task = total / in_flight;
    let tasks: Vec<_> = (0..in_flight)
        .map(|t| {
            let agent = agent.clone();
            let tag = tag.to_string();
            tokio::spawn(async move {
                for i in 0..per_task {
                    if update_calls {
                        let name = format!("bench-{tag}-{t}-{i}");
                        let (r,): (Result<GroupInfo, Error>,) =
                            update(&agent, registry, "register_canister_group", (name,))
                                .await
                                .unwrap();
                        r.unwrap();
                    } else {
                        let (_,): (HealthReport,) =
                            query(&agent, registry, "health_check", ()).await.unwrap();
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

fn main() {
    let dir = TempDir::new("net-bench");
    let server = Server::start(&dir.0);
    let fresh_start = server.started_in;
    // Two workers: the client's signing and certificate checks (BLS, ~ms each) run in
    // parallel like separate clients would, on the same 2 cores as the server.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let operator = identity(1);
    let me = ic_agent::Identity::sender(&operator).unwrap();
    let (registry, rows) = rt.block_on(async {
        let agent = agent(&server.url, identity(1)).await;
        let wasm = std::fs::read(common::wasm_dir().join("canister_registry.wasm.gz"))
            .expect("run scripts/build.sh");
        let started = Instant::now();
        let registry = manage::create_canister(&agent, default_effective_id(), vec![me], None)
            .await
            .unwrap();
        let arg = init_arg(CanisterKind::CanisterRegistry, None).unwrap();
        manage::install(&agent, registry, &wasm, arg, Mode::Install)
            .await
            .unwrap();
        let install = started.elapsed();
        // Warm up: subnet keys fetched, connections open.
        run(&agent, registry, false, 20, 1, "warm").await;
        let mut rows = vec![("create + install registry (HTTP)", 1, 1, install, None)];
        for (label, is_update, total) in [
            ("query health_check", false, QUERIES),
            ("update register_canister_group", true, UPDATES),
        ] {
            for in_flight in [1, IN_FLIGHT] {
                let cpu = server.cpu_time();
                let t = run(
                    &agent,
                    registry,
                    is_update,
                    total,
                    in_flight,
                    &format!("{in_flight}"),
                )
                .await;
                rows.push((label, in_flight, total, t, Some(server.cpu_time() - cpu)));
            }
        }
        (registry, rows)
    });
    let _ = registry;
    server.stop();
    let restarted = Server::start(&dir.0);
    let restart = restarted.started_in;
    restarted.stop();

    println!("\nlocal network over HTTP (ic-agent 0.49 client, release build, this machine)\n");
    println!(
        "{:<34} {:>9} {:>7} {:>9} {:>10} {:>11} {:>15}",
        "measurement", "in flight", "calls", "seconds", "calls/s", "ms/call", "server CPU ms"
    );
    for (label, in_flight, calls, t, cpu) in rows {
        let s = t.as_secs_f64();
        // Server CPU per call is what the machine's load does not distort: 1000 / it is the
        // calls per second one free core would serve.
        let cpu = cpu.map_or("-".into(), |c: Duration| {
            format!("{:.2}/call", c.as_secs_f64() * 1000.0 / calls as f64)
        });
        println!(
            "{:<34} {:>9} {:>7} {:>9.2} {:>10.0} {:>11.2} {:>15}",
            label,
            in_flight,
            calls,
            s,
            calls as f64 / s,
            s * 1000.0 / calls as f64 * in_flight as f64,
            cpu
        );
    }
    println!(
        "{:<34} {:>9} {:>7} {:>9.2}",
        "start, fresh state dir",
        "-",
        "-",
        fresh_start.as_secs_f64()
    );
    println!(
        "{:<34} {:>9} {:>7} {:>9.2}",
        "start again, registry restored",
        "-",
        "-",
        restart.as_secs_f64()
    );
}
