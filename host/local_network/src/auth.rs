//! Authentication of ingress requests (calls, queries, read_state) as the IC checks it
//! (interface spec, "Authentication" and "Canister signatures"):
//!
//! - the request id is signed: `sender_sig` is the signature of `sender_pubkey` (or of the last
//!   delegation's key) over `"\x0Aic-request" ‖ request_id`;
//! - each delegation of `sender_delegation` (at most 20, no key twice, at most 1000 targets) is
//!   signed by the key before it (the first by `sender_pubkey`) over
//!   `"\x1Aic-request-auth-delegation" ‖ hash_of(delegation map)`, has not expired, and when it
//!   names `targets` the request's canister (for read_state: the effective canister id) is
//!   among them; a delegation whose `permissions` is `"queries"` (ic-transport-types 0.49:
//!   "only query calls and read_state requests are permitted") does not allow update calls;
//! - an anonymous request carries no key, no signature and no delegation.
//!
//! Which sender a key speaks for (`sender == self_authenticating(sender_pubkey)`) is checked by
//! `envelope.rs` before this module runs.
//!
//! Key types are told apart by the algorithm of their DER SubjectPublicKeyInfo (parsed by
//! RustCrypto's `spki`): Ed25519 (`ed25519-dalek`, strict verification over the message),
//! ECDSA secp256k1 and P-256 (`k256` / `p256`: 64-byte `r ‖ s` over SHA-256 of the message;
//! `k256` refuses high-`s` signatures as the IC does), and IC canister signatures (DFINITY's
//! `ic-signature-verification`, against THIS network's root key only, so a key issued by a
//! canister of another network — e.g. Internet Identity on mainnet — is refused). WebAuthn
//! (COSE) and RSA keys are refused as unsupported.
//!
//! What is written here by hand is only what no crate does: reading the envelope's delegation
//! maps from raw CBOR (their hash must cover every field the client sent, which typed decoding
//! would drop), the chain walk, and the IC's error texts (which agents show to users). Error
//! texts follow the replica's shape: `Invalid signature: Invalid basic signature: ...`,
//! `Invalid delegation: ...`, `Canister <id> is not one of the delegation targets`.

use std::collections::{BTreeMap, BTreeSet};

use candid::Principal;
use serde_cbor::Value;
use spki::der::Decode;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

use crate::cbor::hash_of;

/// The IC accepts at most this many delegations in a chain.
pub const MAX_DELEGATIONS: usize = 20;
/// The IC accepts at most this many targets in one delegation.
pub const MAX_TARGETS: usize = 1000;

const REQUEST_DOMAIN: &[u8] = b"\x0Aic-request";
const DELEGATION_DOMAIN: &[u8] = b"\x1Aic-request-auth-delegation";

const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const CANISTER_SIG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.56387.1.2");

/// What the checks need besides the envelope.
pub struct Context<'a> {
    /// The network's clock (delegation expiry).
    pub now_ns: u64,
    /// The network's DER root key: the only trust anchor for canister signatures.
    pub root_key_der: &'a [u8],
    /// The canister every delegation's `targets` must include: the request's `canister_id`
    /// (call, query) or the effective canister id (read_state). `None` for requests addressed
    /// to the subnet, which no target list restricts.
    pub target: Option<Principal>,
    /// Whether the request is an update call (which a queries-only delegation does not allow).
    pub call: bool,
}

fn field<'a>(map: &'a BTreeMap<Value, Value>, name: &str) -> Option<&'a Value> {
    match map.get(&Value::Text(name.to_string())) {
        None | Some(Value::Null) => None,
        v => v,
    }
}

fn blob<'a>(map: &'a BTreeMap<Value, Value>, name: &str) -> Result<Option<&'a [u8]>, String> {
    match field(map, name) {
        None => Ok(None),
        Some(Value::Bytes(b)) => Ok(Some(b)),
        Some(_) => Err(format!("{name} is not a blob")),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One signed delegation, read from the envelope's raw CBOR.
struct SignedDelegation<'a> {
    pubkey: &'a [u8],
    expiration: u64,
    targets: Option<Vec<Principal>>,
    /// `permissions = "queries"`: no update calls.
    queries_only: bool,
    signature: &'a [u8],
    /// `hash_of` the raw delegation map (every field the client sent).
    hash: [u8; 32],
}

