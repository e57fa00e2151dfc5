//! The embedded local network end to end, through real clients: the suite is deployed over
//! HTTP (management canister: create, install, status), then called with ic-agent (Rust), the
//! `icp` CLI and agent-js in Node; the network is stopped and started again and the registry's
//! groups are still there. Also: what the network refuses (a sender that does not match its
//! key, an expired request, a forged root key).
//!
//! Needs `scripts/build.sh` (target/canisters) and `scripts/setup.sh` (.tools: icp, agent-js).

mod common;

use std::process::Command;

use candid::Principal;
use common::{agent, identity, post, query, tokio, update, Server, TempDir};
use ic_agent::Agent;
use ic_agent::Identity;
use interfaces::load_balancer::Strategy;
use interfaces::registry::WasmInfo;
use interfaces::security::GroupInfo;
use interfaces::{CanisterKind, Error, HealthReport};
use suite_client::manage;
use suite_client::registry::{deploy_suite, ServiceConfig, SuiteDeployment, GROUP_ID};

fn icp(server: &Server, home: &std::path::Path, args: &[&str]) -> (bool, String) {
    let bin = common::tools_dir().join("node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/setup.sh",
        bin.display()
    );
    let out = Command::new(bin)
        .args(args)
        .args(["-n", &server.url, "-k", "fetch"])
        .env("HOME", home)
        .env("DO_NOT_TRACK", "1")
        .current_dir(home)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn node_agent_js(server: &Server, registry: Principal, group: &str) -> serde_json::Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/agent_js.cjs");
    let out = Command::new("node")
        .arg(script)
        .args([
            server.url.as_str(),
            &registry.to_text(),
            group,
            &"01".repeat(32),
        ])
        .env("ICP_TOOLS_DIR", common::tools_dir())
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "agent-js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON line")
}

