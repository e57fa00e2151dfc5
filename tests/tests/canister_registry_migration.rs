//! What a released canister registry stored survives the upgrade to this code: a stable-memory
//! dump recorded from the release is loaded under the current code, whose `post_upgrade` checks
//! and records the stored layout first (`canisters/canister_registry/src/layout.rs`); every
//! group, member, admin, outbox item and the stored wasm must then read back as the release
//! answered them, and the registry must go on working on that data.
//!
//! The fixture in `canisters/canister_registry/fixtures/`: `release-v0.stable.gz` is the stable
//! memory of a registry running the release (main at f263996, layout 0) after [`fill`], and
//! `release-v0.candid` what it answered ([`Recorded`]). Both come from the ignored
//! `record_release_fixture`:
//!
//! ```text
//! CANISTER_REGISTRY_RELEASE_WASM=<the release's canister_registry.wasm.gz> \
//!   cargo test -p integration_tests --test canister_registry_migration -- --ignored
//! ```

use candid::{encode_args, CandidType, Deserialize, Principal};
use integration_tests::release_dump::{LoneCanister, Release};
use integration_tests::{operator, user, wasm};
use interfaces::registry::{RegistryInit, RegistryStats, WasmInfo, WasmUploadStart};
use interfaces::security::{AdminInfo, GroupInfo};
use interfaces::{CanisterKind, Error, Permission};
use serde_bytes::ByteBuf;
use sha2::{Digest, Sha256};

/// What the release answered after [`fill`].
#[derive(CandidType, Deserialize, Debug, PartialEq)]
struct Recorded {
    now_ns: u64,
    groups: Vec<GroupInfo>,
    admins: Vec<AdminInfo>,
    stats: RegistryStats,
    wasm: Option<WasmInfo>,
    /// The SHA-256 of each of the stored module's chunks as an admin reads them.
    wasm_chunks: Vec<ByteBuf>,
}

const RELEASE: Release = Release::of("canister_registry");

fn init(key_overlap_seconds: Option<u64>) -> Vec<u8> {
    let init = key_overlap_seconds.map(|s| RegistryInit {
        key_overlap_seconds: Some(s),
        retry_delay_seconds: Some(120),
    });
    encode_args((init,)).unwrap()
}

/// Members that are no canisters: every push and key delivery to them fails and waits in the
/// outbox, which the dump then holds too.
fn member(n: u8) -> Principal {
    Principal::from_slice(&[0x60, n, 1, 1, 1, 1, 1, 1, 1, 1])
}

/// A module of `size` bytes (the registry stores any bytes; only the hash is checked).
fn module(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| (i % 251) as u8 ^ seed)
        .collect::<Vec<u8>>()
}

struct Registry(LoneCanister);

impl Registry {
    fn call<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        update: bool,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> R {
        self.0.call(update, operator(), method, args)
    }

    fn upload(&self, bytes: &[u8], chunks: std::ops::Range<usize>) {
        let start = WasmUploadStart {
            sha256: ByteBuf::from(Sha256::digest(bytes).to_vec()),
            size: bytes.len() as u64,
        };
        let r: Result<(), Error> = self.call(true, "start_wasm_upload", (start,));
        r.unwrap();
        for (i, chunk) in bytes.chunks(1024 * 1024).enumerate() {
            if chunks.contains(&i) {
                let r: Result<u64, Error> = self.call(
                    true,
                    "upload_wasm_chunk",
                    (i as u64, ByteBuf::from(chunk.to_vec())),
                );
                r.unwrap();
            }
        }
    }

    fn record(&self) -> Recorded {
        let wasm: Option<WasmInfo> = self.call(false, "get_wasm_info", ());
        let chunks = wasm.as_ref().map_or(0, |w| w.chunks);
        let wasm_chunks = (0..chunks)
            .map(|i| {
                let c: Result<ByteBuf, Error> =
                    self.call(false, "get_wasm_chunk", (ByteBuf::new(), i));
                ByteBuf::from(Sha256::digest(c.unwrap()).to_vec())
            })
            .collect();
        Recorded {
            now_ns: self.0.now_ns(),
            groups: self.call(false, "list_groups", ()),
            admins: self.call(false, "list_admins", ()),
            stats: self.call(false, "get_registry_stats", ()),
            wasm,
            wasm_chunks,
        }
    }
}

