//! Keeping subscriptions to outside feeds in sync: an HTTPS outcall (the management canister's
//! `http_request`) fetches each feed, [`transform`] keeps only the status and the body so that
//! every replica of the subnet sees the same answer (servers add dates, cookies and request ids
//! to their headers), and `feeds::copy` applies the text to the read-only copy.
//!
//! A timer refreshes every subscription each [`REFRESH_INTERVAL`], a bounded batch per message;
//! subscribing fetches once right away. A failed fetch keeps the copy as it was and records why
//! in the subscription (`last_error`), and the next tick tries again.
//!
//! Cost on the IC (13-node subnet): `ic0.cost_http_request` for the request, dominated by the
//! response size allowed (800 cycles per byte per node), charged whatever the response uses.
//! So the limit follows the feed: twice its last size (at least 64 KiB), the importer's 1 MiB
//! limit for a first fetch or after a feed outgrew its limit. A 50 KB feed costs about 1.4
//! billion cycles per fetch, the largest 11 billion; see the README.

use std::cell::Cell;
use std::time::Duration;

use canister_kit::single_flight;
use ic_cdk::management_canister::{
    http_request, transform_context_from_query, HttpHeader, HttpMethod, HttpRequestArgs,
    HttpRequestResult, TransformArgs,
};
use interfaces::feeds::{Subscription, SubscriptionId};
use interfaces::Error;

use crate::feeds::{copy, key_user};
use crate::state;

/// How often every subscription is fetched again (calendar applications refresh subscriptions
/// every few hours; each fetch has a price).
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// Largest feed accepted: the importer's own limit, plus room for the response's headers.
const MAX_RESPONSE_BYTES: u64 = crate::ics::MAX_IMPORT_BYTES as u64 + 16_384;
/// The smallest limit asked for.
const MIN_RESPONSE_BYTES: u64 = 64 * 1024;
/// Subscriptions read from the map at a time (they are then fetched one after the other).
const BATCH: usize = 50;
/// The query the management canister calls on each response.
pub const TRANSFORM_METHOD: &str = "transform_feed";

thread_local! {
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
}

/// Only the status and the body: what every replica gets alike.
pub fn transform(args: TransformArgs) -> HttpRequestResult {
    HttpRequestResult {
        status: args.response.status,
        headers: Vec::new(),
        body: args.response.body,
    }
}

/// The response limit for a feed whose last fetch had `last_bytes`.
pub fn response_limit(last_bytes: Option<u64>) -> u64 {
    last_bytes.map_or(MAX_RESPONSE_BYTES, |b| {
        b.saturating_mul(2)
            .saturating_add(16_384)
            .clamp(MIN_RESPONSE_BYTES, MAX_RESPONSE_BYTES)
    })
}

fn request(url: &str, max_response_bytes: u64) -> HttpRequestArgs {
    HttpRequestArgs {
        url: url.to_string(),
        max_response_bytes: Some(max_response_bytes),
        method: HttpMethod::GET,
        headers: vec![
            HttpHeader {
                name: "accept".into(),
                value: "text/calendar".into(),
            },
            HttpHeader {
                name: "user-agent".into(),
                value: "icp-calendar".into(),
            },
        ],
        body: None,
        transform: Some(transform_context_from_query(
            TRANSFORM_METHOD.to_string(),
            Vec::new(),
        )),
        is_replicated: None,
    }
}

/// Fetches one subscription and applies it to its copy; records the outcome.
pub async fn refresh(user: candid::Principal, id: SubscriptionId, url: String) {
    let Some(record) = state::read_feeds(|f| f.subscription(&user, id)) else {
        return;
    };
    let limit = response_limit(record.last_bytes);
    // Other messages run during this await: the user may unsubscribe meanwhile, so the
    // subscription is looked up again before anything is written.
    let fetched = http_request(&request(&url, limit)).await;
    let now = ic_cdk::api::time();
    let shard = ic_cdk::api::canister_self();
    let Some(current) = state::read_feeds(|f| f.subscription(&user, id)) else {
        return;
    };
    if current.url != url {
        return;
    }
    let outcome = match fetched {
        Err(e) => {
            // The IC refuses a response over the limit: ask for the largest next time.
            let message = e.to_string();
            let too_large = message.contains("exceeds");
            Err((format!("fetch failed: {message}"), too_large))
        }
        Ok(r) if r.status != 200u32 => Err((format!("the server answered {}", r.status), false)),
        Ok(r) => {
            let bytes = r.body.len() as u64;
            match String::from_utf8(r.body) {
                Err(_) => Err(("the feed is not UTF-8 text".to_string(), false)),
                Ok(text) => state::mutate(|s| copy::apply(s, user, id, shard, now, &text))
                    .map(|applied| (applied.events, bytes))
                    .map_err(|e: Error| (format!("the feed was refused: {e}"), false)),
            }
        }
    };
    let _ = state::mutate_feeds(|f| {
        f.refreshed(&user, id, now, outcome);
        Ok(())
    });
}

/// Refreshes every subscription, one outcall at a time.
pub async fn refresh_all() {
    let Some(_running) = single_flight::begin(&REFRESHING) else {
        return;
    };
    let mut after = None;
    loop {
        let batch = state::read_feeds(|f| f.all_subscriptions(after, BATCH));
        let Some((last, _)) = batch.last() else {
            return;
        };
        after = Some(*last);
        for (key, url) in batch {
            refresh(key_user(&key), crate::keys::owned_id(&key), url).await;
        }
    }
}

/// Subscribes the caller and fetches the feed once; the answer shows how that went.
pub async fn subscribe(url: String) -> Result<Subscription, Error> {
    let created = crate::write("subscribe_feed", |c| {
        state::mutate_feeds(|f| f.subscribe(c, &url))
    })?;
    let caller = ic_cdk::api::msg_caller();
    refresh(caller, created.id, created.url.clone()).await;
    state::read_feeds(|f| f.list_subscriptions(&caller))?
        .into_iter()
        .find(|s| s.id == created.id)
        .ok_or_else(|| Error::not_found(format!("subscription {}", created.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_limit_follows_the_feed_size() {
        assert_eq!(response_limit(None), MAX_RESPONSE_BYTES);
        assert_eq!(response_limit(Some(100)), MIN_RESPONSE_BYTES);
        assert_eq!(response_limit(Some(50_000)), 116_384);
        assert_eq!(response_limit(Some(900_000)), MAX_RESPONSE_BYTES);
    }
}