fn read_delegation(value: &Value) -> Result<SignedDelegation<'_>, String> {
    let Value::Map(signed) = value else {
        return Err("a signed delegation is not a map".into());
    };
    let Some(raw @ Value::Map(delegation)) = field(signed, "delegation") else {
        return Err("a signed delegation has no delegation map".into());
    };
    let signature = blob(signed, "signature")?.ok_or("a signed delegation has no signature")?;
    let pubkey = blob(delegation, "pubkey")?.ok_or("a delegation has no pubkey")?;
    let expiration = match field(delegation, "expiration") {
        Some(Value::Integer(n)) => u64::try_from(*n).map_err(|_| "expiration is not a u64")?,
        _ => return Err("a delegation has no expiration".into()),
    };
    let targets = match field(delegation, "targets") {
        None => None,
        Some(Value::Array(items)) => {
            if items.len() > MAX_TARGETS {
                return Err(format!(
                    "expected at most {MAX_TARGETS} targets per delegation, but got {}",
                    items.len()
                ));
            }
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                let Value::Bytes(b) = item else {
                    return Err("a delegation target is not a blob".into());
                };
                ids.push(
                    Principal::try_from_slice(b)
                        .map_err(|e| format!("invalid delegation target: {e}"))?,
                );
            }
            Some(ids)
        }
        Some(_) => return Err("targets is not an array".into()),
    };
    let queries_only = match field(delegation, "permissions") {
        None => false,
        Some(Value::Text(p)) if p == "all" => false,
        Some(Value::Text(p)) if p == "queries" => true,
        Some(other) => return Err(format!("unknown delegation permissions {other:?}")),
    };
    Ok(SignedDelegation {
        pubkey,
        expiration,
        targets,
        queries_only,
        signature,
        hash: hash_of(raw)?,
    })
}

/// Checks the signature (and delegation chain) of an envelope whose `sender` was already bound
/// to its `sender_pubkey`. `Err` is the text of a 400 answer.
pub fn verify(
    envelope: &BTreeMap<Value, Value>,
    request_id: &[u8; 32],
    ctx: &Context,
) -> Result<(), String> {
    let invalid = |e: String| format!("Invalid request envelope: {e}");
    let pubkey = blob(envelope, "sender_pubkey").map_err(invalid)?;
    let signature = blob(envelope, "sender_sig").map_err(invalid)?;
    let chain = match field(envelope, "sender_delegation") {
        None => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => return Err(invalid("sender_delegation is not an array".into())),
    };
    let Some(pubkey) = pubkey else {
        if signature.is_some() || !chain.is_empty() {
            return Err("Signature is not allowed for the anonymous user".into());
        }
        return Ok(());
    };
    let Some(signature) = signature else {
        return Err("Missing signature: the request has a sender_pubkey but no sender_sig".into());
    };

    if chain.len() > MAX_DELEGATIONS {
        return Err(format!(
            "Invalid delegation: Chain of delegations is too long: got {} delegations, but at most {MAX_DELEGATIONS} are allowed",
            chain.len()
        ));
    }
    let chain: Vec<SignedDelegation> = chain
        .iter()
        .map(read_delegation)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("Invalid delegation: {e}"))?;
    let mut seen = BTreeSet::from([pubkey]);
    for d in &chain {
        if !seen.insert(d.pubkey) {
            return Err(format!(
                "Invalid delegation: Chain of delegations contains at least one cycle: first repeating public key encountered {}",
                hex(d.pubkey)
            ));
        }
    }
    for d in &chain {
        if d.expiration < ctx.now_ns {
            return Err(format!(
                "Invalid delegation expiry: Specified sender delegation has expired: provided expiry {}, local replica time {}",
                d.expiration, ctx.now_ns
            ));
        }
    }
    let mut signer = pubkey;
    for d in &chain {
        let mut message = DELEGATION_DOMAIN.to_vec();
        message.extend_from_slice(&d.hash);
        verify_signature(signer, &message, d.signature, ctx.root_key_der)
            .map_err(|e| format!("Invalid delegation: {e}"))?;
        signer = d.pubkey;
    }
    if let Some(target) = ctx.target {
        if chain
            .iter()
            .filter_map(|d| d.targets.as_ref())
            .any(|targets| !targets.contains(&target))
        {
            return Err(format!(
                "Canister {target} is not one of the delegation targets"
            ));
        }
    }
    if ctx.call && chain.iter().any(|d| d.queries_only) {
        return Err(
            "Invalid delegation: a delegation with permissions \"queries\" does not allow update calls"
                .into(),
        );
    }
    let mut message = REQUEST_DOMAIN.to_vec();
    message.extend_from_slice(request_id);
    verify_signature(signer, &message, signature, ctx.root_key_der)
        .map_err(|e| format!("Invalid signature: {e}"))
}

