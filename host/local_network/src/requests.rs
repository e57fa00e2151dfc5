//! What the network remembers about each update call it accepted, by request id: who sent it,
//! until when it may be asked about, the runtime message it became, and how it ended. The
//! certified `/request_status/<id>` subtree is built from here, and synchronous calls (v3, v4)
//! wait here for their message to finish. Entries are dropped once their ingress expiry has
//! passed, as the IC forgets requests after expiry.

use std::collections::HashMap;

use candid::Principal;
use tokio::sync::oneshot;

use crate::state_tree::{leb128, Node};

pub type RequestId = [u8; 32];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Replied(Vec<u8>),
    Rejected {
        code: u64,
        message: String,
        error_code: String,
    },
}

struct Entry {
    sender: Principal,
    expiry_ns: u64,
    message: u64,
    outcome: Option<Outcome>,
    waiters: Vec<oneshot::Sender<()>>,
}

#[derive(Default)]
pub struct Requests {
    entries: HashMap<RequestId, Entry>,
    by_message: HashMap<u64, RequestId>,
}

/// Whether a request id is new, or was seen before (agents may resend the same request).
pub enum Known {
    New,
    /// Seen: the original sender (only they may read its status).
    Seen {
        sender: Principal,
    },
}

impl Requests {
    pub fn known(&self, id: &RequestId) -> Known {
        match self.entries.get(id) {
            None => Known::New,
            Some(e) => Known::Seen { sender: e.sender },
        }
    }

    /// Records an accepted call now running as runtime message `message`.
    pub fn accept(&mut self, id: RequestId, sender: Principal, expiry_ns: u64, message: u64) {
        self.by_message.insert(message, id);
        self.entries.insert(
            id,
            Entry {
                sender,
                expiry_ns,
                message,
                outcome: None,
                waiters: Vec::new(),
            },
        );
    }

    /// Records a call that was answered at once (the network's native system canisters).
    pub fn record_finished(
        &mut self,
        id: RequestId,
        sender: Principal,
        expiry_ns: u64,
        outcome: Outcome,
    ) {
        self.entries.insert(
            id,
            Entry {
                sender,
                expiry_ns,
                message: u64::MAX,
                outcome: Some(outcome),
                waiters: Vec::new(),
            },
        );
    }

    /// Runtime messages still running.
    pub fn running(&self) -> Vec<u64> {
        self.by_message.keys().copied().collect()
    }

    /// Stores how message `message` ended and wakes whoever waits for it.
    pub fn finish(&mut self, message: u64, outcome: Outcome) {
        let Some(id) = self.by_message.remove(&message) else {
            return;
        };
        if let Some(e) = self.entries.get_mut(&id) {
            debug_assert_eq!(e.message, message);
            e.outcome = Some(outcome);
            for w in e.waiters.drain(..) {
                let _ = w.send(());
            }
        }
    }

    /// A receiver that fires when the request has finished (at once if it already has);
    /// `None` for an unknown request.
    pub fn wait(&mut self, id: &RequestId) -> Option<oneshot::Receiver<()>> {
        let e = self.entries.get_mut(id)?;
        let (tx, rx) = oneshot::channel();
        if e.outcome.is_some() {
            let _ = tx.send(());
        } else {
            e.waiters.push(tx);
        }
        Some(rx)
    }

    pub fn outcome(&self, id: &RequestId) -> Option<&Outcome> {
        self.entries.get(id)?.outcome.as_ref()
    }

    /// The certified `/request_status/<id>` subtree: `processing` while it runs, then
    /// `replied` + `reply`, or `rejected` + `reject_code`, `reject_message`, `error_code`.
    pub fn status_node(&self, id: &RequestId) -> Option<Node> {
        let e = self.entries.get(id)?;
        let mut node = Node::default();
        match &e.outcome {
            None => node.insert(&[b"status"], Node::Leaf(b"processing".to_vec())),
            Some(Outcome::Replied(reply)) => {
                node.insert(&[b"status"], Node::Leaf(b"replied".to_vec()));
                node.insert(&[b"reply"], Node::Leaf(reply.clone()));
            }
            Some(Outcome::Rejected {
                code,
                message,
                error_code,
            }) => {
                node.insert(&[b"status"], Node::Leaf(b"rejected".to_vec()));
                node.insert(&[b"reject_code"], Node::Leaf(leb128(*code)));
                node.insert(
                    &[b"reject_message"],
                    Node::Leaf(message.as_bytes().to_vec()),
                );
                node.insert(&[b"error_code"], Node::Leaf(error_code.as_bytes().to_vec()));
            }
        }
        Some(node)
    }

    /// Forgets finished requests whose expiry has passed.
    pub fn prune(&mut self, now_ns: u64) {
        self.entries.retain(|_, e| {
            e.outcome.is_none() || e.expiry_ns + crate::envelope::EXPIRY_GRACE_NS >= now_ns
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_wakes_when_its_message_finishes_and_status_follows() {
        let mut r = Requests::default();
        let id = [3u8; 32];
        r.accept(id, Principal::anonymous(), 100, 7);
        let mut rx = r.wait(&id).unwrap();
        assert!(rx.try_recv().is_err());
        assert_eq!(r.status_node(&id).unwrap(), {
            let mut n = Node::default();
            n.insert(&[b"status"], Node::Leaf(b"processing".to_vec()));
            n
        });
        r.finish(7, Outcome::Replied(vec![1]));
        assert!(rx.try_recv().is_ok());
        assert_eq!(r.outcome(&id), Some(&Outcome::Replied(vec![1])));
        assert!(r.running().is_empty());
        r.prune(100 + crate::envelope::EXPIRY_GRACE_NS + 1);
        assert!(r.is_empty());
    }
}
