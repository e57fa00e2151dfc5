//! The running network: the in-process runtime, its keys, the request-status store, and the
//! driver thread that keeps the runtime on the wall clock. Every operation the HTTP layer needs
//! is a plain (blocking) function here; `server.rs` only decodes, dispatches and encodes.
//!
//! Time: the driver sets the runtime's time to the wall clock before each round, so timers fire
//! in real time and certificates (which carry the wall clock too) are within the agents'
//! five-minute window. Rounds run back to back while messages are queued, otherwise every
//! `IDLE_ROUND` or as soon as a call arrives.
//!
//! Persistence: the state directory holds the key seeds (`keys/`) and the runtime's saved state
//! (`ic_runtime`'s `save_state` layout). The driver saves every `save_every` when any message
//! ran since the last save, and `shutdown` saves once more.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use candid::Principal;
use ic_runtime::{PocketIc, PocketIcBuilder, RawMessageId, RejectResponse, Time};
use ic_transport_types::{
    EnvelopeContent, NodeSignature, QueryResponse, RejectCode, ReplyResponse, RequestId,
    TransportCallResponse,
};
use serde::Serialize;

use crate::cycles::{self, CyclesLedger};
use crate::envelope::{HttpError, Request};
use crate::keys::Keys;
use crate::mgmt;
use crate::reject::transport_reject;
use crate::requests::{Known, Outcome, Requests};
use crate::state_tree::{leb128, Node};

/// How long the driver sleeps between rounds when nothing is queued (timer granularity).
const IDLE_ROUND: Duration = Duration::from_millis(50);

pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after the epoch")
        .as_nanos() as u64
}

pub struct Config {
    pub state_dir: PathBuf,
    /// How often the driver saves when something changed.
    pub save_every: Duration,
    /// How long a v3/v4 call waits for its result before answering 202 (then the agent polls).
    pub sync_call_timeout: Duration,
}

impl Config {
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Config {
            state_dir: state_dir.into(),
            save_every: Duration::from_secs(10),
            sync_call_timeout: Duration::from_secs(10),
        }
    }
}

pub struct Network {
    pub pic: PocketIc,
    pub keys: Keys,
    pub config: Config,
    requests: Mutex<Requests>,
    wake: (Mutex<bool>, Condvar),
    stopping: AtomicBool,
    /// `pic.activity()` at the last save.
    saved_activity: Mutex<u64>,
    /// Whether the runtime was loaded from the state directory (false: a fresh network).
    pub restored: bool,
    /// The natively served cycles ledger and CMC.
    ledger: Mutex<CyclesLedger>,
}

/// What happened to a submitted call.
pub enum Submitted {
    /// Refused before running (`canister_inspect_message`, a management-canister check, size).
    Refused(RejectResponse),
    /// Running or done; the receiver fires when it has finished.
    Accepted(tokio::sync::oneshot::Receiver<()>),
}

fn runtime_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("runtime")
}

