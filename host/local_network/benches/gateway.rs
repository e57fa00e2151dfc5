//! Asset requests per second through the embedded network's HTTP gateway with response
//! verification on (the web app's largest script near 100 KB, uncompressed, from the frontend
//! canister), one at a time and 8 in flight, against the same `http_request` made as a direct
//! ic-agent query; the difference in mean latency is what the gateway adds (a second HTTP hop,
//! Candid, and certificate verification). Prints a table; nothing is asserted.
//! Run: `cargo bench -p local_network --bench gateway` (needs `scripts/build.sh`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use candid::Principal;
use common::{agent, identity, Server, TempDir};
use ic_agent::{Agent, Identity};
use ic_http_certification::HttpRequest;
use interfaces::frontend::FrontendInit;
use suite_client::manage::{self, Mode};
use suite_client::registry::default_effective_id;

const REQUESTS: usize = 400;
const IN_FLIGHT: usize = 8;
const TARGET_BYTES: u64 = 100 * 1024;

/// The built app's `_app/immutable` script closest to 100 KB, as a URL path, and its size.
fn asset_near_100kb() -> (String, u64) {
    let root = common::repo_root().join("frontend/build");
    let mut best: Option<(String, u64)> = None;
    let mut stack = vec![root.join("_app/immutable")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("run scripts/build.sh first") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "js") {
                let size = std::fs::metadata(&path).unwrap().len();
                let rel = format!("/{}", path.strip_prefix(&root).unwrap().display());
                if best
                    .as_ref()
                    .is_none_or(|(_, b)| size.abs_diff(TARGET_BYTES) < b.abs_diff(TARGET_BYTES))
                {
                    best = Some((rel, size));
                }
            }
        }
    }
    best.expect("the app has scripts")
}

async fn through_gateway(client: &reqwest::Client, url: &str, host: &str) {
    let r = client
        .get(url)
        .header("host", host)
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-ic-response-verification"));
    r.bytes().await.unwrap();
}

async fn direct_query(agent: &Agent, canister: Principal, path: &str) {
    let request = HttpRequest::get(path.to_string())
        .with_headers(vec![("accept-encoding".into(), "identity".into())])
        .build();
    agent
        .query(&canister, "http_request")
        .with_arg(candid::encode_one(request).unwrap())
        .call()
        .await
        .unwrap();
}

fn main() {
    let dir = TempDir::new("bench-gateway");
    let server = Server::start(&dir.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (path, size) = asset_near_100kb();
    let mut rows = Vec::new();
    rt.block_on(async {
        let operator = identity(1);
        let me = operator.sender().unwrap();
        let agent = agent(&server.url, operator).await;
        let wasm = std::fs::read(common::wasm_dir().join("frontend.wasm.gz")).unwrap();
        let init = FrontendInit {
            canister_ids: vec![],
            root_key: Some(agent.read_root_key()),
        };
        let frontend = manage::create_canister(&agent, default_effective_id(), vec![me], None)
            .await
            .unwrap();
        let arg = candid::encode_args((Some(init),)).unwrap();
        manage::install(&agent, frontend, &wasm, arg, Mode::Install)
            .await
            .unwrap();
        let client = reqwest::Client::builder().no_gzip().build().unwrap();
        let url = format!("{}{path}", server.url);
        let host = format!("{frontend}.localhost:{}", server.port);
        // Warm up both paths (module cache, agent's subnet keys).
        through_gateway(&client, &url, &host).await;
        direct_query(&agent, frontend, &path).await;
        for in_flight in [1, IN_FLIGHT] {
            for via_gateway in [true, false] {
                let started = Instant::now();
                let tasks: Vec<_> = (0..in_flight)
                    .map(|_| {
                        let (client, url, host, agent, path) = (
                            client.clone(),
                            url.clone(),
                            host.clone(),
                            agent.clone(),
                            path.clone(),
                        );
                        tokio::spawn(async move {
                            for _ in 0..REQUESTS / in_flight {
                                if via_gateway {
                                    through_gateway(&client, &url, &host).await;
                                } else {
                                    direct_query(&agent, frontend, &path).await;
                                }
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                rows.push((via_gateway, in_flight, started.elapsed()));
            }
        }
    });
    println!("\nasset {path}: {size} bytes, identity encoding, {REQUESTS} requests per row\n");
    println!(
        "{:<34} {:>9} {:>11} {:>15}",
        "path", "in flight", "requests/s", "mean latency ms"
    );
    let mean = |t: Duration, in_flight: usize| {
        t.as_secs_f64() * 1000.0 / REQUESTS as f64 * in_flight as f64
    };
    for (via_gateway, in_flight, t) in &rows {
        println!(
            "{:<34} {:>9} {:>11.0} {:>15.2}",
            if *via_gateway {
                "gateway, verification on"
            } else {
                "direct http_request query (agent)"
            },
            in_flight,
            REQUESTS as f64 / t.as_secs_f64(),
            mean(*t, *in_flight)
        );
    }
    for in_flight in [1, IN_FLIGHT] {
        let get = |g: bool| {
            rows.iter()
                .find(|r| r.0 == g && r.1 == in_flight)
                .unwrap()
                .2
        };
        println!(
            "added by the gateway at {in_flight} in flight: {:.2} ms per request ({:.2}x the direct query)",
            mean(get(true), in_flight) - mean(get(false), in_flight),
            get(true).as_secs_f64() / get(false).as_secs_f64()
        );
    }
}
