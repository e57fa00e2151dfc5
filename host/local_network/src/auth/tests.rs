//! Unit tests of `auth.rs` with real signatures of every key type.
use super::*;
use ic_certification::hash_tree::{label, leaf, HashTree};
use k256::ecdsa::signature::Signer;
use k256::pkcs8::EncodePublicKey;

const NOW: u64 = 1_800_000_000_000_000_000;
const HOUR: u64 = 3_600_000_000_000;
/// DER prefix of an Ed25519 SubjectPublicKeyInfo.
const ED25519_DER_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// DER prefix of an IC BLS12-381 root key.
const BLS_DER_PREFIX: &[u8; 37] = ic_canister_sig_creation::IC_ROOT_PK_DER_PREFIX;

/// A network's root key: signs the certificates canister signatures carry.
struct Root {
    key: ic_verify_bls_signature::PrivateKey,
    der: Vec<u8>,
}

impl Root {
    fn new(seed: u8) -> Root {
        let mut bytes = [seed; 32];
        bytes[0] = 0x11; // below the group order
        let key = ic_verify_bls_signature::PrivateKey::deserialize(&bytes).unwrap();
        let mut der = BLS_DER_PREFIX.to_vec();
        der.extend_from_slice(&key.public_key().serialize());
        Root { key, der }
    }

    /// A certificate whose tree holds `/canister/<id>/certified_data = data`.
    fn certify(&self, canister: Principal, data: [u8; 32]) -> Vec<u8> {
        let tree = label(
            "canister",
            label(
                canister.as_slice(),
                label("certified_data", leaf(data.to_vec())),
            ),
        );
        let mut message = b"\x0Dic-state-root".to_vec();
        message.extend_from_slice(&tree.digest());
        let cert = ic_certification::Certificate {
            tree,
            signature: self.key.sign(&message).serialize().to_vec(),
            delegation: None,
        };
        self_described(&cert)
    }
}

fn self_described<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut ser = serde_cbor::Serializer::new(Vec::new());
    ser.self_describe().unwrap();
    value.serialize(&mut ser).unwrap();
    ser.into_inner()
}

enum Key {
    Ed25519(ed25519_dalek::SigningKey),
    Secp256k1(k256::ecdsa::SigningKey),
    P256(p256::ecdsa::SigningKey),
    /// A canister signature key (as Internet Identity issues), certified by `root`.
    Canister {
        canister: Principal,
        seed: Vec<u8>,
        root: Root,
    },
}

impl Key {
    fn ed25519(seed: u8) -> Key {
        Key::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[seed; 32]))
    }
    fn secp256k1(seed: u8) -> Key {
        Key::Secp256k1(k256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap())
    }
    fn p256(seed: u8) -> Key {
        Key::P256(p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap())
    }
    fn canister(root: Root) -> Key {
        Key::Canister {
            canister: Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 7, 1, 1]),
            seed: b"anchor 10000".to_vec(),
            root,
        }
    }

    fn der(&self) -> Vec<u8> {
        match self {
            Key::Ed25519(k) => [&ED25519_DER_PREFIX[..], k.verifying_key().as_bytes()].concat(),
            Key::Secp256k1(k) => k256::PublicKey::from(k.verifying_key())
                .to_public_key_der()
                .unwrap()
                .into_vec(),
            Key::P256(k) => p256::PublicKey::from(k.verifying_key())
                .to_public_key_der()
                .unwrap()
                .into_vec(),
            Key::Canister { canister, seed, .. } => {
                ic_canister_sig_creation::CanisterSigPublicKey::new(*canister, seed.clone())
                    .to_der()
            }
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Key::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            Key::Secp256k1(k) => {
                let s: k256::ecdsa::Signature = k.sign(message);
                s.to_bytes().to_vec()
            }
            Key::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(message);
                s.to_bytes().to_vec()
            }
            Key::Canister {
                canister,
                seed,
                root,
            } => {
                // The canister's signature tree: /sig/<H(seed)>/<H(message)> = "".
                let sha = |b: &[u8]| -> [u8; 32] {
                    use sha2::Digest;
                    sha2::Sha256::digest(b).into()
                };
                let tree: HashTree<Vec<u8>> = label(
                    "sig",
                    label(sha(seed), label(sha(message), leaf(b"".to_vec()))),
                );
                #[derive(serde::Serialize)]
                struct Sig {
                    #[serde(with = "serde_bytes")]
                    certificate: Vec<u8>,
                    tree: HashTree<Vec<u8>>,
                }
                let certificate = root.certify(*canister, tree.digest());
                self_described(&Sig { certificate, tree })
            }
        }
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// A query's content and its request id.
fn content(sender: &[u8], canister: Principal) -> (Value, [u8; 32]) {
    let map = BTreeMap::from([
        (text("request_type"), text("query")),
        (text("sender"), Value::Bytes(sender.to_vec())),
        (
            text("canister_id"),
            Value::Bytes(canister.as_slice().to_vec()),
        ),
        (text("method_name"), text("health_check")),
        (text("arg"), Value::Bytes(b"DIDL\0\0".to_vec())),
        (
            text("ingress_expiry"),
            Value::Integer((NOW + 60_000_000_000) as i128),
        ),
    ]);
    let content = Value::Map(map);
    let id = hash_of(&content).unwrap();
    (content, id)
}

