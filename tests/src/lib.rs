//! The integration-test fixture: loads the suite's real wasm, installs canisters on an
//! [`IcEnv`] (the in-process runtime, or real PocketIC with the `pocket-ic` feature and
//! `POCKET_IC_BIN`), and makes typed calls that remember every response, so tests can check
//! that no response ever carried key material.

pub mod bench_setup;
pub mod release_dump;

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::{decode_args, encode_args, CandidType, Deserialize, Principal};
use ic_runtime::{IcEnv, RejectResponse};
use interfaces::registry::RegistryInit;
use interfaces::security::MemberInit;
use interfaces::CanisterKind;

/// Reads `target/canisters/<name>.wasm.gz`, failing with the command that builds it.
pub fn wasm(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/canisters")
        .join(format!("{name}.wasm.gz"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run `scripts/build.sh {name}` first",
            path.display()
        )
    })
}

/// The module hash the management canister reports for `name`: like the IC, the SHA-256 of the
/// module as installed (here gzipped), which is also `sha256sum target/canisters/<name>.wasm.gz`.
pub fn module_hash(name: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(wasm(name)).to_vec()
}

/// A user principal derived from `n`; never anonymous, never a controller unless made one.
pub fn user(n: u8) -> Principal {
    Principal::self_authenticating([n; 32])
}

/// The principal that installs everything and so controls every canister.
pub fn operator() -> Principal {
    user(200)
}

pub struct Suite {
    pub env: Box<dyn IcEnv>,
    /// Every response body any call of this suite received, to search for secrets.
    responses: RefCell<Vec<Vec<u8>>>,
}

impl Default for Suite {
    fn default() -> Self {
        Self::new()
    }
}

impl Suite {
    pub fn new() -> Self {
        Suite {
            env: ic_runtime::env_from_environment(),
            responses: RefCell::new(Vec::new()),
        }
    }

    /// Creates a canister controlled by [`operator`] and installs `name`'s wasm with `arg`.
    pub fn install(&self, name: &str, arg: Vec<u8>) -> Principal {
        let settings = ic_runtime::management_types::CanisterSettings {
            controllers: Some(vec![operator()]),
            ..Default::default()
        };
        let id = self
            .env
            .create_canister_with_settings(Some(operator()), Some(settings));
        self.env
            .install_canister(id, wasm(name), arg, Some(operator()));
        id
    }

    pub fn install_registry(&self, init: RegistryInit) -> Principal {
        self.install("canister_registry", encode_args((Some(init),)).unwrap())
    }

    pub fn install_member(&self, kind: CanisterKind, registry: Principal) -> Principal {
        self.install(
            kind.name(),
            encode_args((Some(MemberInit { registry }),)).unwrap(),
        )
    }

    /// Stores the calendar wasm in `registry` as the operator, the way `suite deploy-suite`
    /// does, so members can create shards from it.
    pub fn upload_calendar_wasm(&self, registry: Principal) -> interfaces::registry::WasmInfo {
        use interfaces::registry::{WasmInfo, WasmUploadStart, WASM_CHUNK_BYTES};
        use interfaces::Error;
        use sha2::Digest;
        let bytes = wasm("calendar");
        let start = WasmUploadStart {
            sha256: serde_bytes::ByteBuf::from(sha2::Sha256::digest(&bytes).to_vec()),
            size: bytes.len() as u64,
        };
        let (started,): (Result<(), Error>,) = self
            .update(registry, operator(), "start_wasm_upload", (start,))
            .unwrap();
        started.expect("upload started");
        for (index, chunk) in bytes.chunks(WASM_CHUNK_BYTES).enumerate() {
            let (left,): (Result<u64, Error>,) = self
                .update(
                    registry,
                    operator(),
                    "upload_wasm_chunk",
                    (index as u64, serde_bytes::ByteBuf::from(chunk.to_vec())),
                )
                .unwrap();
            left.expect("chunk stored");
        }
        let (committed,): (Result<WasmInfo, Error>,) = self
            .update(registry, operator(), "commit_wasm_upload", ())
            .unwrap();
        committed.expect("upload committed")
    }

    pub fn upgrade(&self, id: Principal, name: &str, arg: Vec<u8>) {
        self.env
            .upgrade_canister(id, wasm(name), arg, Some(operator()))
            .expect("upgrade succeeds");
    }

    /// An update call as `sender`, decoded as `R`; a reject is returned, not panicked on.
    pub fn update<A: ArgumentEncoder, R: for<'a> ArgumentDecoder<'a>>(
        &self,
        canister: Principal,
        sender: Principal,
        method: &str,
        args: A,
    ) -> Result<R, RejectResponse> {
        let reply = self
            .env
            .update_call(canister, sender, method, encode_args(args).unwrap());
        reply.map(|bytes| self.decode(bytes, method))
    }

    /// A query call as `sender`, decoded as `R`.
    pub fn query<A: ArgumentEncoder, R: for<'a> ArgumentDecoder<'a>>(
        &self,
        canister: Principal,
        sender: Principal,
        method: &str,
        args: A,
    ) -> Result<R, RejectResponse> {
        let reply = self
            .env
            .query_call(canister, sender, method, encode_args(args).unwrap());
        reply.map(|bytes| self.decode(bytes, method))
    }

