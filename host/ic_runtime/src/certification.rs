//! The subnet's root key and the certificates it signs. On the IC every certificate is a hash
//! tree signed by the subnet's threshold BLS12-381 key (or a delegation from the root key); here
//! one BLS key plays both parts, like a local replica. The same key signs the data certificates
//! non-replicated queries read with `ic0.data_certificate_copy` (a tree of `/time` and
//! `/canister/<id>/certified_data`) and, in `host/local_network`, every HTTP-interface certificate,
//! so an agent that fetched the root key verifies both.
//!
//! Signing uses DFINITY's `ic-verify-bls-signature` (its `PrivateKey::sign`) and the tree and
//! certificate types of `ic-certification`; only the seed-to-scalar step is ours.

use candid::Principal;
use ic_certification::hash_tree::{fork, label, leaf};
use ic_certification::{Certificate, HashTree};
use ic_verify_bls_signature::PrivateKey;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// DER prefix of an IC BLS12-381 public key (algorithm OID + curve OID, 96-byte bit string).
const BLS_DER_PREFIX: [u8; 37] = [
    0x30, 0x81, 0x82, 0x30, 0x1d, 0x06, 0x0d, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05,
    0x03, 0x01, 0x02, 0x01, 0x06, 0x0c, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05, 0x03,
    0x02, 0x01, 0x03, 0x61, 0x00,
];

/// Domain separator of a certificate signature (interface spec, "Certification").
const STATE_ROOT_DOMAIN: &[u8] = b"\x0Dic-state-root";

/// The key that signs this runtime's certificates.
pub struct RootKey {
    secret: PrivateKey,
    der: Vec<u8>,
}

impl RootKey {
    /// A key from any 32 bytes: the seed is hashed with a counter until it is a valid scalar
    /// (below the group order), so the same seed always gives the same key.
    pub fn from_seed(seed: [u8; 32]) -> RootKey {
        for counter in 0u32.. {
            let mut h = Sha256::new();
            h.update(b"icp-calendar local network root key");
            h.update(seed);
            h.update(counter.to_be_bytes());
            if let Ok(secret) = PrivateKey::deserialize(&h.finalize()) {
                let mut der = BLS_DER_PREFIX.to_vec();
                der.extend_from_slice(&secret.public_key().serialize());
                return RootKey { secret, der };
            }
        }
        unreachable!("about half of all 32-byte strings are valid scalars")
    }

    /// The DER-encoded public key (133 bytes), as `/api/v2/status` and `ic0.root_key_copy` give it.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// A CBOR certificate (self-describe tag 55799) over `tree`: BLS over
    /// `"\x0Dic-state-root" ‖ root hash`, no delegation.
    pub fn certificate(&self, tree: HashTree) -> Vec<u8> {
        let mut message = STATE_ROOT_DOMAIN.to_vec();
        message.extend_from_slice(&tree.digest());
        let certificate = Certificate {
            tree,
            signature: self.secret.sign(&message).serialize().to_vec(),
            delegation: None,
        };
        let mut ser = serde_cbor::Serializer::new(Vec::new());
        ser.self_describe().expect("writing to a Vec cannot fail");
        certificate
            .serialize(&mut ser)
            .expect("a certificate serializes to CBOR");
        ser.into_inner()
    }

    /// The certificate a non-replicated query reads: `/canister/<id>/certified_data` and `/time`.
    pub fn data_certificate(
        &self,
        canister: Principal,
        certified_data: &[u8],
        time: u64,
    ) -> Vec<u8> {
        let canister_subtree = label(
            "canister",
            label(
                canister.as_slice().to_vec(),
                label("certified_data", leaf(certified_data.to_vec())),
            ),
        );
        // Labels of a fork are ordered: "canister" < "time".
        self.certificate(fork(canister_subtree, label("time", leaf(leb128(time)))))
    }
}

/// A natural number as the state tree stores it (`/time`): unsigned LEB128.
pub fn leb128(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// What a query's `ic0.data_certificate_*` calls read. Signing costs a BLS signature, so the
/// certificate is made on first use: most queries never ask for it.
pub struct DataCertificate {
    key: std::sync::Arc<RootKey>,
    canister: Principal,
    certified_data: Vec<u8>,
    time: u64,
    made: std::sync::OnceLock<Vec<u8>>,
}

impl DataCertificate {
    pub fn new(
        key: std::sync::Arc<RootKey>,
        canister: Principal,
        certified_data: Vec<u8>,
        time: u64,
    ) -> Self {
        DataCertificate {
            key,
            canister,
            certified_data,
            time,
            made: std::sync::OnceLock::new(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        self.made.get_or_init(|| {
            self.key
                .data_certificate(self.canister, &self.certified_data, self.time)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_certification::LookupResult;

    fn decode(bytes: &[u8]) -> Certificate {
        serde_cbor::from_slice(bytes).expect("a CBOR certificate")
    }

    #[test]
    fn a_data_certificate_reveals_certified_data_and_time_and_verifies() {
        let key = RootKey::from_seed([3; 32]);
        assert_eq!(key.der().len(), 133);
        let id = Principal::from_slice(&[1, 2, 3]);
        let cert = decode(&key.data_certificate(id, b"hash", 624_485));
        assert_eq!(
            cert.tree
                .lookup_path([b"canister".as_slice(), id.as_slice(), b"certified_data"]),
            LookupResult::Found(&b"hash"[..])
        );
        assert_eq!(
            cert.tree.lookup_path([b"time".as_slice()]),
            LookupResult::Found(&[0xe5, 0x8e, 0x26][..])
        );
        let mut message = STATE_ROOT_DOMAIN.to_vec();
        message.extend_from_slice(&cert.tree.digest());
        let public = &key.der()[BLS_DER_PREFIX.len()..];
        assert!(
            ic_verify_bls_signature::verify_bls_signature(&cert.signature, &message, public)
                .is_ok()
        );
        message[20] ^= 1;
        assert!(
            ic_verify_bls_signature::verify_bls_signature(&cert.signature, &message, public)
                .is_err()
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_key() {
        assert_eq!(
            RootKey::from_seed([7; 32]).der(),
            RootKey::from_seed([7; 32]).der()
        );
        assert_ne!(
            RootKey::from_seed([7; 32]).der(),
            RootKey::from_seed([8; 32]).der()
        );
    }
}
