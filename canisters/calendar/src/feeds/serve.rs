//! Serving feeds over HTTP: `GET /feeds/<token>.ics` answers the owner's events in a bounded
//! window as `text/calendar`, written by the iCalendar exporter.
//!
//! How the answer passes the HTTP gateway's verification: the `http_request` query answers
//! every request with `upgrade = true`, and the gateway calls `http_request_update`, which runs
//! through consensus; its reply is certified by the subnet like any update's (the gateway's agent
//! checks the certificate of the request status), so the gateway needs no response
//! certification. We chose this over certifying the responses (ic-http-certification) because a
//! feed is secret, per token and windowed on today's date: certifying it would mean rebuilding
//! and hashing every feed of a user on each of their changes (and daily), and keeping the bodies
//! or their hashes per token in the certification tree, to serve fetches that come every few
//! minutes to hours. Upgrading costs consensus per fetch instead: an ingress message plus the
//! instructions of building the feed (the bench `tests/benches/feeds.rs` prints both, in
//! instructions and in cycles on a 13-node subnet), about two seconds of latency, and nothing is
//! ever stale. A `304 Not Modified` (`If-None-Match`) is decided before the feed is built, so a
//! client polling an unchanged calendar costs little more than the message itself.
//!
//! Bounds: the window is 3 months back and 18 months ahead of today (UTC days, so the text of a
//! feed only changes with the data or the date). At most [`MAX_FEED_EVENTS`] events are written
//! (the earliest occurrences first); past that, or past [`MAX_FEED_OCCURRENCES`] occurrences
//! scanned, or [`MAX_FEED_BYTES`] of text, the feed stops there and says so in the
//! `x-feed-truncated` header; the calendar application shows what it got.
//!
//! The `ETag` is made of the shard's data version (moved by every stored change), the feed id and
//! the window's day: cheap to compare, and never equal for two different texts.

use std::collections::BTreeMap;

use ic_http_certification::{HttpResponse, Method, StatusCode};
use ic_stable_structures::Memory;
use interfaces::calendar::{Event, EventId, ListRequest};

use super::{FeedRecord, Feeds};
use crate::store::{Ctx, Store};

pub const DAY_NS: u64 = 86_400 * 1_000_000_000;
/// The window starts this long before today...
pub const WINDOW_BACK_NS: u64 = 92 * DAY_NS;
/// ... and ends this long after it.
pub const WINDOW_AHEAD_NS: u64 = 549 * DAY_NS;
/// Most events one feed writes.
pub const MAX_FEED_EVENTS: usize = 2_000;
/// Most occurrences looked at to find them.
pub const MAX_FEED_OCCURRENCES: usize = 40_000;
/// Most bytes of text one feed answers (a replicated reply may be 2 MiB).
pub const MAX_FEED_BYTES: usize = 1_800_000;
/// Clients may reuse a feed this long without asking (calendar applications poll far less).
const CACHE_CONTROL: &str = "private, max-age=300";
/// Occurrences per listing page (the listing's own maximum).
const LIST_PAGE: u32 = 500;
pub const TRUNCATED_HEADER: &str = "x-feed-truncated";

/// What a feed request asks for, read from the method and the URL.
#[derive(Debug, PartialEq, Eq)]
pub enum Route<'a> {
    Feed { token: &'a str, head: bool },
    MethodNotAllowed,
    NotFound,
}

pub fn route<'a>(method: &Method, url: &'a str) -> Route<'a> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let Some(token) = path
        .strip_prefix("/feeds/")
        .and_then(|rest| rest.strip_suffix(".ics"))
    else {
        return Route::NotFound;
    };
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Route::NotFound;
    }
    match *method {
        Method::GET => Route::Feed { token, head: false },
        Method::HEAD => Route::Feed { token, head: true },
        _ => Route::MethodNotAllowed,
    }
}

/// The first day of the window (UTC midnight), and its end, for a request at `now_ns`.
pub fn window(now_ns: u64) -> (u64, u64) {
    let today = now_ns / DAY_NS * DAY_NS;
    (
        today.saturating_sub(WINDOW_BACK_NS),
        today + WINDOW_AHEAD_NS,
    )
}

pub fn etag(data_version: u64, feed: &FeedRecord, now_ns: u64) -> String {
    format!("\"{data_version:x}-{:x}-{:x}\"", feed.id, now_ns / DAY_NS)
}

/// Whether an `If-None-Match` value names `etag` (a list, `*`, or weak forms).
fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

fn plain(status: StatusCode, text: &str) -> HttpResponse<'static> {
    HttpResponse::builder()
        .with_status_code(status)
        .with_headers(vec![
            ("content-type".into(), "text/plain; charset=utf-8".into()),
            ("cache-control".into(), "no-store".into()),
        ])
        .with_body(text.as_bytes().to_vec())
        .build()
}