fn canister() -> Principal {
    Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
}

/// A delegation from `from` to `to`, signed by `from`.
fn delegation(from: &Key, to: &Key, expiration: u64, targets: Option<&[Principal]>) -> Value {
    let mut map = BTreeMap::from([
        (text("pubkey"), Value::Bytes(to.der())),
        (text("expiration"), Value::Integer(expiration as i128)),
    ]);
    if let Some(targets) = targets {
        let list = targets
            .iter()
            .map(|t| Value::Bytes(t.as_slice().to_vec()))
            .collect();
        map.insert(text("targets"), Value::Array(list));
    }
    let delegation = Value::Map(map);
    let mut message = DELEGATION_DOMAIN.to_vec();
    message.extend_from_slice(&hash_of(&delegation).unwrap());
    Value::Map(BTreeMap::from([
        (text("delegation"), delegation),
        (text("signature"), Value::Bytes(from.sign(&message))),
    ]))
}

/// An envelope from `sender`'s principal, signed by `signer` through `chain`.
fn envelope(sender: &Key, signer: &Key, chain: Vec<Value>) -> (BTreeMap<Value, Value>, [u8; 32]) {
    let der = sender.der();
    let (content, id) = content(Principal::self_authenticating(&der).as_slice(), canister());
    let mut message = REQUEST_DOMAIN.to_vec();
    message.extend_from_slice(&id);
    let mut map = BTreeMap::from([
        (text("content"), content),
        (text("sender_pubkey"), Value::Bytes(der)),
        (text("sender_sig"), Value::Bytes(signer.sign(&message))),
    ]);
    if !chain.is_empty() {
        map.insert(text("sender_delegation"), Value::Array(chain));
    }
    (map, id)
}

fn check(env: &(BTreeMap<Value, Value>, [u8; 32]), root: &Root) -> Result<(), String> {
    verify(
        &env.0,
        &env.1,
        &Context {
            now_ns: NOW,
            root_key_der: &root.der,
            target: Some(canister()),
            call: false,
        },
    )
}

fn all_basic_keys() -> Vec<Key> {
    vec![Key::ed25519(1), Key::secp256k1(2), Key::p256(3)]
}

#[test]
fn real_signatures_of_every_key_type_pass() {
    let root = Root::new(5);
    for key in all_basic_keys() {
        check(&envelope(&key, &key, vec![]), &root).unwrap();
    }
    let ii = Key::canister(Root::new(5));
    check(&envelope(&ii, &ii, vec![]), &root).unwrap();
}

