//! Migration tests against a release's stable memory: one canister alone on its own runtime,
//! installed by the operator, whose stable memory is recorded as a gzipped fixture from a
//! release's wasm and later loaded under this code and upgraded (so `post_upgrade` migrates it).
//!
//! A group member filled through its group endpoints (`sync_reminders`, `raise_alert`, ...) is
//! installed with the operator standing in for its registry ([`LoneCanister::install_member`]):
//! the operator pushes a group snapshot naming stand-in peers with keys derived here
//! ([`LoneCanister::admit_peers`]), and the test calls as those peers with their keys.
//!
//! [`Release`] holds the steps every `tests/tests/*_migration.rs` shares: where a canister's
//! fixture lives, recording it from the release's wasm, reading what the release answered, and
//! loading the dump under this code at the release's time and upgrading. Each test keeps only
//! what is its canister's own: how to fill it, what to record, what must still work.

use std::path::{Path, PathBuf};

use candid::utils::ArgumentEncoder;
use candid::{decode_one, encode_args, encode_one, CandidType, Deserialize, Principal};
use ic_runtime::{BlobCompression, PocketIc, Time};
use interfaces::security::{GroupMember, MemberInit, MemberKeys, SnapshotOutcome};
use interfaces::{CanisterKind, Error, GroupSnapshot};
use security_base::AccessKey;

use crate::{operator, wasm};

pub struct LoneCanister {
    pub pic: PocketIc,
    pub id: Principal,
}

impl LoneCanister {
    /// Installs `module` with the encoded `arg` on a fresh runtime.
    pub fn install(module: Vec<u8>, arg: Vec<u8>) -> Self {
        let pic = PocketIc::new();
        let settings = ic_runtime::management_types::CanisterSettings {
            controllers: Some(vec![operator()]),
            ..Default::default()
        };
        let id = pic.create_canister_with_settings(Some(operator()), Some(settings));
        pic.install_canister(id, module, arg, Some(operator()));
        LoneCanister { pic, id }
    }

    /// Installs a group member whose registry is the operator, so the test can push its group.
    pub fn install_member(module: Vec<u8>) -> Self {
        let init = Some(MemberInit {
            registry: operator(),
        });
        Self::install(module, encode_args((init,)).unwrap())
    }

    /// Installs another canister on the same runtime (a peer the lone canister calls), the
    /// operator controlling it.
    pub fn install_beside(&self, module: Vec<u8>, arg: Vec<u8>) -> Principal {
        let settings = ic_runtime::management_types::CanisterSettings {
            controllers: Some(vec![operator()]),
            ..Default::default()
        };
        let id = self
            .pic
            .create_canister_with_settings(Some(operator()), Some(settings));
        self.pic.install_canister(id, module, arg, Some(operator()));
        id
    }

    /// Pushes (as the stand-in registry) a group of this canister and `peers`, each with a key
    /// of its own; answers the keys in the order of `peers`. Pushing again needs a higher
    /// `version`.
    pub fn admit_peers(
        &self,
        own_kind: CanisterKind,
        peers: &[(Principal, CanisterKind)],
        version: u64,
    ) -> Vec<Vec<u8>> {
        self.admit_peers_of(self.id, own_kind, peers, version)
    }

