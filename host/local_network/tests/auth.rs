//! Request authentication over HTTP: ic-agent signing with Ed25519, ECDSA secp256k1 and P-256
//! keys (and through a delegation) gets calls, queries and read_state served; forged
//! signatures, a signature by another key, an expired delegation and a delegation whose
//! targets exclude the canister are refused with 400 and the replica's texts.
//!
//! Needs `scripts/build.sh` (target/canisters: the `rt_store` fixture canister).

mod common;

use std::collections::BTreeMap;

use candid::Principal;
use common::{query, tokio, update, Server, TempDir};
use ic_agent::agent::AgentError;
use ic_agent::identity::{
    BasicIdentity, DelegatedIdentity, Delegation, Prime256v1Identity, Secp256k1Identity,
    SignedDelegation,
};
use ic_agent::{Agent, Identity};
use ic_transport_types::EnvelopeContent;
use serde_cbor::Value;
use suite_client::manage;

const MINUTE: u64 = 60_000_000_000;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

fn ed25519(seed: u8) -> BasicIdentity {
    BasicIdentity::from_raw_key(&[seed; 32])
}

fn secp256k1(seed: u8) -> Secp256k1Identity {
    Secp256k1Identity::from_private_key(k256::SecretKey::from_slice(&[seed; 32]).unwrap())
}

fn p256(seed: u8) -> Prime256v1Identity {
    Prime256v1Identity::from_private_key(p256::SecretKey::from_slice(&[seed; 32]).unwrap())
}

async fn agent(server: &Server, identity: impl Identity + 'static) -> Agent {
    let agent = Agent::builder()
        .with_url(&server.url)
        .with_identity(identity)
        .build()
        .unwrap();
    agent.fetch_root_key().await.unwrap();
    agent
}

/// `from` delegates to `to` until `expiration`, for `targets` (all canisters when `None`).
fn delegate(
    from: &dyn Identity,
    to: &dyn Identity,
    expiration: u64,
    targets: Option<Vec<Principal>>,
) -> SignedDelegation {
    let delegation = Delegation {
        pubkey: to.public_key().unwrap(),
        expiration,
        targets,
        permissions: None,
    };
    let signature = from
        .sign_delegation(&delegation)
        .unwrap()
        .signature
        .unwrap();
    SignedDelegation {
        delegation,
        signature,
    }
}

/// Creates an `rt_store` canister controlled by `controller` (through `agent`).
async fn store_canister(agent: &Agent, controller: Principal) -> Principal {
    let first = Principal::from_text("lxzze-o7777-77777-aaaaa-cai").unwrap();
    let id = manage::create_canister(agent, first, vec![controller], None)
        .await
        .expect("create a canister");
    let wasm = std::fs::read(common::wasm_dir().join("rt_store.wasm.gz"))
        .expect("target/canisters/rt_store.wasm.gz: run scripts/build.sh");
    manage::install_with(agent, id, &wasm, (None::<String>,), manage::Mode::Install)
        .await
        .expect("install rt_store");
    id
}

/// An update, a query and a read_state through `agent`; the canister sees the agent's sender.
async fn use_canister(agent: &Agent, canister: Principal, controllers: &[Principal]) {
    let (n,): (u64,) = update(agent, canister, "inc", ()).await.expect("update");
    assert!(n >= 1);
    let (me,): (Principal,) = query(agent, canister, "whoami", ()).await.expect("query");
    assert_eq!(me, agent.get_principal().unwrap());
    let read = agent
        .read_state_canister_controllers(canister)
        .await
        .expect("read_state");
    assert_eq!(read, controllers);
}

