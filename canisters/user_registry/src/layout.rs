//! The stored layout: its version and the migrations from older versions, as the calendar's
//! `layout.rs` does it.
//!
//! The version lives in the `Config` cell, so a backup snapshot carries the version of the data
//! it holds. [`migrate`] runs first whenever code meets stored data it did not write itself:
//! after install and upgrade (`lifecycle.rs`) and after a restore (`state.rs`). It refuses data
//! from a newer layout (the caller traps, which undoes the upgrade or the restore) rather than
//! guess at it.
//!
//! Versions:
//! - 0: releases before the version was stored (main up to 9e6f0f8). Each user's record is the
//!   Candid record [`UserRecordV0`] holding the wire `Profile` and `Settings`.
//! - 1: each user's record is `model::UserRecord`, this canister's own type, stored `Compact`.
//!   The migration from 0 re-encodes every user's record (all in the upgrade message: a record
//!   costs well under a million instructions, so even 100,000 users stay far below the upgrade's
//!   limit). Outbox items and deletions are unchanged.
//!
//! A new version adds a step to [`migrate`] and a test that reads a stable-memory dump written
//! by the release before it (`tests/tests/user_registry_migration.rs` reads the version-0 dump in
//! `canisters/user_registry/fixtures/`).

use candid::{CandidType, Deserialize, Principal};
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::{Memory, StableBTreeMap};
use interfaces::user::{Profile, Settings};

use crate::accounts::Accounts;
use crate::memory;
use crate::model::UserRecord;

/// The layout this code writes.
pub const CURRENT: u32 = 1;

/// What [`migrate`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The data was already in the current layout.
    Current,
    /// The data was migrated from this version.
    Migrated { from: u32 },
}

/// A user's record as layout 0 stored it (Candid, the wire types inside).
#[derive(CandidType, Deserialize)]
pub struct UserRecordV0 {
    pub profile: Profile,
    pub settings: Settings,
    pub registered_at_ns: u64,
    pub updated_at_ns: u64,
    pub shard: Option<Principal>,
    pub shard_request: Option<u64>,
}

impl From<UserRecordV0> for UserRecord {
    fn from(v0: UserRecordV0) -> Self {
        UserRecord {
            profile: v0.profile.into(),
            settings: v0.settings.into(),
            registered_at_ns: v0.registered_at_ns,
            updated_at_ns: v0.updated_at_ns,
            shard: v0.shard,
            shard_request: v0.shard_request,
        }
    }
}

/// Brings the stored data to the [`CURRENT`] layout, or says why it cannot. `open` gives the
/// memory of an id (as `Accounts::init` takes it); the accounts are re-opened after a step that
/// rewrote a structure underneath them.
pub fn migrate<M: Memory>(
    accounts: &mut Accounts<M>,
    open: impl Fn(MemoryId) -> M,
) -> Result<Outcome, String> {
    let stored = accounts.layout();
    let steps = canister_kit::layout::pending_steps(stored, CURRENT)?;
    if steps.is_empty() {
        return Ok(Outcome::Current);
    }
    for from in steps {
        match from {
            0 => users_to_compact(open(memory::USERS))?,
            _ => unreachable!("every version below CURRENT has a step"),
        }
    }
    *accounts = Accounts::init(&open);
    accounts.set_layout(CURRENT);
    Ok(Outcome::Migrated { from: stored })
}

/// 0 -> 1: every user's record from Candid [`UserRecordV0`] to `Compact<UserRecord>`, read and
/// written as raw bytes (the map's values are unbounded blobs either way).
fn users_to_compact<M: Memory>(users: M) -> Result<(), String> {
    let mut raw: StableBTreeMap<Principal, Vec<u8>, M> = StableBTreeMap::init(users);
    let old: Vec<(Principal, Vec<u8>)> = raw.iter().map(|e| (*e.key(), e.value())).collect();
    for (user, bytes) in old {
        let v0: UserRecordV0 = candid::decode_one(&bytes)
            .map_err(|e| format!("user {user}'s layout-0 record does not decode: {e}"))?;
        let record = UserRecord::from(v0);
        let compact = postcard::to_allocvec(&record).map_err(|e| e.to_string())?;
        raw.insert(user, compact);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::memory_manager::{MemoryManager, VirtualMemory};
    use ic_stable_structures::VectorMemory;
    use interfaces::user::RegisterRequest;

    /// Memories by id, shared by every structure opened over them.
    fn memories() -> impl Fn(MemoryId) -> VirtualMemory<VectorMemory> {
        let manager = MemoryManager::init(VectorMemory::default());
        move |id| manager.get(id)
    }

    fn v0_record(name: &str) -> UserRecordV0 {
        UserRecordV0 {
            profile: Profile {
                display_name: name.into(),
                avatar_color: None,
                email: None,
            },
            settings: Settings::default(),
            registered_at_ns: 5,
            updated_at_ns: 6,
            shard: None,
            shard_request: Some(1),
        }
    }

    #[test]
    fn layout_0_records_are_re_encoded_and_read_back() {
        let open = memories();
        let user = Principal::from_slice(&[1; 10]);
        {
            // What layout 0 wrote: Candid records.
            let mut raw: StableBTreeMap<Principal, Vec<u8>, _> =
                StableBTreeMap::init(open(memory::USERS));
            raw.insert(user, candid::encode_one(v0_record("Ada")).unwrap());
        }
        let mut accounts = Accounts::init(&open);
        assert_eq!(accounts.layout(), 0);
        assert_eq!(
            migrate(&mut accounts, &open),
            Ok(Outcome::Migrated { from: 0 })
        );
        assert_eq!(accounts.layout(), CURRENT);
        let account = accounts.account(user).unwrap();
        assert_eq!(account.profile.display_name, "Ada");
        assert_eq!(account.settings, Settings::default());
        assert_eq!(migrate(&mut accounts, &open), Ok(Outcome::Current));
    }

    #[test]
    fn a_newer_layout_is_refused_and_left_as_it_is() {
        let open = memories();
        let mut accounts = Accounts::init(&open);
        accounts.set_layout(CURRENT + 1);
        assert!(migrate(&mut accounts, &open).is_err());
        assert_eq!(accounts.layout(), CURRENT + 1);
    }

    #[test]
    fn a_fresh_canister_is_stamped_with_the_current_layout() {
        let open = memories();
        let mut accounts = Accounts::init(&open);
        migrate(&mut accounts, &open).unwrap();
        let request = RegisterRequest {
            profile: v0_record("Bo").profile,
            settings: None,
        };
        accounts
            .register(Principal::from_slice(&[2; 10]), request, 1)
            .unwrap();
        assert_eq!(accounts.layout(), CURRENT);
    }
}
