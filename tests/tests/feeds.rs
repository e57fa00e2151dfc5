//! Feeds on the calendar's real wasm: the HTTP answers of `http_request_update` (the query
//! only asks for the upgrade), and a subscription to an outside feed served from 127.0.0.1
//! that the shard fetches with HTTPS outcalls and keeps in sync on its timer: renamed events
//! are replaced, vanished ones removed, new ones added, a failing server keeps the copy, and
//! the copy stays read-only for the subscriber. (Through the HTTP gateway and python's
//! `icalendar`: `host/local_network/tests/feeds.rs`.)
//!
//! The outside server is a few lines of `std::net` serving one mutable text: all a fixed
//! loopback feed needs.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use candid::{encode_args, Principal};
use ic_http_certification::{HttpRequest, HttpResponse, HttpUpdateRequest, HttpUpdateResponse};
use integration_tests::{user, Suite};
use interfaces::calendar::{Event, EventInput, EventPage, EventPatch, ListRequest};
use interfaces::feeds::{NewFeed, Subscription};
use interfaces::security::MemberInit;
use interfaces::Error;

const HOUR: u64 = 3_600 * 1_000_000_000;
const DAY: u64 = 24 * HOUR;

/// What the outside server answers: (status, body).
type Served = Arc<Mutex<(u16, String)>>;

fn serve(content: Served) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
            }
            let (status, body) = content.lock().unwrap().clone();
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: text/calendar\r\ndate: {:?}\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n",
                std::time::SystemTime::now(),
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    port
}

/// A feed of (uid, start, title) events, one hour each.
fn ics(events: &[(&str, u64, &str)]) -> String {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//outside//EN\r\n");
    for (uid, start_ns, title) in events {
        let start = recurrence::jiff::Timestamp::from_nanosecond(*start_ns as i128)
            .unwrap()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string();
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\n\
             DURATION:PT1H\r\nSUMMARY:{title}\r\nEND:VEVENT\r\n"
        ));
    }
    text + "END:VCALENDAR\r\n"
}

struct Shard {
    suite: Suite,
    id: Principal,
}

impl Shard {
    fn new() -> Self {
        let suite = Suite::new();
        let id = suite.install("calendar", encode_args((None::<MemberInit>,)).unwrap());
        Shard { suite, id }
    }

    fn now(&self) -> u64 {
        self.suite.env.get_time().as_nanos_since_unix_epoch()
    }

    fn titles(&self, who: Principal, owner: Principal) -> Vec<String> {
        let now = self.now();
        let req = ListRequest {
            owner: Some(owner),
            from_ns: now - 400 * DAY,
            to_ns: now + 400 * DAY,
            cursor: None,
            limit: None,
            include_declined: None,
        };
        let (page,): (Result<EventPage, Error>,) = self
            .suite
            .query(self.id, who, "list_events", (req,))
            .unwrap();
        let mut titles: Vec<String> = page.unwrap().events.into_iter().map(|e| e.title).collect();
        titles.sort();
        titles
    }

    fn subscriptions(&self, who: Principal) -> Vec<Subscription> {
        let (r,): (Result<Vec<Subscription>, Error>,) = self
            .suite
            .query(self.id, who, "list_subscriptions", ())
            .unwrap();
        r.unwrap()
    }

    fn balance(&self) -> u128 {
        self.suite.env.add_cycles(self.id, 0)
    }

    fn http(&self, path: &str, headers: Vec<(String, String)>) -> HttpUpdateResponse<'static> {
        let query = HttpRequest::get(path).with_headers(headers.clone()).build();
        let (answer,): (HttpResponse,) = self
            .suite
            .query(self.id, Principal::anonymous(), "http_request", (query,))
            .unwrap();
        assert_eq!(answer.upgrade(), Some(true), "every request is upgraded");
        let update: HttpUpdateRequest = HttpRequest::get(path).with_headers(headers).build_update();
        let (r,): (HttpUpdateResponse,) = self
            .suite
            .update(
                self.id,
                Principal::anonymous(),
                "http_request_update",
                (update,),
            )
            .unwrap();
        r
    }
}

