//! The network's two keys and what is derived from them. The BLS12-381 root key signs every
//! certificate (there is one subnet and no delegation, like a local replica); the ed25519 node
//! key signs query responses. Both come from 32-byte seeds kept in `<state dir>/keys/`, so the
//! root key stays the same across restarts (clients may pin it: `icp -k <hex>`, icp.yaml).

use std::path::Path;
use std::sync::Arc;

use candid::Principal;
use ed25519_dalek::{Signer, SigningKey};
use ic_certification::HashTree;
use ic_runtime::certification::RootKey;

/// DER (SubjectPublicKeyInfo) prefix of an ed25519 public key.
const ED25519_DER_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

pub struct Keys {
    /// Also signs the data certificates the runtime gives queries (`Network::open`).
    pub root: Arc<RootKey>,
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
        let root = Arc::new(RootKey::from_seed(root_seed));
        let node = SigningKey::from_bytes(&node_seed);
        let root_key_der = root.der().to_vec();
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

    /// A CBOR certificate over `tree`, signed by the root key (no delegation).
    pub fn certificate(&self, tree: HashTree) -> Vec<u8> {
        self.root.certificate(tree)
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