#[test]
fn the_suite_over_http_with_three_clients_survives_a_restart() {
    let dir = TempDir::new("net-e2e");
    let home = TempDir::new("icp-home");
    let server = Server::start(&dir.0);
    let rt = tokio();
    let operator = identity(1);
    let operator_principal = operator.sender().unwrap();

    // Deploy over HTTP: provisional_create_canister_with_cycles, canister_status, install_code,
    // then the registry sets up the group and delivers every member's key.
    let ids = dir.0.join("canister_ids.json");
    let SuiteDeployment {
        deployed,
        group,
        balancer,
        backup,
    } = rt.block_on(async {
        let agent = agent(&server.url, identity(1)).await;
        deploy_suite(
            &agent,
            &common::wasm_dir(),
            &ids,
            "local",
            vec![operator_principal],
            &ServiceConfig::default(),
        )
        .await
        .expect("deploy over HTTP")
    });
    // Nothing asked: the services keep their defaults.
    assert_eq!(backup.interval_secs, 300);
    let default_strategy = balancer.strategy;
    assert_eq!(
        deployed.len(),
        7,
        "the six and the web app's asset canister"
    );
    assert_eq!(deployed[6].kind, CanisterKind::Frontend);
    assert!(deployed.iter().all(|d| d.created));
    assert_eq!(group.group_id, GROUP_ID);
    assert_eq!(
        group.members.len(),
        5,
        "every canister but the registry is a member"
    );
    assert!(group.members.iter().all(|m| m.has_key), "keys delivered");
    let registry = deployed[0].id;
    assert_eq!(deployed[0].kind, CanisterKind::CanisterRegistry);

    rt.block_on(async {
        let agent = agent(&server.url, identity(1)).await;
        // ic-agent query (node-signed, verified) on every canister. A canister learns its module
        // hash from a timer right after install, so the last one installed may need a moment.
        for d in &deployed {
            let started = std::time::Instant::now();
            loop {
                let (h,): (HealthReport,) = query(&agent, d.id, "health_check", ()).await.unwrap();
                assert_eq!(h.canister, d.kind);
                if h.module_hash.is_some() {
                    break;
                }
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(10),
                    "{:?} does not know its module hash",
                    d.kind
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        // ic-agent update (certified): a new group, read back by a query.
        let (r,): (Result<GroupInfo, Error>,) = update(
            &agent,
            registry,
            "register_canister_group",
            ("rust-agent-group",),
        )
        .await
        .unwrap();
        assert_eq!(r.unwrap().group_id, "rust-agent-group");
        // The caller is the agent's identity: the anonymous principal is refused (typed error).
        let anon = Agent::builder().with_url(&server.url).build().unwrap();
        anon.fetch_root_key().await.unwrap();
        let (r,): (Result<GroupInfo, Error>,) =
            update(&anon, registry, "register_canister_group", ("anon-group",))
                .await
                .unwrap();
        assert_eq!(r.unwrap_err(), Error::AnonymousCaller);
        // Certified metadata, as `icp canister call` reads it.
        let did = agent
            .read_state_canister_metadata(registry, "candid:service")
            .await
            .unwrap();
        assert!(String::from_utf8(did)
            .unwrap()
            .contains("register_canister_group"));
        // A wrong root key makes every certificate and query signature check fail.
        let forged = Agent::builder().with_url(&server.url).build().unwrap();
        let mut key = hex(&server.root_key_hex());
        let last = key.len() - 1;
        key[last] ^= 1;
        forged.set_root_key(key);
        assert!(
            query::<_, (HealthReport,)>(&forged, registry, "health_check", ())
                .await
                .is_err()
        );
    });

    // The real icp binary, root key fetched: an update call (the default) and a query.
    let registry_text = registry.to_text();
    for extra in [&[][..], &["--query"][..]] {
        let mut args = vec![
            "canister",
            "call",
            registry_text.as_str(),
            "health_check",
            "()",
        ];
        args.extend_from_slice(extra);
        let (ok, out) = icp(&server, &home.0, &args);
        assert!(ok, "icp {args:?}: {out}");
        assert!(out.contains("canister_registry"), "icp {args:?}: {out}");
    }

    // agent-js in Node: a query and an update, signed with the operator's key (seed [1; 32]).
    let js = node_agent_js(&server, registry, "agent-js-group");
    assert_eq!(js["caller"], operator_principal.to_text());
    assert_eq!(js["health_canister"], "canister_registry");
    assert_eq!(js["module_hash_len"], 32);
    assert_eq!(js["created"], "agent-js-group", "{js}");
    let groups = js["groups"].as_array().unwrap();
    for g in [GROUP_ID, "rust-agent-group", "agent-js-group"] {
        assert!(groups.iter().any(|x| x == g), "{g} in {js}");
    }

    // Stop (SIGTERM saves), start again on the same directory: same key, same canisters, data.
    let root_key = server.root_key_hex();
    server.stop();
    let server = Server::start(&dir.0);
    assert_eq!(
        server.root_key_hex(),
        root_key,
        "the root key survives restarts"
    );
    rt.block_on(async {
        let agent = agent(&server.url, identity(1)).await;
        let (groups,): (Vec<GroupInfo>,) =
            query(&agent, registry, "list_groups", ()).await.unwrap();
        let names: Vec<&str> = groups.iter().map(|g| g.group_id.as_str()).collect();
        for g in [GROUP_ID, "rust-agent-group", "agent-js-group"] {
            assert!(names.contains(&g), "{g} survived the restart: {names:?}");
        }
        let suite = groups.iter().find(|g| g.group_id == GROUP_ID).unwrap();
        assert!(suite.members.iter().all(|m| m.has_key));
        for d in &deployed {
            let (h,): (HealthReport,) = query(&agent, d.id, "health_check", ()).await.unwrap();
            assert_eq!(h.canister, d.kind);
        }
        // The management canister over HTTP: status, stop/start, settings, chunked upgrade.
        let calendar = deployed[3].id;
        assert_eq!(deployed[3].kind, CanisterKind::Calendar);
        let status = manage::status(&agent, calendar).await.unwrap();
        assert_eq!(status.settings.controllers, vec![operator_principal]);
        let version = status.version;
        manage::stop(&agent, calendar).await.unwrap();
        let stopped = query::<_, (HealthReport,)>(&agent, calendar, "health_check", ()).await;
        assert!(
            stopped.unwrap_err().contains("IC0508"),
            "a stopped canister refuses"
        );
        manage::start(&agent, calendar).await.unwrap();
        let extra = identity(2).sender().unwrap();
        let settings = ic_management_canister_types::CanisterSettings {
            controllers: Some(vec![operator_principal, extra]),
            ..Default::default()
        };
        manage::update_settings(&agent, calendar, settings)
            .await
            .unwrap();
        let wasm = std::fs::read(common::wasm_dir().join("calendar.wasm.gz")).unwrap();
        let arg = suite_client::registry::init_arg(CanisterKind::Calendar, Some(registry)).unwrap();
        manage::install_chunked(&agent, calendar, &wasm, arg, manage::Mode::Upgrade)
            .await
            .unwrap();
        let status = manage::status(&agent, calendar).await.unwrap();
        assert_eq!(status.settings.controllers.len(), 2);
        assert!(status.version > version, "the upgrade bumps the version");
        assert_eq!(status.module_hash.unwrap(), sha256(&wasm));
        let (h,): (HealthReport,) = query(&agent, calendar, "health_check", ()).await.unwrap();
        assert_eq!(h.canister, CanisterKind::Calendar);

        // Upgrading in place (deploy again) keeps the data.
        // and applies the configuration asked for; the calendar wasm is stored for scale-out.
        let asked = ServiceConfig {
            strategy: Some(if default_strategy == Strategy::RoundRobin {
                Strategy::LeastConnections
            } else {
                Strategy::RoundRobin
            }),
            backup_interval_secs: Some(600),
        };
        let again = deploy_suite(
            &agent,
            &common::wasm_dir(),
            &ids,
            "local",
            vec![operator_principal],
            &asked,
        )
        .await
        .expect("upgrade over HTTP");
        assert!(again.deployed.iter().all(|d| !d.created));
        assert_eq!(again.group.members.len(), 5);
        assert_eq!(Some(again.balancer.strategy), asked.strategy);
        assert_eq!(again.backup.interval_secs, 600);
        let (stored,): (Option<WasmInfo>,) =
            query(&agent, registry, "get_wasm_info", ()).await.unwrap();
        let calendar_wasm = std::fs::read(common::wasm_dir().join("calendar.wasm.gz")).unwrap();
        assert_eq!(
            stored.unwrap().sha256.as_slice(),
            sha256(&calendar_wasm).as_slice()
        );
        let (groups,): (Vec<GroupInfo>,) =
            query(&agent, registry, "list_groups", ()).await.unwrap();
        assert!(groups.iter().any(|g| g.group_id == "agent-js-group"));
    });
    server.stop();
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A query from `sender`, signed by `signer` (whose key it carries) if any.
fn envelope(sender: Principal, signer: Option<&dyn Identity>, expiry: u64) -> Vec<u8> {
    use serde_cbor::Value;
    let content = ic_transport_types::EnvelopeContent::Query {
        ingress_expiry: expiry,
        sender,
        canister_id: Principal::from_text("lxzze-o7777-77777-aaaaa-cai").unwrap(),
        method_name: "health_check".into(),
        arg: candid::encode_args(()).unwrap(),
        nonce: None,
        sender_info: None,
    };
    let mut map = std::collections::BTreeMap::new();
    map.insert(
        Value::Text("content".into()),
        serde_cbor::value::to_value(&content).unwrap(),
    );
    if let Some(signer) = signer {
        let signed = signer.sign(&content).unwrap();
        map.insert(
            Value::Text("sender_pubkey".into()),
            Value::Bytes(signed.public_key.unwrap()),
        );
        map.insert(
            Value::Text("sender_sig".into()),
            Value::Bytes(signed.signature.unwrap()),
        );
    }
    serde_cbor::to_vec(&Value::Map(map)).unwrap()
}

#[test]
fn requests_whose_sender_is_not_their_key_or_expired_are_refused() {
    let dir = TempDir::new("net-refuse");
    let server = Server::start(&dir.0);
    let path = "/api/v3/canister/lxzze-o7777-77777-aaaaa-cai/query";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let in_a_minute = now + 60_000_000_000;
    let (key_a, key_b) = (identity(7), identity(8));
    let a = key_a.sender().unwrap();

    // Sender A with B's key: refused before anything runs.
    let (status, body) = post(server.port, path, &envelope(a, Some(&key_b), in_a_minute));
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("Invalid sender"));
    // A named sender without any key.
    let (status, _) = post(server.port, path, &envelope(a, None, in_a_minute));
    assert_eq!(status, 403);
    // Sender A with A's key and signature reaches the canister layer (no canister there yet: a signed reject).
    let (status, body) = post(server.port, path, &envelope(a, Some(&key_a), in_a_minute));
    assert_eq!(status, 200);
    let reply: serde_cbor::Value = serde_cbor::from_slice(&body).unwrap();
    assert!(format!("{reply:?}").contains("rejected"), "{reply:?}");
    // An expiry an hour away is refused with the text agent-js resyncs its clock on.
    let (status, body) = post(
        server.port,
        path,
        &envelope(Principal::anonymous(), None, now + 3_600_000_000_000),
    );
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).starts_with("Invalid request expiry: "));
    server.stop();
}

