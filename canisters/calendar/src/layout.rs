//! The stored layout: its version and the migrations from older versions.
//!
//! The version lives in the store's `Meta` cell, so a backup snapshot carries the version of the
//! data it holds. [`migrate`] runs first whenever code meets stored data it did not write
//! itself: after install and upgrade (the lifecycle path in `lib.rs`), and after a restore. It
//! refuses data from a newer layout (the caller traps, which undoes the upgrade or the restore)
//! rather than guess at it.
//!
//! Versions:
//! - 0: releases before the version was stored (main up to f445301). Each event record is the
//!   Candid record `{ event: Event; slot: Placement }`; `Meta` has no `layout`.
//! - 1: the same records; the version is stored. The migration from 0 writes the version only.
//! - 2: each event record is a `model::event::EventRecord` in postcard, the calendar's own
//!   types instead of the wire `Event` in Candid (reading one costs a tenth). The migration from
//!   1 rewrites every record in place; the data version does not move (nothing a user stored
//!   changed), and the other structures are unchanged.
//! - 3: the record's recurrence holds the RDATEs (`rdates_ns`). The migration from 2 rewrites
//!   every record in place, with none; from 0 and 1 it reads the Candid records straight into
//!   layout 3 (one pass, not two). The data version does not move.
//! - 4: the contacts index (who each owner shares with or invites, for free/busy privacy) and
//!   the free/busy audiences exist. The migration from any earlier version fills the contacts
//!   from the records once they are in layout 3; the audiences start empty (everyone has the
//!   default). The data version does not move.
//! - 5: an event record may carry its attendees' answers for single occurrences after its last
//!   field (`model::event`). A record without them is unchanged, so the migration from 4
//!   rewrites nothing: the version exists so that an older release refuses this data instead
//!   of reading past the answers. Held invitations may carry the attendee's own.
//! - 6: an event record may carry its attendees' own reminders after those answers. Again a
//!   record without them is unchanged and the migration from 5 rewrites nothing. Held
//!   invitations may carry the attendee's own reminders (an added Candid option).
//! - 7: the event records live in their own table by id (`store::records`) instead of a
//!   `StableBTreeMap`, so reading one costs a few reads instead of a walk of the map. The
//!   migration from any earlier version first moves the records as they are (in whatever
//!   layout they were written), so the steps before operate on the new table; the map's memory
//!   stays, empty. The UID index no longer holds a UID that names its own event
//!   (`<id>@<shard>`, what every event created here gets): it is found through the event. The
//!   migration rebuilds the index from the records. The index of every owner's events by id
//!   is gone (emptied; its memory stays): an owner's events are all in the time and series
//!   indexes. The data version does not move.
//!
//! A new version adds a step to [`migrate`] and a test that reads a stable-memory dump written
//! by the release before it (`tests/tests/calendar_migration.rs` reads the version-0 dump in
//! `canisters/calendar/fixtures/`).

use ic_stable_structures::Memory;

use crate::model::event::EventRecord;
use crate::store::Store;

/// The layout this code writes.
pub const CURRENT: u32 = 7;

/// What [`migrate`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The data was already in the current layout.
    Current,
    /// The data was migrated from this version.
    Migrated { from: u32 },
}