impl Network {
    /// Opens (or creates) the network kept in `config.state_dir`.
    pub fn open(config: Config) -> Result<Arc<Network>, String> {
        std::fs::create_dir_all(&config.state_dir)
            .map_err(|e| format!("{}: {e}", config.state_dir.display()))?;
        // Private events and access keys live in here: owner only (like ~/.ssh).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config.state_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: {e}", config.state_dir.display()))?;
        let keys = Keys::load_or_create(&config.state_dir)?;
        let ledger = CyclesLedger::open(&config.state_dir)?;
        let now = Time::from_nanos_since_unix_epoch(now_ns());
        let loaded = PocketIcBuilder::new().build_from_state(&runtime_dir(&config.state_dir))?;
        let restored = loaded.is_some();
        let pic = match loaded {
            Some(pic) => pic,
            None => {
                let mut seed = [0u8; 32];
                getrandom::getrandom(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
                PocketIcBuilder::new()
                    .with_initial_time(now)
                    .with_seed(seed)
                    .build()
            }
        };
        // Time only moves forward; a restored runtime catches up with the wall clock.
        pic.set_time(now);
        // Queries' data certificates are signed by the key clients fetch from /api/v2/status.
        pic.set_root_key(keys.root.clone());
        let activity = pic.activity();
        Ok(Arc::new(Network {
            pic,
            keys,
            config,
            requests: Mutex::new(Requests::default()),
            wake: (Mutex::new(false), Condvar::new()),
            stopping: AtomicBool::new(false),
            saved_activity: Mutex::new(activity),
            restored,
            ledger: Mutex::new(ledger),
        }))
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, CyclesLedger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cycles-ledger balance of `owner`'s default account.
    pub fn cycles_balance(&self, owner: Principal) -> u128 {
        self.ledger().balance(&cycles::Account {
            owner,
            subaccount: None,
        })
    }

    fn requests(&self) -> std::sync::MutexGuard<'_, Requests> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ------------------------------------------------------------------ driver

    /// Starts the thread that runs rounds on the wall clock and saves periodically.
    pub fn spawn_driver(self: &Arc<Self>) -> std::thread::JoinHandle<()> {
        let net = self.clone();
        std::thread::Builder::new()
            .name("ic-rounds".into())
            .spawn(move || net.drive())
            .expect("spawn the driver thread")
    }

    fn drive(&self) {
        let mut last_save = Instant::now();
        let mut last_prune = Instant::now();
        while !self.stopping.load(Ordering::SeqCst) {
            self.round();
            if last_save.elapsed() >= self.config.save_every {
                if let Err(e) = self.save_if_changed() {
                    eprintln!("local-network: saving state failed: {e}");
                }
                last_save = Instant::now();
            }
            if last_prune.elapsed() >= Duration::from_secs(30) {
                self.requests().prune(now_ns());
                last_prune = Instant::now();
            }
            if self.pic.is_idle() {
                let (lock, cv) = &self.wake;
                let mut woken = lock.lock().unwrap_or_else(|e| e.into_inner());
                if !*woken {
                    woken = cv
                        .wait_timeout(woken, IDLE_ROUND)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                *woken = false;
            }
        }
    }

    /// One round at the wall clock, then hand finished calls their results.
    pub fn round(&self) {
        self.pic
            .set_time(Time::from_nanos_since_unix_epoch(now_ns()));
        self.pic.tick();
        let running = self.requests().running();
        for message in running {
            let raw = RawMessageId {
                effective_principal: Principal::management_canister(),
                message_id: message.to_be_bytes().to_vec(),
            };
            if let Some(result) = self.pic.ingress_status(raw) {
                let outcome = match result {
                    Ok(reply) => Outcome::Replied(reply),
                    Err(r) => Outcome::Rejected {
                        code: r.reject_code as u64,
                        message: r.reject_message,
                        error_code: r.error_code.to_string(),
                    },
                };
                self.requests().finish(message, outcome);
            }
        }
    }

    fn wake_driver(&self) {
        let (lock, cv) = &self.wake;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_one();
    }

    /// Saves the runtime when any message ran since the last save.
    pub fn save_if_changed(&self) -> Result<bool, String> {
        let activity = self.pic.activity();
        let mut saved = self
            .saved_activity
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if *saved == activity && PocketIc::saved_state_exists(&runtime_dir(&self.config.state_dir))
        {
            return Ok(false);
        }
        self.pic.save_state(&runtime_dir(&self.config.state_dir))?;
        *saved = self.pic.activity();
        Ok(true)
    }

    /// Stops the driver (after its current round) and saves.
    pub fn shutdown(&self, driver: std::thread::JoinHandle<()>) -> Result<(), String> {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake_driver();
        let _ = driver.join();
        self.save_if_changed().map(|_| ())
    }

    // ------------------------------------------------------------------ endpoints

    /// `/api/v2/status`.
    pub fn status(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Status<'a> {
            #[serde(with = "serde_bytes")]
            root_key: &'a [u8],
            impl_version: &'a str,
            replica_health_status: &'a str,
        }
        crate::cbor::to_vec(&Status {
            root_key: &self.keys.root_key_der,
            impl_version: concat!("icp-calendar local_network ", env!("CARGO_PKG_VERSION")),
            replica_health_status: "healthy",
        })
    }

    /// A query, answered with a node-signed response.
    pub fn query(&self, req: &Request, effective: Principal) -> Result<Vec<u8>, HttpError> {
        let EnvelopeContent::Query {
            canister_id,
            method_name,
            arg,
            ..
        } = &req.content
        else {
            return Err(HttpError::new(400, "Expected a query request"));
        };
        mgmt::check_effective_id(effective, *canister_id, method_name, arg)
            .map_err(|e| HttpError::new(400, e))?;
        let result = if *canister_id == Principal::management_canister() {
            mgmt::query(&self.pic, req.sender, method_name, arg)
        } else if cycles::is_system(canister_id) {
            self.ledger()
                .query(*canister_id, method_name, arg, self.keys.subnet_id)
                .map_err(|message| ic_transport_types::RejectResponse {
                    reject_code: RejectCode::DestinationInvalid,
                    reject_message: message,
                    error_code: Some("IC0302".into()),
                })
        } else {
            self.pic
                .query_call(*canister_id, req.sender, method_name, arg.clone())
                .map_err(|r| transport_reject(&r))
        };
        let mut response = match result {
            Ok(reply) => QueryResponse::Replied {
                reply: ReplyResponse { arg: reply },
                signatures: Vec::new(),
            },
            Err(reject) => QueryResponse::Rejected {
                reject,
                signatures: Vec::new(),
            },
        };
        let timestamp = now_ns();
        let signable = response.signable(RequestId::new(&req.request_id), timestamp);
        let signature = NodeSignature {
            timestamp,
            signature: self.keys.node_sign(&signable),
            identity: self.keys.node_id,
        };
        match &mut response {
            QueryResponse::Replied { signatures, .. }
            | QueryResponse::Rejected { signatures, .. } => signatures.push(signature),
        }
        Ok(crate::cbor::to_vec(&response))
    }

    /// Submits an update call, unless this request id was submitted before (then the caller
    /// waits for the first submission's result, as the IC deduplicates by request id).
    pub fn submit(&self, req: &Request, effective: Principal) -> Result<Submitted, HttpError> {
        let EnvelopeContent::Call {
            canister_id,
            method_name,
            arg,
            ingress_expiry,
            ..
        } = &req.content
        else {
            return Err(HttpError::new(400, "Expected a call request"));
        };
        mgmt::check_effective_id(effective, *canister_id, method_name, arg)
            .map_err(|e| HttpError::new(400, e))?;
        if let Known::Seen { .. } = self.requests().known(&req.request_id) {
            let rx = self.requests().wait(&req.request_id).expect("seen");
            return Ok(Submitted::Accepted(rx));
        }
        if cycles::is_system(canister_id) {
            // Served at once, outside the runtime: the answer is recorded like a finished call.
            let outcome = self.ledger().update(
                &self.pic,
                req.sender,
                *canister_id,
                method_name,
                arg,
                self.keys.subnet_id,
            );
            let mut requests = self.requests();
            requests.record_finished(req.request_id, req.sender, *ingress_expiry, outcome);
            return Ok(Submitted::Accepted(
                requests.wait(&req.request_id).expect("just recorded"),
            ));
        }
        let id = match self
            .pic
            .submit_call(*canister_id, req.sender, method_name, arg.clone())
        {
            Ok(id) => id,
            Err(reject) => return Ok(Submitted::Refused(reject)),
        };
        let mut n = [0u8; 8];
        n.copy_from_slice(&id.message_id[..8]);
        let rx = {
            let mut requests = self.requests();
            requests.accept(
                req.request_id,
                req.sender,
                *ingress_expiry,
                u64::from_be_bytes(n),
            );
            requests.wait(&req.request_id).expect("just accepted")
        };
        self.wake_driver();
        Ok(Submitted::Accepted(rx))
    }

    /// The v3/v4 answer once a call has finished: a certificate of its request status.
    pub fn call_certificate(&self, req: &Request) -> Vec<u8> {
        let mut root = Node::default();
        if let Some(status) = self.requests().status_node(&req.request_id) {
            root.insert(&[b"request_status", &req.request_id], status);
        }
        let certificate = self.certify(root);
        crate::cbor::to_vec(&TransportCallResponse::Replied { certificate })
    }

    /// The body of a refused call: v3/v4 as a non-replicated rejection, v2 as a plain reject.
    pub fn refusal(&self, reject: &RejectResponse, v2: bool) -> Vec<u8> {
        let r = transport_reject(reject);
        if v2 {
            crate::cbor::to_vec(&r)
        } else {
            crate::cbor::to_vec(&TransportCallResponse::NonReplicatedRejection(r))
        }
    }

    /// `read_state` on `/canister/<effective>/` (`Some`) or `/subnet/<id>/` (`None`).
    pub fn read_state(
        &self,
        req: &Request,
        effective: Option<Principal>,
    ) -> Result<Vec<u8>, HttpError> {
        let EnvelopeContent::ReadState { paths, .. } = &req.content else {
            return Err(HttpError::new(400, "Expected a read_state request"));
        };
        let mut root = Node::default();
        for path in paths {
            let labels: Vec<&[u8]> = path.iter().map(|l| l.as_bytes()).collect();
            self.reveal(&mut root, &labels, req.sender, effective)?;
        }
        #[derive(Serialize)]
        struct ReadStateResponse {
            #[serde(with = "serde_bytes")]
            certificate: Vec<u8>,
        }
        Ok(crate::cbor::to_vec(&ReadStateResponse {
            certificate: self.certify(root),
        }))
    }

    /// Adds what one requested path reveals to `root`.
    fn reveal(
        &self,
        root: &mut Node,
        path: &[&[u8]],
        sender: Principal,
        effective: Option<Principal>,
    ) -> Result<(), HttpError> {
        let sid = self.keys.subnet_id;
        match path {
            [b"time"] => {}
            [b"subnet", rest @ ..] => match rest.first() {
                Some(id) if *id != sid.as_slice() => {}
                _ => root.insert(&[b"subnet", sid.as_slice()], self.subnet_node()),
            },
            [b"canister_ranges", rest @ ..] => match rest.first() {
                Some(id) if *id != sid.as_slice() => {}
                _ => {
                    let (lo, _) = mgmt::certified_ranges()[0];
                    root.insert(
                        &[b"canister_ranges", sid.as_slice(), lo.as_slice()],
                        Node::Leaf(self.ranges_cbor()),
                    );
                }
            },
            [b"request_status", rid, ..] => {
                let rid: [u8; 32] = (*rid)
                    .try_into()
                    .map_err(|_| HttpError::new(400, "A request id has 32 bytes"))?;
                let requests = self.requests();
                if let Known::Seen { sender: original } = requests.known(&rid) {
                    if original != sender {
                        return Err(HttpError::new(
                            403,
                            "Only the sender of a request may read its status",
                        ));
                    }
                    if let Some(status) = requests.status_node(&rid) {
                        root.insert(&[b"request_status", &rid], status);
                    }
                }
            }
            [b"canister", cid, rest @ ..] => {
                let cid = Principal::try_from_slice(cid)
                    .map_err(|e| HttpError::new(400, format!("Invalid canister id: {e}")))?;
                match effective {
                    None => {
                        return Err(HttpError::new(
                            400,
                            "Canister paths are read through /api/v*/canister/<id>/read_state",
                        ))
                    }
                    Some(e) if e != cid => {
                        return Err(HttpError::new(
                            400,
                            format!(
                            "Effective canister id {e} does not match the path's canister {cid}"
                        ),
                        ))
                    }
                    Some(_) => {}
                }
                self.reveal_canister(root, cid, rest, sender)?;
            }
            other => {
                return Err(HttpError::new(
                    404,
                    format!(
                        "Invalid path requested: /{}",
                        other
                            .iter()
                            .map(|l| String::from_utf8_lossy(l).to_string())
                            .collect::<Vec<_>>()
                            .join("/")
                    ),
                ))
            }
        }
        Ok(())
    }

    fn reveal_canister(
        &self,
        root: &mut Node,
        cid: Principal,
        rest: &[&[u8]],
        sender: Principal,
    ) -> Result<(), HttpError> {
        if !self.pic.canister_exists(cid) {
            return Ok(());
        }
        let base: [&[u8]; 2] = [b"canister", cid.as_slice()];
        let controllers = || {
            let list: Vec<serde_bytes::ByteBuf> = self
                .pic
                .get_controllers(cid)
                .iter()
                .map(|p| serde_bytes::ByteBuf::from(p.as_slice().to_vec()))
                .collect();
            Node::Leaf(crate::cbor::to_vec(&list))
        };
        let module_hash = || self.pic.module_hash(cid).map(Node::Leaf);
        match rest {
            [] => {
                root.insert(&[base[0], base[1], b"controllers"], controllers());
                if let Some(h) = module_hash() {
                    root.insert(&[base[0], base[1], b"module_hash"], h);
                }
            }
            [b"controllers", ..] => root.insert(&[base[0], base[1], b"controllers"], controllers()),
            [b"module_hash", ..] => {
                if let Some(h) = module_hash() {
                    root.insert(&[base[0], base[1], b"module_hash"], h);
                }
            }
            [b"metadata", name, ..] => {
                let name_text = String::from_utf8_lossy(name).to_string();
                if let Some((public, content)) = self.pic.canister_metadata(cid, &name_text) {
                    if !public && !self.pic.get_controllers(cid).contains(&sender) {
                        return Err(HttpError::new(
                            403,
                            format!("Custom section {name_text} is private: only controllers may read it"),
                        ));
                    }
                    root.insert(&[base[0], base[1], b"metadata", name], Node::Leaf(content));
                }
            }
            _ => {
                return Err(HttpError::new(404, "Invalid canister path requested"));
            }
        }
        Ok(())
    }

    /// `/subnet/<sid>`: its public key, type, canister ranges and the one node's key.
    fn subnet_node(&self) -> Node {
        let mut n = Node::default();
        n.insert(&[b"public_key"], Node::Leaf(self.keys.root_key_der.clone()));
        n.insert(&[b"type"], Node::Leaf(b"application".to_vec()));
        n.insert(&[b"canister_ranges"], Node::Leaf(self.ranges_cbor()));
        n.insert(
            &[b"node", self.keys.node_id.as_slice(), b"public_key"],
            Node::Leaf(self.keys.node_key_der.clone()),
        );
        n
    }

    fn ranges_cbor(&self) -> Vec<u8> {
        crate::cbor::to_vec(&mgmt::certified_ranges())
    }

    /// Adds `/time` (the wall clock) and signs.
    fn certify(&self, mut root: Node) -> Vec<u8> {
        root.insert(&[b"time"], Node::Leaf(leb128(now_ns())));
        self.keys.certificate(root.to_hash_tree())
    }

    pub fn pending_requests(&self) -> usize {
        self.requests().len()
    }
}
