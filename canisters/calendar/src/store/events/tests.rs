//! Tests of the event records and their indexes (`store::events`).

use super::*;
use crate::store::tests::{ctx, ctx_at, fixture, lesson, user, weekly, Fixture, HOUR, MONDAY};
use interfaces::calendar::{EventPatch, Role, Share};

#[test]
fn an_edit_refiles_only_what_moves_the_indexes() {
    let mut f = fixture();
    let e = shared_lesson(&mut f);
    let stored = |f: &Fixture| f.store.load(e.id).unwrap();
    let before = stored(&f);
    let mut renamed = before.event().clone();
    renamed.title = "Renamed".into();
    assert!(files_the_same(
        &before,
        &ValidEvent::check(renamed).unwrap()
    ));
    let mut moved = before.event().clone();
    moved.time = interfaces::calendar::EventTime::Timed {
        start_ns: MONDAY + HOUR,
        end_ns: MONDAY + 2 * HOUR,
    };
    assert!(!files_the_same(&before, &ValidEvent::check(moved).unwrap()));
    let mut free = before.event().clone();
    free.transparency = interfaces::calendar::Transparency::Transparent;
    assert!(!files_the_same(&before, &ValidEvent::check(free).unwrap()));
    let mut alone = before.event().clone();
    alone.attendees.clear();
    assert!(!files_the_same(&before, &ValidEvent::check(alone).unwrap()));
    // A title edit through the store keeps every index entry, and the event stays listed.
    let sizes_before = sizes(&f);
    let patch = EventPatch {
        title: Some("Renamed".into()),
        ..Default::default()
    };
    f.store.update(&ctx(user(1)), e.id, 1, patch).unwrap();
    assert_eq!(sizes(&f), sizes_before);
    assert_eq!(stored(&f).event().title, "Renamed");
}

fn shared_lesson(f: &mut Fixture) -> Event {
    let mut input = lesson(MONDAY);
    input.attendees = Some(vec![user(2)]);
    input.visibility = Some(Visibility::Shared(vec![Share {
        principal: user(3),
        role: Role::Viewer,
    }]));
    f.store.create(&ctx(user(1)), input).unwrap()
}

/// (events, owned, by time, by series, by UID, participations, users) entries; "owned" is
/// what `owned_page` finds (no index holds it since layout 7).
fn sizes(f: &Fixture) -> [u64; 7] {
    let s = &f.store;
    [
        s.records.len(),
        s.owned_page(&user(1), None, 100).0.len() as u64,
        s.by_time.len(),
        s.by_series.len(),
        s.by_uid.len(),
        s.participations.len(),
        s.users.len(),
    ]
}

#[test]
fn a_new_event_is_filed_in_every_index() {
    let mut f = fixture();
    let e = shared_lesson(&mut f);
    // Its generated UID names it, so the UID index does not hold it (layout 7).
    assert_eq!(sizes(&f), [1, 1, 1, 0, 0, 2, 1]);
    assert_eq!(f.store.by_uid(&user(1), &e.ical_uid).unwrap().event(), &e);
    assert_eq!(f.store.ids_of(&user(1), true, 10), [e.id]);
    assert_eq!(f.store.ids_of(&user(2), false, 10), [e.id]);
    assert_eq!(f.store.ids_of(&user(3), false, 10), [e.id]);
    assert_eq!(f.store.events_of(&user(1)), 1);
    assert_eq!(f.store.owned_page(&user(1), None, 10), (vec![e], false));
}

#[test]
fn a_new_version_moves_its_index_entries() {
    let mut f = fixture();
    let e = shared_lesson(&mut f);
    let into_series = EventPatch {
        recurrence: weekly(MONDAY, 3)
            .recurrence
            .map(interfaces::calendar::RecurrenceChange::Set),
        attendees: Some(vec![]),
        ..Default::default()
    };
    let e2 = f.store.update(&ctx(user(1)), e.id, 1, into_series).unwrap();
    assert_eq!(sizes(&f), [1, 1, 0, 1, 0, 1, 1]);
    assert!(f.store.ids_of(&user(2), false, 10).is_empty());
    assert_eq!(f.store.ids_of(&user(3), false, 10), [e.id]);
    assert_eq!(
        (e2.id, e2.revision, e2.created_at_ns),
        (e.id, 2, e.created_at_ns)
    );
}

#[test]
fn removing_an_event_clears_every_index() {
    let mut f = fixture();
    let e = shared_lesson(&mut f);
    let other = f
        .store
        .create(&ctx(user(1)), lesson(MONDAY + HOUR))
        .unwrap();
    f.store.delete(&ctx(user(1)), e.id, Some(1)).unwrap();
    assert_eq!(sizes(&f), [1, 1, 1, 0, 0, 0, 1]);
    assert_eq!(f.store.events_of(&user(1)), 1);
    f.store.delete(&ctx(user(1)), other.id, None).unwrap();
    assert_eq!(
        sizes(&f),
        [0; 7],
        "the last event takes the user's counter with it"
    );
}