/// The events of `owner` with an occurrence in the window, the earliest first, and whether
/// the bounds cut the list short.
pub fn window_events<M: Memory>(
    store: &Store<M>,
    ctx: &Ctx,
    from_ns: u64,
    to_ns: u64,
) -> (Vec<Event>, bool) {
    let mut events: BTreeMap<EventId, Event> = BTreeMap::new();
    let mut order = Vec::new();
    let mut scanned = 0;
    let mut req = ListRequest {
        owner: Some(ctx.caller),
        from_ns,
        to_ns,
        cursor: None,
        limit: Some(LIST_PAGE),
        include_declined: None,
    };
    loop {
        // The owner lists their own calendar: nothing to refuse but a bad range, which `window`
        // never builds.
        let Ok(page) = store.list(ctx, &req) else {
            return (Vec::new(), true);
        };
        scanned += page.occurrences.len();
        let mut by_id: BTreeMap<EventId, Event> =
            page.events.into_iter().map(|e| (e.id, e)).collect();
        // Invitations are the organizer's to publish: a feed carries the owner's own events.
        for o in page.occurrences.iter().filter(|o| o.invited.is_none()) {
            if let Some(e) = by_id.remove(&o.event_id) {
                if !events.contains_key(&e.id) {
                    if events.len() == MAX_FEED_EVENTS {
                        return (order_events(events, &order), true);
                    }
                    order.push(e.id);
                    events.insert(e.id, e);
                }
            }
        }
        match page.next_cursor {
            Some(_) if scanned >= MAX_FEED_OCCURRENCES => {
                return (order_events(events, &order), true)
            }
            Some(cursor) => req.cursor = Some(cursor),
            None => return (order_events(events, &order), false),
        }
    }
}

fn order_events(mut events: BTreeMap<EventId, Event>, order: &[EventId]) -> Vec<Event> {
    order.iter().filter_map(|id| events.remove(id)).collect()
}

/// Answers one HTTP request for a feed (`http_request_update`).
pub fn respond<M: Memory>(
    store: &Store<M>,
    feeds: &Feeds<M>,
    shard: candid::Principal,
    now_ns: u64,
    method: &str,
    url: &str,
    headers: &[(String, String)],
) -> HttpResponse<'static> {
    // Any text is a valid Candid method: one that is not an HTTP method is not served either.
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "feeds answer GET and HEAD");
    };
    let (token, head) = match route(&method, url) {
        Route::Feed { token, head } => (token, head),
        Route::MethodNotAllowed => {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "feeds answer GET and HEAD")
        }
        Route::NotFound => return plain(StatusCode::NOT_FOUND, "no such feed"),
    };
    let Some(feed) = feeds.feed_of_token(token) else {
        return plain(StatusCode::NOT_FOUND, "no such feed");
    };
    let tag = etag(store.meta().data_version, &feed, now_ns);
    let mut out_headers = vec![
        ("etag".to_string(), tag.clone()),
        ("cache-control".to_string(), CACHE_CONTROL.to_string()),
    ];
    let asked = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("if-none-match"))
        .any(|(_, v)| matches(v, &tag));
    if asked {
        return HttpResponse::builder()
            .with_status_code(StatusCode::NOT_MODIFIED)
            .with_headers(out_headers)
            .build();
    }
    let (from_ns, to_ns) = window(now_ns);
    let ctx = Ctx {
        caller: feed.owner,
        now_ns,
        shard,
    };
    let (mut events, mut truncated) = window_events(store, &ctx, from_ns, to_ns);
    let text = loop {
        let extras: Vec<_> = events.iter().map(|e| store.ics_extras(e.id)).collect();
        let Ok(text) = crate::ics::export_events(&events, &extras) else {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the feed could not be written",
            );
        };
        if text.len() <= MAX_FEED_BYTES {
            break text;
        }
        // Too long for one reply: keep the earliest 9 in 10 and write again.
        events.truncate(events.len() * 9 / 10);
        truncated = true;
    };
    out_headers.push((
        "content-type".to_string(),
        "text/calendar; charset=utf-8".to_string(),
    ));
    if truncated {
        out_headers.push((TRUNCATED_HEADER.to_string(), "true".to_string()));
    }
    let body = if head { Vec::new() } else { text.into_bytes() };
    HttpResponse::builder()
        .with_status_code(StatusCode::OK)
        .with_headers(out_headers)
        .with_body(body)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_feed_paths_with_a_plain_token_are_feeds() {
        let get = Method::GET;
        assert_eq!(
            route(&get, "/feeds/abc123.ics?x=1"),
            Route::Feed {
                token: "abc123",
                head: false
            }
        );
        assert_eq!(
            route(&Method::HEAD, "/feeds/abc.ics"),
            Route::Feed {
                token: "abc",
                head: true
            }
        );
        assert_eq!(
            route(&Method::POST, "/feeds/abc.ics"),
            Route::MethodNotAllowed
        );
        for url in [
            "/",
            "/feeds/.ics",
            "/feeds/a/b.ics",
            "/feeds/a%2e.ics",
            "/feeds/abc",
        ] {
            assert_eq!(route(&get, url), Route::NotFound, "{url}");
        }
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        assert!(matches("\"a\"", "\"a\""));
        assert!(matches("\"b\", W/\"a\"", "\"a\""));
        assert!(matches("*", "\"a\""));
        assert!(!matches("\"b\"", "\"a\""));
    }

    #[test]
    fn the_window_is_whole_days_around_today() {
        let now = 20_000 * DAY_NS + 5;
        let (from, to) = window(now);
        assert_eq!(from, (20_000 - 92) * DAY_NS);
        assert_eq!(to, (20_000 + 549) * DAY_NS);
    }
}