/// Two groups with members of several kinds (one with a shard key, one key rotated, one
/// removed), admins with different permissions, a stored two-chunk module and a second upload
/// half staged.
fn fill(r: &Registry) {
    for group in ["suite", "spare"] {
        let g: Result<GroupInfo, Error> = r.call(true, "register_canister_group", (group,));
        g.unwrap();
    }
    let members = [
        ("suite", 1, CanisterKind::Calendar, Some("shard-a")),
        ("suite", 2, CanisterKind::Notification, None),
        ("suite", 3, CanisterKind::LoadBalancer, None),
        ("spare", 4, CanisterKind::UserRegistry, None),
        ("spare", 5, CanisterKind::BackupCanister, None),
    ];
    for (group, n, kind, shard_key) in members {
        let g: Result<GroupInfo, Error> = r.call(
            true,
            "add_canister_to_group",
            (group, member(n), kind, shard_key.map(String::from)),
        );
        g.unwrap();
    }
    let g: Result<GroupInfo, Error> =
        r.call(true, "remove_canister_from_group", ("spare", member(5)));
    g.unwrap();
    let k: Result<interfaces::security::GroupMemberInfo, Error> =
        r.call(true, "rotate_access_key", ("suite", member(2)));
    k.unwrap();
    for (n, permissions) in [
        (1, vec![Permission::ManageGroups]),
        (2, vec![Permission::ManageKeys, Permission::ManageWasm]),
    ] {
        let a: Result<(), Error> = r.call(true, "add_admin", (user(n), permissions));
        a.unwrap();
    }
    let stored = module(1024 * 1024 + 4096, 0);
    r.upload(&stored, 0..2);
    let w: Result<WasmInfo, Error> = r.call(true, "commit_wasm_upload", ());
    w.unwrap();
    r.upload(&module(1024 * 1024 + 100, 7), 0..1);
}

#[test]
#[ignore = "records the fixture from a release's wasm (see the module header)"]
fn record_release_fixture() {
    let r = Registry(LoneCanister::install(RELEASE.wasm(), init(Some(900))));
    fill(&r);
    let recorded = r.record();
    assert!(recorded.stats.outbox_pending > 0 && recorded.wasm.is_some());
    RELEASE.record(&r.0, &recorded);
}

#[test]
fn what_the_release_stored_survives_the_upgrade_and_keeps_working() {
    let recorded: Recorded = RELEASE.answered();
    // A registry of this code, given the release's memory at the release's time, then upgraded
    // without an argument (the stored timing stays).
    let r = Registry(LoneCanister::install(wasm("canister_registry"), init(None)));
    RELEASE.upgrade(&r.0, Some(recorded.now_ns), init(None));
    assert_eq!(
        r.record(),
        recorded,
        "every group, member, admin, outbox item and the stored wasm read back as the release \
         answered them"
    );

    // The registry keeps working on that data: the half-staged upload is restarted and
    // committed, a member joins an existing group (its version moves on from the stored one).
    let next = module(1024 * 1024 + 100, 7);
    r.upload(&next, 0..2);
    let w: Result<WasmInfo, Error> = r.call(true, "commit_wasm_upload", ());
    assert_eq!(w.unwrap().sha256.to_vec(), Sha256::digest(&next).to_vec());
    let g: Result<GroupInfo, Error> = r.call(
        true,
        "add_canister_to_group",
        ("spare", member(6), CanisterKind::Calendar, None::<String>),
    );
    let g = g.unwrap();
    assert!(g.version > recorded.stats.last_version);
    assert_eq!(g.members.len(), 2);

    // Upgrading again finds the current layout and changes nothing.
    let groups: Vec<GroupInfo> = r.call(false, "list_groups", ());
    r.0.upgrade_again("canister_registry", init(None));
    let after: Vec<GroupInfo> = r.call(false, "list_groups", ());
    assert_eq!(after, groups);
}