#[test]
fn a_uid_is_found_and_kept_unique_whether_the_index_holds_it_or_it_names_its_event() {
    let mut f = fixture();
    let c = ctx(user(1));
    let own = f.store.create(&c, lesson(MONDAY)).unwrap();
    assert_eq!(named_id(&own.ical_uid), Some(own.id));
    assert_eq!(
        f.store.by_uid(&user(1), &own.ical_uid).unwrap().event(),
        &own
    );
    assert!(
        f.store.by_uid(&user(2), &own.ical_uid).is_none(),
        "per owner"
    );
    // A UID from elsewhere is indexed, one that only looks generated too.
    let mut imported = crate::store::draft::draft(&c, lesson(MONDAY), 0);
    imported.ical_uid = "abc@example.com".into();
    let mut lookalike = imported.clone();
    lookalike.ical_uid = format!("{}@{}", own.id + 5, c.shard);
    let saved = f.store.import(&c, vec![imported, lookalike]).unwrap();
    assert_eq!(sizes(&f)[4], 2);
    for (e, added) in &saved {
        assert!(added);
        assert_eq!(f.store.by_uid(&user(1), &e.ical_uid).unwrap().event(), e);
    }
    // Importing the created event's own UID replaces it, as for an indexed UID.
    let mut again = own.clone();
    again.title = "Again".into();
    let replaced = f.store.import(&c, vec![again]).unwrap();
    assert_eq!((replaced[0].0.id, replaced[0].1), (own.id, false));
    assert_eq!(sizes(&f)[4], 2);
    // Taking a UID another event has, either way, is refused.
    for taken in [own.ical_uid.clone(), "abc@example.com".to_string()] {
        let mut other = f.store.get(&c, saved[1].0.id).unwrap();
        other.ical_uid = taken;
        let old = f.store.load(other.id).unwrap();
        assert!(matches!(
            f.store.save(&c, vec![Change::replace(old, other)]),
            Err(Error::AlreadyExists { .. })
        ));
    }
    // A canonical decimal before the first `@` only.
    for (uid, id) in [("7@x", Some(7)), ("07@x", None), ("7", None), ("@x", None)] {
        assert_eq!(named_id(uid), id, "{uid}");
    }
    assert_eq!(named_id(&format!("{}@a@b", u64::MAX)), Some(u64::MAX));
    assert_eq!(named_id("18446744073709551616@x"), None);
}

#[test]
fn an_owners_pages_list_one_offs_and_series_in_id_order() {
    let mut f = fixture();
    let c = ctx(user(1));
    let mut ids = Vec::new();
    for i in 0..10 {
        // Starts out of id order, one-offs and series interleaved.
        let start = MONDAY + (10 - i) * HOUR;
        let input = if i % 3 == 0 {
            weekly(start, 2)
        } else {
            lesson(start)
        };
        ids.push(f.store.create(&c, input).unwrap().id);
        f.store.create(&ctx(user(2)), lesson(start)).unwrap();
    }
    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let (page, more) = f.store.owned_page(&user(1), after, 3);
        assert!(page.iter().all(|e| e.owner == user(1)));
        listed.extend(page.iter().map(|e| e.id));
        after = page.last().map(|e| e.id);
        if !more {
            break;
        }
    }
    assert_eq!(listed, ids);
    let mut all = f.store.ids_of(&user(1), true, 100);
    all.sort();
    assert_eq!(all, ids);
    assert_eq!(f.store.ids_of(&user(1), true, 4).len(), 4);
}

#[test]
fn a_batch_is_checked_whole_before_anything_is_written() {
    let mut f = fixture();
    let c = ctx(user(1));
    let first = crate::store::draft::draft(&c, lesson(MONDAY), f.store.next_id());
    let mut second = crate::store::draft::draft(&c, lesson(MONDAY), first.id + 1);
    // Saves both; on refusal, checks that no byte changed.
    let both = |f: &mut Fixture, second: &Event| {
        let bytes = f.bytes();
        let batch = vec![
            Change::insert(first.clone()),
            Change::insert(second.clone()),
        ];
        let result = f.store.save(&c, batch);
        assert!(result.is_ok() || f.bytes() == bytes, "nothing was written");
        result.map(|saved| saved.len())
    };
    second.title.clear();
    assert!(matches!(
        both(&mut f, &second),
        Err(Error::InvalidInput { .. })
    ));
    // Two new events with one UID.
    second.title = "Theory".into();
    second.ical_uid = first.ical_uid.clone();
    assert!(matches!(
        both(&mut f, &second),
        Err(Error::AlreadyExists { .. })
    ));
    // The quota counts the whole batch.
    second.ical_uid = "other".into();
    f.quota(1);
    assert!(matches!(both(&mut f, &second), Err(Error::Conflict { .. })));
    f.quota(2);
    assert_eq!(both(&mut f, &second), Ok(2));
}

#[test]
fn the_write_path_stamps_revisions_and_times() {
    let mut f = fixture();
    let e = f
        .store
        .create(&ctx_at(user(1), 100), lesson(MONDAY))
        .unwrap();
    assert_eq!(
        (e.revision, e.created_at_ns, e.updated_at_ns),
        (1, 100, 100)
    );
    let old = f.store.load(e.id).unwrap();
    let mut next = e.clone();
    // Whatever bookkeeping a draft carries, the stored version is the next revision.
    (next.revision, next.created_at_ns, next.id) = (99, 7, 99);
    let saved = f
        .store
        .save(&ctx_at(user(1), 200), vec![Change::replace(old, next)])
        .unwrap();
    assert_eq!(
        (
            saved[0].id,
            saved[0].revision,
            saved[0].created_at_ns,
            saved[0].updated_at_ns
        ),
        (e.id, 2, 100, 200)
    );
}

#[test]
fn only_opaque_events_that_are_not_cancelled_block_time() {
    let mut f = fixture();
    let mut e = shared_lesson(&mut f);
    assert!(blocks_time(&e));
    e.transparency = Transparency::Transparent;
    assert!(!blocks_time(&e));
    e.transparency = Transparency::Opaque;
    e.status = EventStatus::Cancelled;
    assert!(!blocks_time(&e));
}
