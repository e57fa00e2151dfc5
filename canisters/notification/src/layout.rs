//! The stored layout: its version and the migrations from older versions, as
//! `canisters/user_registry/src/layout.rs` does it.
//!
//! The version lives in the counters cell (`model::Counters::layout`), which is part of the
//! canister's data, so a backup snapshot carries the version of the data it holds. [`migrate`]
//! runs first whenever code meets stored data it did not write itself: after install and
//! upgrade (`lifecycle.rs`) and after a restore (`state.rs`). It refuses data from a newer
//! layout (the caller traps, which undoes the upgrade or the restore) rather than guess at it.
//!
//! Versions:
//! - 0: releases before the version was stored (main up to f263996). Operator alerts are the
//!   wire `Alert` in Candid.
//! - 1: each alert is `model::AlertRecord`, this canister's own type, stored `Compact`; the
//!   migration from 0 re-encodes every alert (at most `alerts::MAX_ALERTS`, 10,000, each a few
//!   thousand instructions: far below the upgrade's limit). Everything else keeps the bytes
//!   layout 0 wrote: the reminder records, inbox entries and schedules were already this
//!   canister's own binary layout (`codec.rs`, a layout byte in every record) and the counters
//!   its own Candid record, so re-encoding them would change nothing but the cost of the upgrade.
//!   The values behind those bytes were later made own types too (the inbox entry's event is
//!   its `(shard, event id)` key instead of the wire `EventRef`, a schedule is
//!   `model::StoredSchedule` instead of the wire `Schedule`), writing the same bytes, so they
//!   are still layout 1 (`model/inbox.rs` and `model/schedule.rs` pin the bytes).
//! - 2: a schedule's recurrence may carry RDATEs, written under recurrence tag 2
//!   (`model/schedule.rs`). Nothing is re-encoded (every record layout 1 wrote reads as it is);
//!   the version only makes a release before it refuse this data instead of misreading a
//!   schedule with RDATEs.
//! - 3: an active event record may carry attendees' own plans, under state tag 2
//!   (`model/reminder.rs`). Nothing is re-encoded: a plan without them keeps tag 0's bytes, and
//!   the version makes a release before it refuse this data instead of misreading it.
//!
//! A new version adds a step to [`migrate`] and a test that reads a stable-memory dump written
//! by the release before it (`tests/tests/notification_migration.rs` reads the version-0 dump in
//! `canisters/notification/fixtures/`).

use canister_kit::layout::Outcome;
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::Memory;
use interfaces::notification::Alert;

use crate::memory;
use crate::model::AlertRecord;
use crate::store::Store;

/// The layout this code writes.
pub const CURRENT: u32 = 3;

/// Brings the stored data to the [`CURRENT`] layout, or says why it cannot. `open` gives the
/// memory of an id (as `Store::init` takes it); the store is re-opened after the steps, which
/// rewrote structures underneath it.
pub fn migrate<M: Memory>(
    store: &mut Store<M>,
    open: impl Fn(MemoryId) -> M,
) -> Result<Outcome, String> {
    let outcome = canister_kit::layout::run_steps(store.layout(), CURRENT, |from| match from {
        0 => alerts_to_compact(open(memory::ALERTS)),
        // 1 -> 2: layout 1's records are layout 2 records without RDATEs.
        1 => Ok(()),
        // 2 -> 3: layout 2's records are layout 3 records without attendees' plans.
        2 => Ok(()),
        _ => unreachable!("every version below CURRENT has a step"),
    })?;
    if outcome != Outcome::Current {
        *store = Store::init(&open);
        store.set_layout(CURRENT);
    }
    Ok(outcome)
}

/// 0 -> 1: every alert from the Candid wire `Alert` to `Compact<AlertRecord>`.
fn alerts_to_compact<M: Memory>(alerts: M) -> Result<(), String> {
    canister_kit::layout::candid_values_to_compact::<M, u64, Alert, AlertRecord>(alerts, "alert")
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::Principal;
    use ic_stable_structures::memory_manager::{MemoryManager, VirtualMemory};
    use ic_stable_structures::{StableBTreeMap, VectorMemory};
    use interfaces::notification::{AlertAck, AlertKind, AlertQuery, AlertSeverity};

    /// Memories by id, shared by every structure opened over them.
    fn memories() -> impl Fn(MemoryId) -> VirtualMemory<VectorMemory> {
        let manager = MemoryManager::init(VectorMemory::default());
        move |id| manager.get(id)
    }

    fn v0_alert(id: u64) -> Alert {
        Alert {
            id,
            kind: AlertKind::BackupFailed,
            severity: AlertSeverity::Critical,
            subject: None,
            message: "backup failed".into(),
            raised_by: Principal::from_slice(&[1; 10]),
            first_raised_at_ns: 5,
            last_raised_at_ns: 6,
            count: 2,
            acknowledged: Some(AlertAck {
                by: Principal::from_slice(&[2; 10]),
                at_ns: 7,
            }),
        }
    }

    #[test]
    fn layout_0_alerts_are_re_encoded_and_read_back() {
        let open = memories();
        {
            // What layout 0 wrote: Candid wire alerts.
            let mut raw: StableBTreeMap<u64, Vec<u8>, _> =
                StableBTreeMap::init(open(memory::ALERTS));
            raw.insert(3, candid::encode_one(v0_alert(3)).unwrap());
        }
        let mut store = Store::init(&open);
        assert_eq!(store.layout(), 0);
        assert_eq!(
            migrate(&mut store, &open),
            Ok(Outcome::Migrated { from: 0 })
        );
        assert_eq!(store.layout(), CURRENT);
        let query = AlertQuery {
            include_acknowledged: true,
            ..Default::default()
        };
        assert_eq!(store.list_alerts(&query).unwrap().alerts, vec![v0_alert(3)]);
        assert_eq!(migrate(&mut store, &open), Ok(Outcome::Current));
        // The version survives re-opening the store (it is in stable memory, not on the heap).
        assert_eq!(Store::init(&open).layout(), CURRENT);
    }

    #[test]
    fn a_newer_layout_is_refused_and_left_as_it_is() {
        let open = memories();
        let mut store = Store::init(&open);
        store.set_layout(CURRENT + 1);
        assert!(migrate(&mut store, &open).is_err());
        assert_eq!(store.layout(), CURRENT + 1);
    }
}