#[test]
fn sixty_four_zero_bytes_are_refused_for_every_key_type() {
    let root = Root::new(5);
    for (key, name) in all_basic_keys()
        .into_iter()
        .zip(["Ed25519", "EcdsaSecp256k1", "EcdsaP256"])
    {
        let (mut env, id) = envelope(&key, &key, vec![]);
        env.insert(text("sender_sig"), Value::Bytes(vec![0; 64]));
        let err = check(&(env, id), &root).unwrap_err();
        assert!(
            err.starts_with(&format!(
                "Invalid signature: Invalid basic signature: {name} signature could not be verified: public key "
            )),
            "{err}"
        );
    }
    let ii = Key::canister(Root::new(5));
    let (mut env, id) = envelope(&ii, &ii, vec![]);
    env.insert(text("sender_sig"), Value::Bytes(vec![0; 64]));
    let err = check(&(env, id), &root).unwrap_err();
    assert!(
        err.starts_with("Invalid signature: Invalid canister signature: "),
        "{err}"
    );
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let root = Root::new(5);
    let keys = all_basic_keys();
    let others = [Key::ed25519(9), Key::secp256k1(9), Key::p256(9)];
    for (key, other) in keys.iter().zip(&others) {
        let err = check(&envelope(key, other, vec![]), &root).unwrap_err();
        assert!(
            err.starts_with("Invalid signature: Invalid basic signature: "),
            "{err}"
        );
    }
}

#[test]
fn tampered_content_is_refused() {
    let root = Root::new(5);
    let mut keys = all_basic_keys();
    keys.push(Key::canister(Root::new(5)));
    for key in keys {
        let (mut env, _) = envelope(&key, &key, vec![]);
        // The method name changes after signing: the request id the server computes differs.
        let Some(Value::Map(content)) = env.get_mut(&text("content")) else {
            panic!()
        };
        content.insert(text("method_name"), text("drain_funds"));
        let id = hash_of(&env[&text("content")]).unwrap();
        let err = check(&(env, id), &root).unwrap_err();
        assert!(err.starts_with("Invalid signature: "), "{err}");
    }
}

#[test]
fn a_canister_signature_certified_by_another_network_is_refused() {
    let ours = Root::new(5);
    let mainnet_like = Key::canister(Root::new(6));
    let err = check(&envelope(&mainnet_like, &mainnet_like, vec![]), &ours).unwrap_err();
    assert_eq!(
        err,
        "Invalid signature: Invalid canister signature: invalid BLS signature"
    );
}

#[test]
fn delegation_chains_of_every_key_type_pass() {
    let root = Root::new(5);
    // Internet Identity style: a canister-signature key delegates to a session key.
    let ii = Key::canister(Root::new(5));
    let session = Key::p256(4);
    let chain = vec![delegation(&ii, &session, NOW + HOUR, None)];
    check(&envelope(&ii, &session, chain), &root).unwrap();
    // Ed25519 -> secp256k1 -> P-256 -> Ed25519, the last one targeted at the canister.
    let (a, b, c, d) = (
        Key::ed25519(1),
        Key::secp256k1(2),
        Key::p256(3),
        Key::ed25519(4),
    );
    let chain = vec![
        delegation(&a, &b, NOW + HOUR, None),
        delegation(&b, &c, NOW + HOUR, Some(&[canister()])),
        delegation(&c, &d, NOW + 1, Some(&[Principal::anonymous(), canister()])),
    ];
    check(&envelope(&a, &d, chain), &root).unwrap();
}

#[test]
fn the_request_must_be_signed_by_the_last_delegated_key() {
    let root = Root::new(5);
    let (a, b) = (Key::ed25519(1), Key::ed25519(2));
    let chain = vec![delegation(&a, &b, NOW + HOUR, None)];
    let err = check(&envelope(&a, &a, chain), &root).unwrap_err();
    assert!(
        err.starts_with("Invalid signature: Invalid basic signature: Ed25519 "),
        "{err}"
    );
}