#[test]
fn ed25519_secp256k1_p256_and_delegated_keys_are_served() {
    let dir = TempDir::new("net-auth-ok");
    let server = Server::start(&dir.0);
    tokio().block_on(async {
        let identities: Vec<Box<dyn Identity>> = vec![
            Box::new(ed25519(1)),
            Box::new(secp256k1(2)),
            Box::new(p256(3)),
        ];
        for identity in identities {
            let me = identity.sender().unwrap();
            let agent = agent(&server, identity).await;
            // Calls to the management canister, polled through read_state, then the canister.
            let canister = store_canister(&agent, me).await;
            use_canister(&agent, canister, &[me]).await;
        }
        // An Ed25519 key delegates to a P-256 session key for this one canister, through a
        // secp256k1 key (a two-link chain, as a wallet and a session would).
        let owner = ed25519(4);
        let me = owner.sender().unwrap();
        let canister = store_canister(&agent(&server, ed25519(4)).await, me).await;
        let (middle, session) = (secp256k1(5), p256(6));
        let chain = vec![
            delegate(&owner, &middle, now() + 10 * MINUTE, None),
            delegate(&middle, &session, now() + 10 * MINUTE, Some(vec![canister])),
        ];
        let delegated =
            DelegatedIdentity::new_unchecked(owner.public_key().unwrap(), Box::new(session), chain);
        let agent = agent(&server, delegated).await;
        assert_eq!(agent.get_principal().unwrap(), me);
        use_canister(&agent, canister, &[me]).await;
    });
    server.stop();
}

fn http_error(e: AgentError) -> (u16, String) {
    match e {
        AgentError::HttpError(p) => (p.status, String::from_utf8_lossy(&p.content).to_string()),
        other => panic!("expected an HTTP error, got {other}"),
    }
}

#[test]
fn bad_delegations_are_refused_with_400() {
    let dir = TempDir::new("net-auth-delegation");
    let server = Server::start(&dir.0);
    tokio().block_on(async {
        let owner = ed25519(7);
        let me = owner.sender().unwrap();
        let canister = store_canister(&agent(&server, ed25519(7)).await, me).await;
        let elsewhere = Principal::from_text("ryjl3-tyaaa-aaaaa-aaaba-cai").unwrap();
        let with_chain = |expiration: u64, targets: Option<Vec<Principal>>| {
            let session = ed25519(8);
            let chain = vec![delegate(&owner, &session, expiration, targets)];
            DelegatedIdentity::new_unchecked(owner.public_key().unwrap(), Box::new(session), chain)
        };

        // Expired a minute ago: query, update and read_state are all refused.
        let expired = agent(&server, with_chain(now() - MINUTE, None)).await;
        let e = expired.query(&canister, "whoami").with_arg(candid::encode_args(()).unwrap()).call().await;
        let (status, text) = http_error(e.unwrap_err());
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("Specified sender delegation has expired"), "{text}");
        let e = expired.update(&canister, "inc").with_arg(candid::encode_args(()).unwrap()).call_and_wait().await;
        let (status, text) = http_error(e.unwrap_err());
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("Specified sender delegation has expired"), "{text}");
        let (status, _) = http_error(expired.read_state_canister_controllers(canister).await.unwrap_err());
        assert_eq!(status, 400);

        // Targets that exclude the canister: refused for query, update and read_state (whose
        // target is the effective canister id), while the same chain works for its target.
        let narrow = agent(&server, with_chain(now() + MINUTE, Some(vec![elsewhere]))).await;
        let wanted = format!("Canister {canister} is not one of the delegation targets");
        let e = narrow.query(&canister, "whoami").with_arg(candid::encode_args(()).unwrap()).call().await;
        let (status, text) = http_error(e.unwrap_err());
        assert_eq!((status, text.as_str()), (400, wanted.as_str()));
        let e = narrow.update(&canister, "inc").with_arg(candid::encode_args(()).unwrap()).call_and_wait().await;
        let (status, text) = http_error(e.unwrap_err());
        assert_eq!((status, text.as_str()), (400, wanted.as_str()));
        let (status, text) =
            http_error(narrow.read_state_canister_controllers(canister).await.unwrap_err());
        assert_eq!((status, text.as_str()), (400, wanted.as_str()));
        let fitting = agent(&server, with_chain(now() + MINUTE, Some(vec![canister]))).await;
        use_canister(&fitting, canister, &[me]).await;

        // A delegation signed by another key than the sender's.
        let session = ed25519(8);
        let forged = DelegatedIdentity::new_unchecked(
            owner.public_key().unwrap(),
            Box::new(ed25519(8)),
            vec![delegate(&ed25519(66), &session, now() + MINUTE, None)],
        );
        let forged = agent(&server, forged).await;
        let e = forged.query(&canister, "whoami").with_arg(candid::encode_args(()).unwrap()).call().await;
        let (status, text) = http_error(e.unwrap_err());
        assert_eq!(status, 400);
        assert!(
            text.starts_with("Invalid delegation: Invalid basic signature: Ed25519 signature could not be verified"),
            "{text}"
        );
    });
    server.stop();
}