/// Brings the store's data to the [`CURRENT`] layout, or says why it cannot.
pub fn migrate<M: Memory>(store: &mut Store<M>) -> Result<Outcome, String> {
    let stored = store.meta().layout.unwrap_or(0);
    if stored > CURRENT {
        return Err(format!(
            "the stored data has layout version {stored}, newer than this code's {CURRENT}: \
             install a release that knows it"
        ));
    }
    if stored == CURRENT {
        return Ok(Outcome::Current);
    }
    // Up to 6 the records are in the map: move them first, so every step below reads and
    // rewrites them where this code keeps them.
    if stored < 7 {
        store.move_legacy_records();
    }
    let mut from = stored;
    while from < CURRENT {
        from = match from {
            // 0 -> 1: the records are unchanged; only the version is new.
            0 => 1,
            // 1 -> 3: every event record from Candid to the stored model, which `from_v1`
            // reads into the current record directly.
            1 => {
                store.rewrite_records(|bytes| EventRecord::from_v1(bytes).map(|r| r.encode()))?;
                3
            }
            // 2 -> 3: every record gets its (empty) RDATEs.
            2 => {
                store.rewrite_records(|bytes| EventRecord::from_v2(bytes).map(|r| r.encode()))?;
                3
            }
            // 3 -> 4: the contacts index, from the records.
            3 => {
                store.rebuild_contacts();
                4
            }
            // 4 -> 5: nothing to rewrite (records without occurrence answers are unchanged).
            4 => 5,
            // 5 -> 6: likewise (records without own reminders are unchanged).
            5 => 6,
            // 6 -> 7: the records moved above; the UID index keeps only the UIDs that do not
            // name their own event.
            6 => {
                store.rebuild_uid_index();
                store.clear_retired_owned_index();
                7
            }
            _ => unreachable!("every version below CURRENT has a step"),
        };
    }
    store.set_layout(Some(CURRENT));
    Ok(Outcome::Migrated { from: stored })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{ctx, fixture, lesson, user, MONDAY};
    use interfaces::calendar::Event;

    #[test]
    fn a_new_store_is_in_the_current_layout() {
        let mut f = fixture();
        assert_eq!(f.store.meta().layout, Some(CURRENT));
        let bytes = f.bytes();
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Current));
        assert!(f.bytes() == bytes, "nothing to do, nothing written");
    }

    /// Rewrites the store's records as layouts 0 and 1 stored them.
    fn store_as_v1(f: &mut crate::store::tests::Fixture) {
        f.store
            .rewrite_records(|bytes| Ok(EventRecord::decode(bytes).into_v1()))
            .unwrap();
    }

    #[test]
    fn data_without_a_version_is_migrated_from_version_0_and_keeps_working() {
        let mut f = fixture();
        let e = f.store.create(&ctx(user(1)), lesson(MONDAY)).unwrap();
        store_as_v1(&mut f);
        f.store.set_layout(None);
        let version = f.store.meta().data_version;
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Migrated { from: 0 }));
        assert_eq!(f.store.meta().layout, Some(CURRENT));
        assert_eq!(
            f.store.meta().data_version,
            version,
            "the data did not change"
        );
        assert_eq!(f.store.get(&ctx(user(1)), e.id), Ok(e));
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Current));
    }

    #[test]
    fn version_1_records_are_rewritten_and_read_back_equal() {
        let mut f = fixture();
        let mut events = Vec::new();
        for i in 0..700 {
            let mut input = lesson(MONDAY + i * 3_600_000_000_000);
            input.attendees = Some(vec![user(2)]);
            events.push(f.store.create(&ctx(user(1)), input).unwrap());
        }
        let meta = f.store.meta().clone();
        store_as_v1(&mut f);
        f.store.set_layout(Some(1));
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Migrated { from: 1 }));
        for e in &events {
            assert_eq!(f.store.get(&ctx(user(2)), e.id).as_ref(), Ok(e));
        }
        assert_eq!(
            f.store.meta(),
            &meta,
            "the data version and the ids did not move"
        );
    }

    #[test]
    fn a_record_that_is_not_version_1_stops_the_migration() {
        let mut f = fixture();
        f.store.create(&ctx(user(1)), lesson(MONDAY)).unwrap();
        f.store.set_layout(Some(1));
        let refused = migrate(&mut f.store).unwrap_err();
        assert!(refused.starts_with("event 1:"), "{refused}");
    }

    /// Rewrites the store's records as layout 2 stored them.
    fn store_as_v2(f: &mut crate::store::tests::Fixture) {
        f.store
            .rewrite_records(|bytes| Ok(EventRecord::decode(bytes).into_v2()))
            .unwrap();
    }

    #[test]
    fn version_2_records_are_rewritten_and_read_back_equal() {
        let mut f = fixture();
        let mut events = Vec::new();
        for i in 0..700 {
            let start = MONDAY + i * 3_600_000_000_000;
            let mut input = if i % 2 == 0 {
                crate::store::tests::weekly(start, 3 + i as u32 % 7)
            } else {
                lesson(start)
            };
            if let Some(r) = input.recurrence.as_mut() {
                r.exdates_ns = vec![start + 7 * 24 * 3_600_000_000_000];
            }
            input.attendees = Some(vec![user(2)]);
            events.push(f.store.create(&ctx(user(1)), input).unwrap());
        }
        let meta = f.store.meta().clone();
        store_as_v2(&mut f);
        f.store.set_layout(Some(2));
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Migrated { from: 2 }));
        assert_eq!(f.store.meta().layout, Some(CURRENT));
        for e in &events {
            let mut expected = e.clone();
            // Layout 2 had no RDATEs: they read back as an old client's (none).
            if let Some(r) = expected.recurrence.as_mut() {
                r.rdates_ns = None;
            }
            assert_eq!(f.store.get(&ctx(user(2)), e.id), Ok(expected));
        }
        let mut after = f.store.meta().clone();
        after.layout = meta.layout;
        assert_eq!(after, meta, "the data version and the ids did not move");
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Current));
    }

    #[test]
    fn a_record_that_is_not_version_2_stops_the_migration() {
        let mut f = fixture();
        f.store.create(&ctx(user(1)), lesson(MONDAY)).unwrap();
        store_as_v1(&mut f);
        f.store.set_layout(Some(2));
        let refused = migrate(&mut f.store).unwrap_err();
        assert!(refused.starts_with("event 1:"), "{refused}");
        assert_eq!(f.store.meta().layout, Some(2), "the version stays");
    }

    #[test]
    fn version_3_data_gets_its_contacts_and_keeps_everything_else() {
        let mut f = fixture();
        let (alice, bob) = (user(1), user(2));
        let mut meeting = lesson(MONDAY);
        meeting.attendees = Some(vec![bob]);
        let e = f.store.create(&ctx(alice), meeting).unwrap();
        let meta = f.store.meta().clone();
        // Layout 3 had no contacts memory: a store of it reads it empty.
        f.zero_and_reopen(16);
        f.store.set_layout(Some(3));
        assert!(!f.store.knows(&alice, &bob));
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Migrated { from: 3 }));
        assert!(f.store.knows(&alice, &bob));
        assert!(!f.store.knows(&bob, &alice));
        assert_eq!(
            f.store.meta(),
            &meta,
            "the data version and the ids did not move"
        );
        assert_eq!(f.store.get(&ctx(bob), e.id), Ok(e));
    }

    #[test]
    fn data_from_a_newer_layout_is_refused_untouched() {
        let mut f = fixture();
        f.store.set_layout(Some(CURRENT + 1));
        let bytes = f.bytes();
        let refused = migrate(&mut f.store).unwrap_err();
        assert!(refused.contains("newer"), "{refused}");
        assert!(f.bytes() == bytes);
    }

    #[test]
    fn layout_4_data_becomes_layout_5_without_a_write_and_answers_follow_the_record() {
        let mut f = fixture();
        let (alice, bob) = (ctx(user(1)), ctx(user(2)));
        let mut series = crate::store::tests::weekly(MONDAY, 3);
        series.attendees = Some(vec![user(2)]);
        let e = f.store.create(&alice, series).unwrap();
        let answered = f
            .store
            .rsvp_occurrence(&bob, e.id, MONDAY, interfaces::calendar::Rsvp::Declined)
            .unwrap();
        // The answers follow what layout 3 wrote for the record, which stays as it was.
        let bytes = f.store.record_bytes(e.id);
        let without = crate::validate::ValidEvent::check(Event {
            occurrence_rsvps: None,
            ..answered.clone()
        })
        .map(|v| EventRecord::of(&v).encode())
        .unwrap();
        assert!(bytes.len() > without.len() && bytes.starts_with(&without));
        // Migrating layout 4 rewrites nothing.
        f.store.set_layout(Some(4));
        let before = f.bytes();
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Migrated { from: 4 }));
        f.store.set_layout(Some(4));
        assert!(f.bytes() == before, "only the version moved");
        migrate(&mut f.store).unwrap();
        assert_eq!(f.store.get(&bob, e.id), Ok(answered));
    }

    #[test]
    fn layout_5_data_becomes_layout_6_without_a_write_and_own_reminders_follow_the_answers() {
        let mut f = fixture();
        let (alice, bob) = (ctx(user(1)), ctx(user(2)));
        let mut series = crate::store::tests::weekly(MONDAY, 3);
        series.attendees = Some(vec![user(2)]);
        let e = f.store.create(&alice, series).unwrap();
        let chosen = f
            .store
            .set_own_reminders(&bob, e.id, Some(vec![30]))
            .unwrap();
        // An empty list of answers, then the reminders, after layout 3's record.
        let bytes = f.store.record_bytes(e.id);
        let without = crate::validate::ValidEvent::check(Event {
            attendee_reminders: None,
            ..chosen.clone()
        })
        .map(|v| EventRecord::of(&v).encode())
        .unwrap();
        assert_eq!(bytes[without.len()], 0, "no answers for single occurrences");
        assert!(bytes.len() > without.len() + 1 && bytes.starts_with(&without));
        // With answers too, both come back.
        let answered = f
            .store
            .rsvp_occurrence(&bob, e.id, MONDAY, interfaces::calendar::Rsvp::Declined)
            .unwrap();
        assert!(answered.occurrence_rsvps.is_some() && answered.attendee_reminders.is_some());
        f.store.set_layout(Some(5));
        let before = f.bytes();
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Migrated { from: 5 }));
        f.store.set_layout(Some(5));
        assert!(f.bytes() == before, "only the version moved");
        migrate(&mut f.store).unwrap();
        assert_eq!(f.store.get(&bob, e.id), Ok(answered));
    }

    #[test]
    fn layout_6_records_move_to_the_table_and_read_back_equal() {
        let mut f = fixture();
        let (alice, bob) = (ctx(user(1)), ctx(user(2)));
        let mut events = Vec::new();
        for i in 0..600 {
            let start = MONDAY + i * 3_600_000_000_000;
            let mut input = if i % 3 == 0 {
                crate::store::tests::weekly(start, 4)
            } else {
                lesson(start)
            };
            input.attendees = Some(vec![user(2)]);
            events.push(f.store.create(&alice, input).unwrap());
        }
        let mut imported = events[1].clone();
        imported.ical_uid = "from@elsewhere".into();
        events.extend(
            f.store
                .import(&alice, vec![imported])
                .unwrap()
                .into_iter()
                .map(|(e, _)| e),
        );
        let meta = f.store.meta().clone();
        f.store.store_records_as_layout_6();
        f.store.set_layout(Some(6));
        assert_eq!(f.store.index_sizes(), (601, 601));
        assert_eq!(
            f.store.get(&bob, events[0].id).ok(),
            None,
            "not in the table"
        );
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Migrated { from: 6 }));
        assert_eq!(
            f.store.meta(),
            &meta,
            "the data version and the ids did not move"
        );
        assert_eq!(f.store.event_count(), 601);
        // Only the UID that does not name its own event stays in the index, the owner index is
        // empty; every event is found by id and by UID, and the owner's pages list them all.
        assert_eq!(f.store.index_sizes(), (1, 0));
        let (page, more) = f.store.owned_page(&user(1), Some(events[0].id), 1_000);
        assert_eq!((page.len(), more), (600, false));
        for e in &events {
            assert_eq!(f.store.get(&alice, e.id).as_ref(), Ok(e));
            let found = f
                .store
                .by_uid(&user(1), &e.ical_uid)
                .map(|v| v.into_event());
            assert_eq!(found.as_ref(), Some(e));
        }
        // The moved records are the store's: they change and go as any other.
        f.store.delete(&alice, events[5].id, None).unwrap();
        assert_eq!(f.store.event_count(), 600);
        assert_eq!(migrate(&mut f.store), Ok(Outcome::Current));
    }
}