#[test]
fn an_expired_delegation_is_refused() {
    let root = Root::new(5);
    let (a, b, c) = (Key::ed25519(1), Key::secp256k1(2), Key::p256(3));
    let chain = vec![
        delegation(&a, &b, NOW + HOUR, None),
        delegation(&b, &c, NOW - 1, None),
    ];
    let err = check(&envelope(&a, &c, chain), &root).unwrap_err();
    assert!(
        err.starts_with("Invalid delegation expiry: Specified sender delegation has expired"),
        "{err}"
    );
}

#[test]
fn a_delegation_whose_targets_exclude_the_canister_is_refused() {
    let root = Root::new(5);
    let (a, b, c) = (Key::ed25519(1), Key::ed25519(2), Key::ed25519(3));
    let elsewhere = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 9, 1, 1]);
    // Every delegation's targets restrict: the second one excludes the canister.
    let chain = vec![
        delegation(&a, &b, NOW + HOUR, Some(&[canister(), elsewhere])),
        delegation(&b, &c, NOW + HOUR, Some(&[elsewhere])),
    ];
    let env = envelope(&a, &c, chain);
    assert_eq!(
        check(&env, &root).unwrap_err(),
        format!(
            "Canister {} is not one of the delegation targets",
            canister()
        )
    );
    // Addressed to the subnet (no canister), the same chain passes.
    let ctx = Context {
        now_ns: NOW,
        root_key_der: &root.der,
        target: None,
        call: false,
    };
    verify(&env.0, &env.1, &ctx).unwrap();
    // An empty target list allows no canister.
    let chain = vec![delegation(&a, &b, NOW + HOUR, Some(&[]))];
    assert!(check(&envelope(&a, &b, chain), &root).is_err());
}

#[test]
fn twenty_delegations_pass_and_twenty_one_are_refused() {
    let root = Root::new(5);
    let keys: Vec<Key> = (1..=22).map(Key::ed25519).collect();
    let chain = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| delegation(&keys[i], &keys[i + 1], NOW + HOUR, None))
            .collect()
    };
    check(&envelope(&keys[0], &keys[20], chain(20)), &root).unwrap();
    let err = check(&envelope(&keys[0], &keys[21], chain(21)), &root).unwrap_err();
    assert_eq!(
        err,
        "Invalid delegation: Chain of delegations is too long: got 21 delegations, but at most 20 are allowed"
    );
}

#[test]
fn a_delegation_signed_by_the_wrong_key_is_refused() {
    let root = Root::new(5);
    let (a, b, c, mallory) = (
        Key::ed25519(1),
        Key::secp256k1(2),
        Key::p256(3),
        Key::secp256k1(66),
    );
    // The second link should be signed by b.
    let chain = vec![
        delegation(&a, &b, NOW + HOUR, None),
        delegation(&mallory, &c, NOW + HOUR, None),
    ];
    let err = check(&envelope(&a, &c, chain), &root).unwrap_err();
    assert!(
        err.starts_with("Invalid delegation: Invalid basic signature: EcdsaSecp256k1 signature could not be verified"),
        "{err}"
    );
    // A delegation whose fields changed after signing (an extended expiry).
    let mut link = delegation(&a, &b, NOW + HOUR, None);
    let Value::Map(signed) = &mut link else {
        panic!()
    };
    let Some(Value::Map(d)) = signed.get_mut(&text("delegation")) else {
        panic!()
    };
    d.insert(
        text("expiration"),
        Value::Integer((NOW + 100 * HOUR) as i128),
    );
    let err = check(&envelope(&a, &b, vec![link]), &root).unwrap_err();
    assert!(
        err.starts_with("Invalid delegation: Invalid basic signature: Ed25519"),
        "{err}"
    );
}