#[test]
fn a_feed_is_served_by_the_upgraded_call_with_an_etag_and_revoking_it_answers_404() {
    let shard = Shard::new();
    let alice = user(1);
    let start = shard.now() + DAY;
    let input = EventInput::timed("Dentist", start, start + HOUR, "Europe/Zurich");
    let (created,): (Result<Event, Error>,) = shard
        .suite
        .update(shard.id, alice, "create_event", (input,))
        .unwrap();
    created.unwrap();
    let (anonymous,): (Result<NewFeed, Error>,) = shard
        .suite
        .update(shard.id, Principal::anonymous(), "create_feed", ("x",))
        .unwrap();
    assert_eq!(anonymous, Err(Error::AnonymousCaller));
    let (feed,): (Result<NewFeed, Error>,) = shard
        .suite
        .update(shard.id, alice, "create_feed", ("phone",))
        .unwrap();
    let feed = feed.unwrap();

    let ok = shard.http(&feed.path, vec![]);
    assert_eq!(ok.status_code().as_u16(), 200);
    let text = String::from_utf8(ok.body().to_vec()).unwrap();
    assert!(text.contains("SUMMARY:Dentist"), "{text}");
    let etag = ok
        .headers()
        .iter()
        .find(|(n, _)| n == "etag")
        .map(|(_, v)| v.clone())
        .unwrap();
    let again = shard.http(&feed.path, vec![("if-none-match".into(), etag)]);
    assert_eq!(again.status_code().as_u16(), 304);
    assert_eq!(shard.http("/", vec![]).status_code().as_u16(), 404);

    let (revoked,): (Result<(), Error>,) = shard
        .suite
        .update(shard.id, alice, "revoke_feed", (feed.feed.id,))
        .unwrap();
    revoked.unwrap();
    assert_eq!(shard.http(&feed.path, vec![]).status_code().as_u16(), 404);
}

#[test]
fn an_outside_feed_copy_follows_the_server_on_the_timer_and_stays_read_only() {
    let shard = Shard::new();
    let soon = shard.now() / HOUR * HOUR + 2 * DAY;
    let served: Served = Arc::new(Mutex::new((
        200,
        ics(&[
            ("a@outside", soon, "Standup"),
            ("b@outside", soon + DAY, "Review"),
        ]),
    )));
    let port = serve(served.clone());
    let (alice, bob) = (user(1), user(2));
    let url = format!("http://127.0.0.1:{port}/team.ics");

    let before = shard.balance();
    let (sub,): (Result<Subscription, Error>,) = shard
        .suite
        .update(shard.id, alice, "subscribe_feed", (url.clone(),))
        .unwrap();
    let sub = sub.unwrap();
    let per_fetch = before - shard.balance();
    println!("cycles charged for one subscription fetch (13-node price): {per_fetch}");
    assert_eq!((sub.events, sub.last_error.clone()), (2, None), "{sub:?}");
    assert!(sub.refreshed_at_ns.is_some());
    assert_eq!(shard.titles(alice, sub.calendar), ["Review", "Standup"]);
    // Nobody else reads it, and the subscriber cannot change it.
    assert!(shard.titles(bob, sub.calendar).is_empty());
    let now = shard.now();
    let req = ListRequest {
        owner: Some(sub.calendar),
        from_ns: now - 400 * DAY,
        to_ns: now + 400 * DAY,
        cursor: None,
        limit: None,
        include_declined: None,
    };
    let (page,): (Result<EventPage, Error>,) = shard
        .suite
        .query(shard.id, alice, "list_events", (req,))
        .unwrap();
    let standup = page
        .unwrap()
        .events
        .into_iter()
        .find(|e| e.title == "Standup")
        .unwrap();
    let patch = EventPatch {
        title: Some("mine".into()),
        ..Default::default()
    };
    let (edit,): (Result<Event, Error>,) = shard
        .suite
        .update(
            shard.id,
            alice,
            "update_event",
            (standup.id, standup.revision, patch),
        )
        .unwrap();
    assert!(matches!(edit, Err(Error::Forbidden { .. })), "{edit:?}");

    // The server changes: one renamed, one gone, one new. The timer brings the copy along.
    *served.lock().unwrap() = (
        200,
        ics(&[
            ("a@outside", soon + HOUR, "Standup (new room)"),
            ("c@outside", soon + 2 * DAY, "Retro"),
        ]),
    );
    shard.suite.advance(Duration::from_secs(60 * 60 + 1));
    assert_eq!(
        shard.titles(alice, sub.calendar),
        ["Retro", "Standup (new room)"]
    );
    let listed = shard.subscriptions(alice);
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].events, listed[0].last_error.clone()), (2, None));

    // A failing server keeps the copy and says why.
    served.lock().unwrap().0 = 500;
    shard.suite.advance(Duration::from_secs(60 * 60 + 1));
    let listed = shard.subscriptions(alice);
    assert!(
        listed[0].last_error.as_deref().unwrap().contains("500"),
        "{listed:?}"
    );
    assert_eq!(
        shard.titles(alice, sub.calendar),
        ["Retro", "Standup (new room)"]
    );

    // Unsubscribing removes the subscription and the copy.
    let (gone,): (Result<(), Error>,) = shard
        .suite
        .update(shard.id, alice, "unsubscribe", (sub.id,))
        .unwrap();
    gone.unwrap();
    assert!(shard.subscriptions(alice).is_empty());
    assert!(shard.titles(alice, sub.calendar).is_empty());
    // Bad addresses are refused before anything is stored.
    let (bad,): (Result<Subscription, Error>,) = shard
        .suite
        .update(
            shard.id,
            alice,
            "subscribe_feed",
            ("ftp://x/y".to_string(),),
        )
        .unwrap();
    assert!(matches!(bad, Err(Error::InvalidInput { .. })));
}
