//! The part of the state tree a certificate reveals. Each reply builds a small, fully revealed
//! tree holding `/time` and exactly the subtrees the request asked for, and the root key signs
//! its root hash: a label that is not there is provably absent (agents read that as "unknown"
//! while polling), and nothing the request did not ask for is disclosed.

use std::collections::BTreeMap;

use ic_certification::hash_tree::{empty, fork, label, leaf};
use ic_certification::HashTree;

/// A node of the tree under construction. Children are kept sorted by label bytes, which the
/// agents' lookups rely on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Leaf(Vec<u8>),
    Sub(BTreeMap<Vec<u8>, Node>),
}

impl Default for Node {
    fn default() -> Self {
        Node::Sub(BTreeMap::new())
    }
}

impl Node {
    /// Puts `value` at `path`, creating subtrees on the way (a leaf on the way is replaced).
    pub fn insert(&mut self, path: &[&[u8]], value: Node) {
        let Some((first, rest)) = path.split_first() else {
            *self = value;
            return;
        };
        if !matches!(self, Node::Sub(_)) {
            *self = Node::default();
        }
        let Node::Sub(children) = self else {
            unreachable!()
        };
        let child = children.entry(first.to_vec()).or_default();
        if rest.is_empty() {
            merge(child, value);
        } else {
            child.insert(rest, value);
        }
    }

    /// The labelled hash tree: a balanced fork over each level's sorted children.
    pub fn to_hash_tree(&self) -> HashTree {
        match self {
            Node::Leaf(v) => leaf(v.clone()),
            Node::Sub(children) => {
                let labelled: Vec<HashTree> = children
                    .iter()
                    .map(|(k, v)| label(k.clone(), v.to_hash_tree()))
                    .collect();
                balanced(labelled)
            }
        }
    }
}

/// Merging keeps what both sides reveal (two requested paths under one prefix).
fn merge(into: &mut Node, value: Node) {
    match (into, value) {
        (Node::Sub(a), Node::Sub(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_default(), v);
            }
        }
        (slot, value) => *slot = value,
    }
}

fn balanced(mut nodes: Vec<HashTree>) -> HashTree {
    match nodes.len() {
        0 => empty(),
        1 => nodes.pop().expect("one node"),
        n => {
            let right = nodes.split_off(n / 2);
            fork(balanced(nodes), balanced(right))
        }
    }
}

/// Naturals in the state tree (`/time`, `reject_code`) are LEB128, as the runtime writes them.
pub use ic_runtime::certification::leb128;

#[cfg(test)]
mod tests {
    use super::*;
    use ic_certification::LookupResult;

    #[test]
    fn lookups_find_inserted_leaves_and_prove_others_absent() {
        let mut root = Node::default();
        root.insert(&[b"time"], Node::Leaf(leb128(42)));
        for l in [b"c".as_slice(), b"a", b"b", b"d"] {
            root.insert(&[b"canister", l, b"module_hash"], Node::Leaf(l.to_vec()));
        }
        root.insert(&[b"canister", b"a", b"controllers"], Node::Leaf(vec![7]));
        let tree = root.to_hash_tree();
        assert_eq!(
            tree.lookup_path([b"time".as_slice()]),
            LookupResult::Found(&[42u8][..])
        );
        assert_eq!(
            tree.lookup_path([b"canister".as_slice(), b"a", b"module_hash"]),
            LookupResult::Found(&b"a"[..])
        );
        assert_eq!(
            tree.lookup_path([b"canister".as_slice(), b"a", b"controllers"]),
            LookupResult::Found(&[7u8][..])
        );
        assert_eq!(
            tree.lookup_path([b"canister".as_slice(), b"e", b"module_hash"]),
            LookupResult::Absent
        );
    }
}
