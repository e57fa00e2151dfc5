//! The network's two keys and what is derived from them. The BLS12-381 root key signs every
//! certificate (there is one subnet and no delegation, like a local replica); the ed25519 node
//! key signs query responses. Both come from 32-byte seeds kept in `<state dir>/keys/`, so the
//! root key stays the same across restarts (clients may pin it: `icp -k <hex>`, icp.yaml).

use std::path::Path;

use candid::Principal;
use ed25519_dalek::{Signer, SigningKey};
use ic_certification::HashTree;
use ic_verify_bls_signature::PrivateKey;

/// DER prefix of an IC BLS12-381 public key (algorithm OID + curve OID, 96-byte bit string).
const BLS_DER_PREFIX: [u8; 37] = [
    0x30, 0x81, 0x82, 0x30, 0x1d, 0x06, 0x0d, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05,
    0x03, 0x01, 0x02, 0x01, 0x06, 0x0c, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05, 0x03,
    0x02, 0x01, 0x03, 0x61, 0x00,
];
/// DER (SubjectPublicKeyInfo) prefix of an ed25519 public key.
const ED25519_DER_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

pub struct Keys {
    root: PrivateKey,
    node: SigningKey,
    /// The DER root key clients fetch from `/api/v2/status`.
    pub root_key_der: Vec<u8>,
    pub node_key_der: Vec<u8>,
    /// `self_authenticating(root_key_der)`: both agents assume this id when there is no delegation.
    pub subnet_id: Principal,
    pub node_id: Principal,
}

impl Keys {
    pub fn from_seeds(root_seed: [u8; 32], node_seed: [u8; 32]) -> Keys {
        let root = bls_key_from_seed(root_seed);
        let node = SigningKey::from_bytes(&node_seed);
        let mut root_key_der = BLS_DER_PREFIX.to_vec();
        root_key_der.extend_from_slice(&root.public_key().serialize());
        let mut node_key_der = ED25519_DER_PREFIX.to_vec();
        node_key_der.extend_from_slice(node.verifying_key().as_bytes());
        Keys {
            subnet_id: Principal::self_authenticating(&root_key_der),
            node_id: Principal::self_authenticating(&node_key_der),
            root,
            node,
            root_key_der,
            node_key_der,
        }
    }

    /// Loads the seeds from `<dir>/keys/{root,node}.seed`, creating them on first use.
    pub fn load_or_create(dir: &Path) -> Result<Keys, String> {
        let keys = dir.join("keys");
        std::fs::create_dir_all(&keys).map_err(|e| format!("{}: {e}", keys.display()))?;
        let root = seed_file(&keys.join("root.seed"))?;
        let node = seed_file(&keys.join("node.seed"))?;
        Ok(Keys::from_seeds(root, node))
    }

    /// A CBOR certificate (self-describe tag 55799) over `tree`, signed by the root key:
    /// BLS over `"\x0Dic-state-root" ‖ root hash`.
    pub fn certificate(&self, tree: HashTree) -> Vec<u8> {
        let mut message = b"\x0Dic-state-root".to_vec();
        message.extend_from_slice(&tree.digest());
        let certificate = ic_certification::Certificate {
            tree,
            signature: self.root.sign(&message).serialize().to_vec(),
            delegation: None,
        };
        crate::cbor::to_vec(&certificate)
    }

    /// ed25519 signature of the node key (query responses).
    pub fn node_sign(&self, message: &[u8]) -> Vec<u8> {
        self.node.sign(message).to_bytes().to_vec()
    }

    pub fn root_key_hex(&self) -> String {
        self.root_key_der
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A BLS secret scalar from a seed: the seed is hashed with a counter until it is a valid
/// scalar (below the group order), so any 32 random bytes give a key.
fn bls_key_from_seed(seed: [u8; 32]) -> PrivateKey {
    use sha2::{Digest, Sha256};
    for counter in 0u32.. {
        let mut h = Sha256::new();
        h.update(b"icp-calendar local network root key");
        h.update(seed);
        h.update(counter.to_be_bytes());
        if let Ok(key) = PrivateKey::deserialize(&h.finalize()) {
            return key;
        }
    }
    unreachable!("about half of all 32-byte strings are valid scalars")
}

fn seed_file(path: &Path) -> Result<[u8; 32], String> {
    match std::fs::read(path) {
        Ok(bytes) => bytes
            .try_into()
            .map_err(|_| format!("{} is not a 32-byte seed", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::getrandom(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
            write_private(path, &seed)?;
            Ok(seed)
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes a secret readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_verify_against_the_root_key_and_fail_when_tampered() {
        let keys = Keys::from_seeds([1; 32], [2; 32]);
        assert_eq!(keys.root_key_der.len(), 133);
        let tree = ic_certification::hash_tree::label(
            "time",
            ic_certification::hash_tree::leaf(vec![1u8]),
        );
        let digest = tree.digest();
        let cert: serde_cbor::Value = serde_cbor::from_slice(&keys.certificate(tree)).unwrap();
        let serde_cbor::Value::Map(m) = cert else {
            panic!("map")
        };
        let sig = match &m[&serde_cbor::Value::Text("signature".into())] {
            serde_cbor::Value::Bytes(b) => b.clone(),
            _ => panic!("bytes"),
        };
        let mut msg = b"\x0Dic-state-root".to_vec();
        msg.extend_from_slice(&digest);
        let pk = &keys.root_key_der[37..];
        assert!(ic_verify_bls_signature::verify_bls_signature(&sig, &msg, pk).is_ok());
        msg[20] ^= 1;
        assert!(ic_verify_bls_signature::verify_bls_signature(&sig, &msg, pk).is_err());
    }

    #[test]
    fn the_same_seeds_give_the_same_keys() {
        let a = Keys::from_seeds([7; 32], [8; 32]);
        let b = Keys::from_seeds([7; 32], [8; 32]);
        assert_eq!(a.root_key_der, b.root_key_der);
        assert_eq!(a.node_id, b.node_id);
        assert_ne!(a.subnet_id, Keys::from_seeds([9; 32], [8; 32]).subnet_id);
    }
}
