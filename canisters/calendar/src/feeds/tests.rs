//! Feeds and subscriptions over `VectorMemory`: tokens are stored only as hashes, a revoked
//! token opens nothing, the served feed holds the window's events and answers 304 to its own
//! ETag, and a subscription's copy follows the outside text (added, replaced, removed, left
//! alone when unchanged) while staying read-only for the subscriber.

use candid::Principal;
use ic_http_certification::StatusCode;
use ic_stable_structures::VectorMemory;
use interfaces::calendar::{EventPatch, ListRequest};
use interfaces::Error;

use super::serve::{respond, TRUNCATED_HEADER};
use super::*;
use crate::store::tests::{ctx, ctx_at, fixture, lesson, shard, user, DAY, HOUR, MONDAY};
use crate::store::Store;

fn feeds() -> Feeds<VectorMemory> {
    Feeds::init(FeedMemories {
        tokens: VectorMemory::default(),
        by_owner: VectorMemory::default(),
        subscriptions: VectorMemory::default(),
    })
}

fn header<'a>(r: &'a ic_http_certification::HttpResponse<'_>, name: &str) -> Option<&'a str> {
    r.headers()
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_feed_token_is_random_url_safe_shown_once_and_stored_only_as_its_hash() {
    let mut f = feeds();
    let alice = ctx(user(1));
    let created = f.create_feed(&alice, "phone".into(), &[7; 32]).unwrap();
    assert_eq!(created.token.len(), 2 * TOKEN_BYTES);
    assert!(created.token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(created.path, format!("/feeds/{}.ics", created.token));
    // The stored bytes never hold the token, only its hash.
    let stored = candid::encode_one(f.tokens.iter().next().unwrap().value().0.clone()).unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains(&created.token));
    assert_eq!(
        *f.tokens.iter().next().unwrap().key(),
        token_hash(&created.token)
    );
    assert_eq!(f.feed_of_token(&created.token).unwrap().owner, user(1));
    assert_eq!(f.list_feeds(&user(1)).unwrap(), vec![created.feed.clone()]);
    assert_eq!(f.list_feeds(&user(2)).unwrap(), vec![]);

    // Only the owner revokes; then the token opens nothing.
    assert!(matches!(
        f.revoke_feed(&user(2), created.feed.id),
        Err(Error::NotFound { .. })
    ));
    f.revoke_feed(&user(1), created.feed.id).unwrap();
    assert_eq!(f.feed_of_token(&created.token), None);
    assert_eq!(f.list_feeds(&user(1)).unwrap(), vec![]);
}

#[test]
fn feeds_refuse_the_anonymous_caller_long_names_and_too_many() {
    let mut f = feeds();
    let anonymous = ctx(Principal::anonymous());
    assert_eq!(
        f.create_feed(&anonymous, "x".into(), &[1; 32]),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(
        f.list_feeds(&Principal::anonymous()),
        Err(Error::AnonymousCaller)
    );
    let alice = ctx(user(1));
    assert!(matches!(
        f.create_feed(&alice, "x".repeat(MAX_FEED_NAME_BYTES + 1), &[1; 32]),
        Err(Error::InvalidInput { .. })
    ));
    for i in 0..MAX_FEEDS_PER_USER {
        f.create_feed(&alice, String::new(), &[i as u8; 32])
            .unwrap();
    }
    assert!(matches!(
        f.create_feed(&alice, String::new(), &[200; 32]),
        Err(Error::InvalidInput { .. })
    ));
    // The same randomness twice is refused rather than sharing an address.
    let bob = ctx(user(2));
    assert!(matches!(
        f.create_feed(&bob, String::new(), &[0; 32]),
        Err(Error::Conflict { .. })
    ));
}

#[test]
fn the_served_feed_is_the_owners_window_with_an_etag_and_unknown_tokens_are_404() {
    let mut s = fixture();
    let mut f = feeds();
    let now = MONDAY - 7 * DAY;
    let alice = ctx_at(user(1), now);
    s.store.create(&alice, lesson(MONDAY)).unwrap();
    s.store.create(&alice, lesson(MONDAY + DAY)).unwrap();
    // Outside the window (two years ahead) and someone else's: not in the feed.
    s.store
        .create(&alice, lesson(MONDAY + 2 * 365 * DAY))
        .unwrap();
    s.store
        .create(&ctx_at(user(2), now), lesson(MONDAY))
        .unwrap();
    let feed = f.create_feed(&alice, "all".into(), &[3; 32]).unwrap();

    let get =
        |f: &Feeds<VectorMemory>, s: &Store<VectorMemory>, path: &str, h: &[(String, String)]| {
            respond(s, f, shard(), now, "GET", path, h)
        };
    let ok = get(&f, &s.store, &feed.path, &[]);
    assert_eq!(ok.status_code(), StatusCode::OK);
    assert_eq!(
        header(&ok, "content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert!(header(&ok, "cache-control").unwrap().contains("max-age"));
    assert_eq!(header(&ok, TRUNCATED_HEADER), None);
    let text = std::str::from_utf8(ok.body()).unwrap();
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2, "{text}");
    let etag = header(&ok, "etag").unwrap().to_string();

    // The same ETag: 304 without a body; after a change, a new ETag and the new text.
    let again = get(
        &f,
        &s.store,
        &feed.path,
        &[("If-None-Match".into(), etag.clone())],
    );
    assert_eq!(again.status_code(), StatusCode::NOT_MODIFIED);
    assert!(again.body().is_empty());
    let e = s.store.create(&alice, lesson(MONDAY + 2 * DAY)).unwrap();
    let patch = EventPatch {
        title: Some("Moved".into()),
        ..Default::default()
    };
    s.store.update(&alice, e.id, e.revision, patch).unwrap();
    let changed = get(
        &f,
        &s.store,
        &feed.path,
        &[("if-none-match".into(), etag.clone())],
    );
    assert_eq!(changed.status_code(), StatusCode::OK);
    assert_ne!(header(&changed, "etag"), Some(etag.as_str()));
    assert!(std::str::from_utf8(changed.body())
        .unwrap()
        .contains("SUMMARY:Moved"));

    // HEAD: headers only. Other methods: 405. Unknown or revoked tokens: 404.
    let head = respond(&s.store, &f, shard(), now, "HEAD", &feed.path, &[]);
    assert_eq!(head.status_code(), StatusCode::OK);
    assert!(head.body().is_empty());
    let post = respond(&s.store, &f, shard(), now, "POST", &feed.path, &[]);
    assert_eq!(post.status_code(), StatusCode::METHOD_NOT_ALLOWED);
    let wrong = get(&f, &s.store, "/feeds/0123456789abcdef.ics", &[]);
    assert_eq!(wrong.status_code(), StatusCode::NOT_FOUND);
    f.revoke_feed(&user(1), feed.feed.id).unwrap();
    let revoked = get(&f, &s.store, &feed.path, &[]);
    assert_eq!(revoked.status_code(), StatusCode::NOT_FOUND);
}

fn outside(events: &[(&str, &str, &str)]) -> String {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n");
    for (uid, start, title) in events {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\n\
             DTEND:{start}\r\nSUMMARY:{title}\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n\
             DESCRIPTION:x\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT\r\n"
        ));
    }
    text.push_str("END:VCALENDAR\r\n");
    text
}

#[test]
fn a_subscription_copy_follows_the_outside_feed_and_is_read_only() {
    let mut s = fixture();
    let mut f = feeds();
    let alice = ctx(user(1));
    let sub = f.subscribe(&alice, "webcal://example.org/cal.ics").unwrap();
    assert_eq!(sub.url, "https://example.org/cal.ics");
    let calendar = subscription_calendar(&user(1), sub.id);
    assert_eq!(sub.calendar, calendar);
    assert_eq!(*calendar.as_slice().last().unwrap(), 0x7f);

    let first = outside(&[
        ("a", "20260401T090000Z", "Standup"),
        ("b", "20260402T090000Z", "Review"),
    ]);
    let applied =
        copy::apply(&mut s.store, user(1), sub.id, shard(), alice.now_ns, &first).unwrap();
    assert_eq!(
        (
            applied.added,
            applied.replaced,
            applied.removed,
            applied.events
        ),
        (2, 0, 0, 2)
    );

    // The subscriber reads the copy; it has no reminders or attendees, and cannot be edited.
    let list = ListRequest {
        owner: Some(calendar),
        from_ns: MONDAY - 30 * DAY,
        to_ns: MONDAY + 60 * DAY,
        cursor: None,
        limit: None,
        include_declined: None,
    };
    let page = s.store.list(&alice, &list).unwrap();
    assert_eq!(page.events.len(), 2);
    assert!(page.events.iter().all(|e| e.reminders_minutes.is_empty()));
    let standup = page
        .events
        .iter()
        .find(|e| e.ical_uid == "a")
        .unwrap()
        .clone();
    let patch = EventPatch {
        title: Some("mine now".into()),
        ..Default::default()
    };
    assert!(matches!(
        s.store.update(&alice, standup.id, standup.revision, patch),
        Err(Error::Forbidden { .. })
    ));
    assert!(s.store.delete(&alice, standup.id, None).is_err());
    // Nobody else sees it.
    assert!(s
        .store
        .list(&ctx(user(2)), &list)
        .unwrap()
        .events
        .is_empty());

    // Applying the same text writes nothing.
    let version = s.store.meta().data_version;
    let same = copy::apply(&mut s.store, user(1), sub.id, shard(), alice.now_ns, &first).unwrap();
    assert_eq!((same.added, same.replaced, same.removed), (0, 0, 0));
    assert_eq!(s.store.meta().data_version, version);

    // A changed title is replaced, a vanished event removed, a new one added.
    let second = outside(&[
        ("a", "20260401T090000Z", "Standup (moved room)"),
        ("c", "20260403T090000Z", "Retro"),
    ]);
    let applied = copy::apply(
        &mut s.store,
        user(1),
        sub.id,
        shard(),
        alice.now_ns + HOUR,
        &second,
    )
    .unwrap();
    assert_eq!(
        (
            applied.added,
            applied.replaced,
            applied.removed,
            applied.events
        ),
        (1, 1, 1, 2)
    );
    let titles: Vec<String> = s
        .store
        .list(&alice, &list)
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert_eq!(
        titles,
        vec!["Standup (moved room)".to_string(), "Retro".to_string()]
    );

    // A refused text changes nothing.
    let version = s.store.meta().data_version;
    assert!(copy::apply(
        &mut s.store,
        user(1),
        sub.id,
        shard(),
        alice.now_ns,
        "not ics"
    )
    .is_err());
    assert_eq!(s.store.meta().data_version, version);

    // Unsubscribing clears the copy.
    f.unsubscribe(&user(1), sub.id).unwrap();
    assert!(
        copy::clear(&mut s.store, user(1), sub.id, shard(), alice.now_ns, 100).1,
        "the copy is empty"
    );
    assert_eq!(s.store.events_of(&calendar), 0);
    assert!(matches!(
        f.unsubscribe(&user(1), sub.id),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn subscriptions_check_their_address_and_count() {
    let mut f = feeds();
    let alice = ctx(user(1));
    for bad in ["ftp://x/y", "https://", "https://a b/c", ""] {
        assert!(
            matches!(f.subscribe(&alice, bad), Err(Error::InvalidInput { .. })),
            "{bad}"
        );
    }
    assert_eq!(
        f.subscribe(&ctx(Principal::anonymous()), "https://a/b"),
        Err(Error::AnonymousCaller)
    );
    f.subscribe(&alice, "https://a/b").unwrap();
    assert!(matches!(
        f.subscribe(&alice, "https://a/b"),
        Err(Error::AlreadyExists { .. })
    ));
    for i in 1..MAX_SUBSCRIPTIONS_PER_USER {
        f.subscribe(&alice, &format!("https://a/{i}")).unwrap();
    }
    assert!(matches!(
        f.subscribe(&alice, "https://a/last"),
        Err(Error::InvalidInput { .. })
    ));
    let all = f.all_subscriptions(None, 100);
    assert_eq!(all.len(), MAX_SUBSCRIPTIONS_PER_USER);
    assert!(all.iter().all(|(k, _)| key_user(k) == user(1)));
    let rest = f.all_subscriptions(Some(all[3].0), 100);
    assert_eq!(rest.len(), MAX_SUBSCRIPTIONS_PER_USER - 4);
}

#[test]
fn account_deletion_clears_copies_in_batches_then_forgets_subscriptions_and_feeds() {
    let mut s = fixture();
    let mut f = feeds();
    let alice = ctx(user(1));
    let bob = ctx(user(2));
    let kept = f.create_feed(&bob, "bob".into(), &[2; 32]).unwrap();
    let gone = f.create_feed(&alice, "phone".into(), &[1; 32]).unwrap();
    let sub = f.subscribe(&alice, "https://example.org/a.ics").unwrap();
    let text = outside(&[
        ("a", "20260401T090000Z", "One"),
        ("b", "20260402T090000Z", "Two"),
        ("c", "20260403T090000Z", "Three"),
    ]);
    copy::apply(&mut s.store, user(1), sub.id, shard(), alice.now_ns, &text).unwrap();
    let calendar = subscription_calendar(&user(1), sub.id);
    assert_eq!(s.store.events_of(&calendar), 3);

    // Two events a call: the first call leaves one, and the subscription with it.
    assert!(!forget_user(&mut s.store, &mut f, &alice, &user(1), 2));
    assert_eq!(s.store.events_of(&calendar), 1);
    assert_eq!(f.list_subscriptions(&user(1)).unwrap().len(), 1);
    assert!(f.feed_of_token(&gone.token).is_some());
    assert!(forget_user(&mut s.store, &mut f, &alice, &user(1), 2));
    assert_eq!(s.store.events_of(&calendar), 0);
    assert!(f.list_subscriptions(&user(1)).unwrap().is_empty());
    assert!(
        f.feed_of_token(&gone.token).is_none(),
        "the address answers 404"
    );
    assert!(f.list_feeds(&user(1)).unwrap().is_empty());
    // Someone else's feed stays.
    assert!(f.feed_of_token(&kept.token).is_some());
}

#[test]
fn feeds_restored_from_a_snapshot_older_than_them_open_empty() {
    let memories = [(); 3].map(|_| VectorMemory::default());
    let open = || {
        Feeds::init(FeedMemories {
            tokens: memories[0].clone(),
            by_owner: memories[1].clone(),
            subscriptions: memories[2].clone(),
        })
    };
    let mut f = open();
    let created = f
        .create_feed(&ctx(user(1)), "phone".into(), &[1; 32])
        .unwrap();
    assert!(
        open().feed_of_token(&created.token).is_some(),
        "kept when reopened"
    );
    // What restoring a snapshot without these memories leaves: zeroed pages.
    for m in &memories {
        m.borrow_mut().fill(0);
    }
    let f = open();
    assert!(f.feed_of_token(&created.token).is_none());
    assert!(f.list_feeds(&user(1)).unwrap().is_empty());
}