#[test]
fn a_queries_only_delegation_does_not_allow_calls() {
    let root = Root::new(5);
    let (a, b) = (Key::ed25519(1), Key::ed25519(2));
    let mut link = delegation(&a, &b, NOW + HOUR, None);
    // Re-sign the delegation with `permissions = "queries"` added.
    let Value::Map(signed) = &mut link else {
        panic!()
    };
    let Some(Value::Map(d)) = signed.get_mut(&text("delegation")) else {
        panic!()
    };
    d.insert(text("permissions"), text("queries"));
    let mut message = DELEGATION_DOMAIN.to_vec();
    message.extend_from_slice(&hash_of(&Value::Map(d.clone())).unwrap());
    signed.insert(text("signature"), Value::Bytes(a.sign(&message)));
    let env = envelope(&a, &b, vec![link]);
    check(&env, &root).unwrap();
    let ctx = Context {
        now_ns: NOW,
        root_key_der: &root.der,
        target: Some(canister()),
        call: true,
    };
    let err = verify(&env.0, &env.1, &ctx).unwrap_err();
    assert!(err.contains("does not allow update calls"), "{err}");
}

#[test]
fn a_chain_that_repeats_a_key_is_refused() {
    let root = Root::new(5);
    let (a, b) = (Key::ed25519(1), Key::ed25519(2));
    let chain = vec![
        delegation(&a, &b, NOW + HOUR, None),
        delegation(&b, &a, NOW + HOUR, None),
    ];
    let err = check(&envelope(&a, &a, chain), &root).unwrap_err();
    assert!(err.contains("contains at least one cycle"), "{err}");
}

#[test]
fn anonymous_requests_carry_nothing() {
    let root = Root::new(5);
    let (content, id) = content(Principal::anonymous().as_slice(), canister());
    let mut env = BTreeMap::from([(text("content"), content)]);
    check(&(env.clone(), id), &root).unwrap();
    env.insert(text("sender_sig"), Value::Bytes(vec![1; 64]));
    assert_eq!(
        check(&(env, id), &root).unwrap_err(),
        "Signature is not allowed for the anonymous user"
    );
    // A key without a signature.
    let key = Key::ed25519(1);
    let (mut env, id) = envelope(&key, &key, vec![]);
    env.remove(&text("sender_sig"));
    assert!(check(&(env, id), &root)
        .unwrap_err()
        .starts_with("Missing signature"));
}

#[test]
fn unsupported_and_malformed_keys_are_refused() {
    let root = Root::new(5);
    let key = Key::ed25519(1);
    let (mut env, id) = envelope(&key, &key, vec![]);
    env.insert(text("sender_pubkey"), Value::Bytes(vec![9; 44]));
    assert!(check(&(env.clone(), id), &root)
        .unwrap_err()
        .starts_with("Invalid signature: Invalid public key: "));
    // A WebAuthn (COSE) key: OID 1.3.6.1.4.1.56387.1.1.
    let cose = [
        0x30, 0x1d, 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb8, 0x43, 0x01,
        0x01, 0x03, 0x0d, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ];
    env.insert(text("sender_pubkey"), Value::Bytes(cose.to_vec()));
    let err = check(&(env, id), &root).unwrap_err();
    assert!(
        err.contains("unsupported algorithm 1.3.6.1.4.1.56387.1.1"),
        "{err}"
    );
}

/// `cargo test --release -- --ignored --nocapture`: microseconds per request check.
#[test]
#[ignore]
fn cost_per_request() {
    let root = Root::new(5);
    let time = |name: &str, env: &(BTreeMap<Value, Value>, [u8; 32]), n: u32| {
        check(env, &root).unwrap();
        let start = std::time::Instant::now();
        for _ in 0..n {
            check(env, &root).unwrap();
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("{name:<44} {us:>9.1} us per request");
    };
    for (key, name) in
        all_basic_keys()
            .into_iter()
            .zip(["Ed25519", "ECDSA secp256k1", "ECDSA P-256"])
    {
        time(name, &envelope(&key, &key, vec![]), 2000);
    }
    let ii = Key::canister(Root::new(5));
    time("canister signature", &envelope(&ii, &ii, vec![]), 50);
    let session = Key::ed25519(4);
    let chain = vec![delegation(&ii, &session, NOW + HOUR, None)];
    time(
        "II-style: canister-sig delegation + Ed25519",
        &envelope(&ii, &session, chain),
        50,
    );
}