/// A v2 call answers 202; the caller polls `read_state` for `/request_status/<rid>` and gets a
/// certificate that verifies against the root key from `/api/v2/status` (BLS12-381). Only the
/// sender may read a request's status.
#[test]
fn v2_calls_are_polled_through_certified_read_state() {
    use ic_certification::{Certificate, LookupResult};
    use ic_transport_types::EnvelopeContent;
    use serde_cbor::Value;

    let dir = TempDir::new("net-v2");
    let server = Server::start(&dir.0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let first_id = Principal::from_text("lxzze-o7777-77777-aaaaa-cai").unwrap();
    let arg = candid::encode_one(
        ic_management_canister_types::ProvisionalCreateCanisterWithCyclesArgs {
            amount: None,
            settings: None,
            specified_id: None,
            sender_canister_version: None,
        },
    )
    .unwrap();
    let call = EnvelopeContent::Call {
        nonce: Some(vec![1, 2, 3]),
        ingress_expiry: now + 60_000_000_000,
        sender: Principal::anonymous(),
        canister_id: Principal::management_canister(),
        method_name: "provisional_create_canister_with_cycles".into(),
        arg,
        sender_info: None,
    };
    let rid = call.to_request_id();
    let wrap = |content: &EnvelopeContent| {
        let mut map = std::collections::BTreeMap::new();
        map.insert(
            Value::Text("content".into()),
            serde_cbor::value::to_value(content).unwrap(),
        );
        serde_cbor::to_vec(&Value::Map(map)).unwrap()
    };
    let (status, _) = post(
        server.port,
        &format!("/api/v2/canister/{first_id}/call"),
        &wrap(&call),
    );
    assert_eq!(status, 202);

    let read = |sender: Principal| EnvelopeContent::ReadState {
        ingress_expiry: now + 60_000_000_000,
        sender,
        paths: vec![vec![
            "request_status".into(),
            rid.as_slice().to_vec().into(),
        ]],
    };
    let root_key = hex(&server.root_key_hex());
    let mut replied = None;
    for _ in 0..100 {
        let (status, body) = post(
            server.port,
            &format!("/api/v2/canister/{first_id}/read_state"),
            &wrap(&read(Principal::anonymous())),
        );
        assert_eq!(status, 200);
        #[derive(serde::Deserialize)]
        struct Resp {
            #[serde(with = "serde_bytes")]
            certificate: Vec<u8>,
        }
        let resp: Resp = serde_cbor::from_slice(&body).unwrap();
        let cert: Certificate = serde_cbor::from_slice(&resp.certificate).unwrap();
        let mut msg = b"\x0Dic-state-root".to_vec();
        msg.extend_from_slice(&cert.tree.digest());
        ic_verify_bls_signature::verify_bls_signature(&cert.signature, &msg, &root_key[37..])
            .expect("the certificate is signed by the root key");
        let status_path = [b"request_status".as_slice(), rid.as_slice(), b"status"];
        if let LookupResult::Found(b"replied") = cert.tree.lookup_path(status_path) {
            let reply_path = [b"request_status".as_slice(), rid.as_slice(), b"reply"];
            let LookupResult::Found(reply) = cert.tree.lookup_path(reply_path) else {
                panic!("a replied status has a reply")
            };
            replied = Some(reply.to_vec());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let reply = replied.expect("the call completed");
    let created: ic_management_canister_types::CanisterIdRecord =
        candid::decode_one(&reply).unwrap();
    assert_eq!(created.canister_id, first_id);

    // Another sender may not read this request's status.
    let other = identity(9);
    let content = read(other.sender().unwrap());
    let signed = other.sign(&content).unwrap();
    let mut map = std::collections::BTreeMap::new();
    map.insert(
        Value::Text("content".into()),
        serde_cbor::value::to_value(&content).unwrap(),
    );
    map.insert(
        Value::Text("sender_pubkey".into()),
        Value::Bytes(signed.public_key.unwrap()),
    );
    map.insert(
        Value::Text("sender_sig".into()),
        Value::Bytes(signed.signature.unwrap()),
    );
    let (status, _) = post(
        server.port,
        &format!("/api/v2/canister/{first_id}/read_state"),
        &serde_cbor::to_vec(&Value::Map(map)).unwrap(),
    );
    assert_eq!(status, 403);
    server.stop();
}