/// Verifies `signature` of the DER key `pubkey_der` over `message`; the error is the IC's
/// `AuthenticationError` text (`Invalid basic signature: ...`, `Invalid canister signature:
/// ...`, `Invalid public key: ...`).
pub fn verify_signature(
    pubkey_der: &[u8],
    message: &[u8],
    signature: &[u8],
    root_key_der: &[u8],
) -> Result<(), String> {
    let spki = SubjectPublicKeyInfoRef::from_der(pubkey_der)
        .map_err(|e| format!("Invalid public key: not a DER SubjectPublicKeyInfo: {e}"))?;
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or("Invalid public key: the key bit string has unused bits")?;
    let failed = |algorithm: &str, e: String| {
        format!(
            "Invalid basic signature: {algorithm} signature could not be verified: public key {}, signature {}, error: {e}",
            hex(key),
            hex(signature)
        )
    };
    let oid = spki.algorithm.oid;
    if oid == ED25519 {
        let key = ed25519_dalek::VerifyingKey::try_from(key)
            .map_err(|e| format!("Invalid public key: Ed25519: {e}"))?;
        let sig = ed25519_dalek::Signature::from_slice(signature)
            .map_err(|e| failed("Ed25519", e.to_string()))?;
        key.verify_strict(message, &sig)
            .map_err(|e| failed("Ed25519", e.to_string()))
    } else if oid == EC_PUBLIC_KEY {
        use k256::ecdsa::signature::Verifier;
        let curve = spki
            .algorithm
            .parameters_oid()
            .map_err(|e| format!("Invalid public key: ECDSA key without a curve: {e}"))?;
        if curve == SECP256K1 {
            let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|e| format!("Invalid public key: secp256k1: {e}"))?;
            let sig = k256::ecdsa::Signature::from_slice(signature)
                .map_err(|e| failed("EcdsaSecp256k1", e.to_string()))?;
            key.verify(message, &sig)
                .map_err(|e| failed("EcdsaSecp256k1", e.to_string()))
        } else if curve == P256 {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|e| format!("Invalid public key: P-256: {e}"))?;
            let sig = p256::ecdsa::Signature::from_slice(signature)
                .map_err(|e| failed("EcdsaP256", e.to_string()))?;
            key.verify(message, &sig)
                .map_err(|e| failed("EcdsaP256", e.to_string()))
        } else {
            Err(format!(
                "Invalid public key: unsupported ECDSA curve {curve}"
            ))
        }
    } else if oid == CANISTER_SIG {
        let root = ic_canister_sig_creation::extract_raw_root_pk_from_der(root_key_der)
            .map_err(|e| format!("Invalid canister signature: the network's root key: {e}"))?;
        ic_signature_verification::verify_canister_sig(message, signature, pubkey_der, &root)
            .map_err(|e| format!("Invalid canister signature: {e}"))
    } else {
        Err(format!(
            "Invalid public key: unsupported algorithm {oid} (Ed25519, ECDSA secp256k1 and P-256, and canister signatures are)"
        ))
    }
}

#[cfg(test)]
mod tests;