    /// [`Self::admit_peers`] for another member on this runtime (one [`Self::install_beside`]
    /// installed with the operator as its registry).
    pub fn admit_peers_of(
        &self,
        member: Principal,
        own_kind: CanisterKind,
        peers: &[(Principal, CanisterKind)],
        version: u64,
    ) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        let mut members = vec![GroupMember {
            principal: member,
            canister_type: own_kind,
            shard_key: None,
            keys: None,
        }];
        for (n, &(peer, kind)) in peers.iter().enumerate() {
            let (key, salt) = AccessKey::generate(&[n as u8 + 1; 32]);
            members.push(GroupMember {
                principal: peer,
                canister_type: kind,
                shard_key: None,
                keys: Some(MemberKeys {
                    current: key.hash_for(&peer, &salt),
                    previous: None,
                    previous_valid_until_ns: 0,
                }),
            });
            keys.push(key.expose_bytes().to_vec());
        }
        let snapshot = GroupSnapshot {
            group_id: "release-dump".into(),
            version,
            members,
            admins: vec![],
        };
        let outcome: Result<SnapshotOutcome, Error> = self.call_to(
            member,
            true,
            operator(),
            "receive_group_snapshot",
            (snapshot,),
        );
        assert_eq!(outcome, Ok(SnapshotOutcome::Accepted { version }));
        keys
    }

    /// An update (or with `update` false, a query) call answering one value, decoded as `R`.
    pub fn call<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        update: bool,
        who: Principal,
        method: &str,
        args: impl ArgumentEncoder,
    ) -> R {
        self.call_to(self.id, update, who, method, args)
    }

    /// [`Self::call`] to another canister on this runtime.
    pub fn call_to<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        canister: Principal,
        update: bool,
        who: Principal,
        method: &str,
        args: impl ArgumentEncoder,
    ) -> R {
        let arg = encode_args(args).unwrap();
        let reply = if update {
            self.pic.update_call(canister, who, method, arg)
        } else {
            self.pic.query_call(canister, who, method, arg)
        };
        decode_one(&reply.unwrap()).unwrap()
    }

    /// Writes the stable memory to `path` + `.gz` (gzip -9, no name or time in it).
    pub fn record_stable_memory(&self, path: &Path) {
        std::fs::write(path, self.pic.get_stable_memory(self.id)).unwrap();
        let status = std::process::Command::new("gzip")
            .args(["-9", "-n", "-f"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Loads a recorded gzipped stable memory, then upgrades to `module`: what a deployed
    /// canister of that release goes through when this code is installed.
    pub fn load_and_upgrade(&self, dump: Vec<u8>, module: Vec<u8>, arg: Vec<u8>) {
        self.pic
            .set_stable_memory(self.id, dump, BlobCompression::Gzip);
        self.pic
            .upgrade_canister(self.id, module, arg, Some(operator()))
            .expect("the upgrade migrates the release's data");
    }

    /// Upgrades to this code's `name` wasm again, keeping the memory (a second upgrade must
    /// find the current layout and change nothing).
    pub fn upgrade_again(&self, name: &str, arg: Vec<u8>) {
        self.pic
            .upgrade_canister(self.id, wasm(name), arg, Some(operator()))
            .expect("a second upgrade succeeds");
    }

    /// The runtime's clock.
    pub fn now_ns(&self) -> u64 {
        self.pic.get_time().as_nanos_since_unix_epoch()
    }
}

/// One canister's recorded release, in `canisters/<name>/fixtures/`: `release-v0.stable.gz`,
/// the stable memory of a canister running the release after the test filled it, and
/// `release-v0.candid`, what that canister answered then (a record type each test defines).
pub struct Release {
    name: &'static str,
}

impl Release {
    /// The fixture of the canister whose crate, `.did` and wasm are called `name`.
    pub const fn of(name: &'static str) -> Self {
        Release { name }
    }

    fn path(&self, file: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../canisters")
            .join(self.name)
            .join("fixtures")
            .join(file)
    }

    /// The release's wasm, from the path in `<NAME>_RELEASE_WASM` (only recording needs it).
    pub fn wasm(&self) -> Vec<u8> {
        let var = format!("{}_RELEASE_WASM", self.name.to_uppercase());
        let path = std::env::var(&var).unwrap_or_else(|_| panic!("{var}: the release's wasm"));
        std::fs::read(path).expect("readable wasm")
    }

    /// Writes the fixture: `canister`'s stable memory and what it `answered`.
    pub fn record<T: CandidType>(&self, canister: &LoneCanister, answered: &T) {
        canister.record_stable_memory(&self.path("release-v0.stable"));
        std::fs::write(
            self.path("release-v0.candid"),
            encode_one(answered).unwrap(),
        )
        .unwrap();
    }

    /// What the release answered when the fixture was recorded.
    pub fn answered<T: CandidType + for<'a> Deserialize<'a>>(&self) -> T {
        decode_one(&std::fs::read(self.path("release-v0.candid")).unwrap()).unwrap()
    }

    /// Gives `canister` (installed from this code) the release's stable memory, with the clock
    /// at `at_ns` when given (the release's time, for data that depends on it), and upgrades it
    /// to this code with `arg`, so its `post_upgrade` meets the release's data.
    pub fn upgrade(&self, canister: &LoneCanister, at_ns: Option<u64>, arg: Vec<u8>) {
        if let Some(at_ns) = at_ns {
            canister
                .pic
                .set_time(Time::from_nanos_since_unix_epoch(at_ns));
        }
        let dump = std::fs::read(self.path("release-v0.stable.gz")).unwrap();
        canister.load_and_upgrade(dump, wasm(self.name), arg);
    }
}