/// One raw HTTP/1.1 POST: (status, body as text).
fn post(port: u16, path: &str, body: &[u8]) -> (u16, String) {
    let (status, body) = common::post(port, path, body);
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The envelope of `content` signed by `signer`, with `sig` in place of its signature if given.
fn envelope(content: &EnvelopeContent, signer: &dyn Identity, sig: Option<Vec<u8>>) -> Vec<u8> {
    let signed = signer.sign(content).unwrap();
    let text = |s: &str| Value::Text(s.into());
    let map = BTreeMap::from([
        (
            text("content"),
            serde_cbor::value::to_value(content).unwrap(),
        ),
        (
            text("sender_pubkey"),
            Value::Bytes(signed.public_key.unwrap()),
        ),
        (
            text("sender_sig"),
            Value::Bytes(sig.unwrap_or(signed.signature.unwrap())),
        ),
    ]);
    serde_cbor::to_vec(&Value::Map(map)).unwrap()
}

/// The review's finding, for every request type and key type: a known public key with 64 zero
/// bytes (or another key's signature) as its signature is refused before anything runs.
#[test]
fn forged_and_foreign_signatures_are_refused_with_400() {
    let dir = TempDir::new("net-auth-forged");
    let server = Server::start(&dir.0);
    let canister = Principal::from_text("lxzze-o7777-77777-aaaaa-cai").unwrap();
    let signers: Vec<(Box<dyn Identity>, &str)> = vec![
        (Box::new(ed25519(1)), "Ed25519"),
        (Box::new(secp256k1(2)), "EcdsaSecp256k1"),
        (Box::new(p256(3)), "EcdsaP256"),
    ];
    for (signer, algorithm) in &signers {
        let sender = signer.sender().unwrap();
        let expiry = now() + MINUTE;
        let arg = candid::encode_args(()).unwrap();
        let requests = [
            (
                "query",
                EnvelopeContent::Query {
                    ingress_expiry: expiry,
                    sender,
                    canister_id: canister,
                    method_name: "whoami".into(),
                    arg: arg.clone(),
                    nonce: None,
                    sender_info: None,
                },
            ),
            (
                "call",
                EnvelopeContent::Call {
                    ingress_expiry: expiry,
                    sender,
                    canister_id: canister,
                    method_name: "inc".into(),
                    arg: arg.clone(),
                    nonce: Some(vec![1]),
                    sender_info: None,
                },
            ),
            (
                "read_state",
                EnvelopeContent::ReadState {
                    ingress_expiry: expiry,
                    sender,
                    paths: vec![vec!["time".into()]],
                },
            ),
        ];
        for (kind, content) in &requests {
            let path = format!("/api/v3/canister/{canister}/{kind}");
            // The genuine signature gets through authentication (the call and query then meet
            // an empty canister id: a reject, not a refusal; read_state of /time succeeds).
            let (status, body) = post(
                server.port,
                &path,
                &envelope(content, signer.as_ref(), None),
            );
            assert_eq!(status, 200, "{algorithm} {kind}: {body}");
            let zeros = envelope(content, signer.as_ref(), Some(vec![0; 64]));
            let (status, body) = post(server.port, &path, &zeros);
            assert_eq!(status, 400, "{algorithm} {kind}: {body}");
            assert!(
                body.starts_with(&format!(
                    "Invalid signature: Invalid basic signature: {algorithm} signature could not be verified"
                )),
                "{algorithm} {kind}: {body}"
            );
            // Signed by another key of the same type.
            let other: Box<dyn Identity> = match *algorithm {
                "Ed25519" => Box::new(ed25519(99)),
                "EcdsaSecp256k1" => Box::new(secp256k1(99)),
                _ => Box::new(p256(99)),
            };
            let foreign = other.sign(content).unwrap().signature.unwrap();
            let (status, body) = post(
                server.port,
                &path,
                &envelope(content, signer.as_ref(), Some(foreign)),
            );
            assert_eq!(status, 400, "{algorithm} {kind}: {body}");
            assert!(body.starts_with("Invalid signature: "), "{body}");
        }
    }
    server.stop();
}