    fn decode<R: for<'a> ArgumentDecoder<'a>>(&self, bytes: Vec<u8>, method: &str) -> R {
        let decoded = decode_args(&bytes).unwrap_or_else(|e| {
            panic!("{method} answered something other than its .did says: {e}")
        });
        self.responses.borrow_mut().push(bytes);
        decoded
    }

    /// Every response received so far, for searching.
    pub fn responses(&self) -> Vec<Vec<u8>> {
        self.responses.borrow().clone()
    }

    /// Advances virtual time and runs enough rounds for timers and the calls they make.
    pub fn advance(&self, by: Duration) {
        self.env.advance_time(by);
        self.settle();
    }

    /// Runs rounds until queued messages and the timers due now have had their turn.
    pub fn settle(&self) {
        for _ in 0..10 {
            self.env.tick();
        }
    }

    /// The access key a member canister holds, read out of its stable memory the way an
    /// attacker with a memory dump would (the suite never returns it). `None` if it has none.
    pub fn held_key(&self, member: Principal) -> Option<Vec<u8>> {
        key_in_stable_memory(&self.env.get_stable_memory(member))
    }
}

/// A member's access key found in a dump of its stable memory, the way an attacker with the dump
/// would find it. The membership is one Candid value in a `StableCell`: every Candid header is
/// tried. `None` if it holds no key.
pub fn key_in_stable_memory(memory: &[u8]) -> Option<Vec<u8>> {
    #[derive(CandidType, Deserialize)]
    struct Held {
        own_key: Option<serde_bytes::ByteBuf>,
        registry: Option<Principal>,
    }
    memory
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"DIDL")
        .find_map(|(at, _)| {
            let mut de = candid::de::IDLDeserialize::new(&memory[at..]).ok()?;
            let held: Held = de.get_value().ok()?;
            held.registry?;
            held.own_key.map(|k| k.into_vec())
        })
}

/// Whether `needle` appears anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A registry and one group, `suite`, with a member canister of each kind asked for.
pub struct Group {
    pub registry: Principal,
    pub members: Vec<(CanisterKind, Principal)>,
}

impl Group {
    /// The first member of `kind`.
    pub fn member(&self, kind: CanisterKind) -> Principal {
        self.members
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("no {kind:?} in the group"))
    }
}

impl Group {
    /// Every member of `kind`, in the order they were added (e.g. the calendar shards).
    pub fn members_of(&self, kind: CanisterKind) -> Vec<Principal> {
        self.members
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, p)| *p)
            .collect()
    }
}

impl Suite {
    /// Signs `who` up with the group's user registry (which asks the load balancer to place
    /// them) and answers the shard the balancer assigned. The group needs a user registry, a
    /// load balancer and at least one calendar shard.
    pub fn sign_up(&self, group: &Group, who: Principal) -> Principal {
        use interfaces::user::{Profile, RegisterRequest, UserAccount};
        use interfaces::Error;
        let request = RegisterRequest {
            profile: Profile {
                display_name: "User".into(),
                avatar_color: None,
                email: None,
            },
            settings: None,
        };
        let registry = group.member(CanisterKind::UserRegistry);
        loop {
            let (registered,): (Result<UserAccount, Error>,) = self
                .update(registry, who, "register", (request.clone(),))
                .unwrap();
            match registered {
                // Past the burst, new accounts come at the registry's steady rate: wait as a
                // client would (benchmarks sign up more users than one burst).
                Err(Error::RateLimited { retry_after_ns }) => {
                    self.advance(Duration::from_nanos(retry_after_ns))
                }
                other => {
                    other.expect("registered");
                    break;
                }
            }
        }
        // The registry asks the balancer from its outbox.
        self.settle();
        let balancer = group.member(CanisterKind::LoadBalancer);
        let (shard,): (Result<Principal, Error>,) =
            self.query(balancer, who, "get_shard_for", (who,)).unwrap();
        shard.expect("the balancer placed the user")
    }

    /// Installs a registry and `kinds` as members of group `suite`, delivers every key and lets
    /// every member take the final snapshot.
    pub fn group(&self, kinds: &[CanisterKind]) -> Group {
        use interfaces::security::GroupInfo;
        let registry = self.install_registry(RegistryInit::default());
        let (created,): (Result<GroupInfo, interfaces::Error>,) = self
            .update(registry, operator(), "register_canister_group", ("suite",))
            .unwrap();
        created.expect("group created");
        let members: Vec<_> = kinds
            .iter()
            .map(|&kind| (kind, self.install_member(kind, registry)))
            .collect();
        for &(kind, member) in &members {
            let (added,): (Result<GroupInfo, interfaces::Error>,) = self
                .update(
                    registry,
                    operator(),
                    "add_canister_to_group",
                    ("suite", member, kind, None::<String>),
                )
                .unwrap();
            added.expect("member added");
        }
        self.settle();
        Group { registry, members }
    }
}
