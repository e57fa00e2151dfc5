//! Wire types of the calendar shard's feeds (`calendar.did`): secret addresses other calendar
//! applications subscribe to, and subscriptions to outside feeds the shard keeps a read-only
//! copy of.

use candid::{CandidType, Deserialize, Principal};
use serde::Serialize;

pub type FeedId = u64;
pub type SubscriptionId = u64;

/// Most feeds one user may hold at once.
pub const MAX_FEEDS_PER_USER: usize = 20;
/// Most outside feeds one user may subscribe to.
pub const MAX_SUBSCRIPTIONS_PER_USER: usize = 10;
/// Longest feed name, in bytes.
pub const MAX_FEED_NAME_BYTES: usize = 100;
/// Longest outside-feed URL, in bytes.
pub const MAX_FEED_URL_BYTES: usize = 2_048;

/// A secret feed address of the caller's calendar, as listed: the token itself is shown only
/// once, when the feed is created (only its hash is stored).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Feed {
    pub id: FeedId,
    pub name: String,
    pub created_at_ns: u64,
}

/// A feed just created: `path` (`/feeds/<token>.ics`) is to be appended to the shard's HTTP
/// address (`https://<shard>.icp0.io`, or `webcal://` for calendar applications).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct NewFeed {
    pub feed: Feed,
    pub token: String,
    pub path: String,
}

/// An outside feed the caller subscribed to. Its events are owned by `calendar`, a principal
/// no one can sign as, and shared with the subscriber as a viewer: read them with
/// `list_events` and `owner = calendar`; they cannot be edited.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub url: String,
    pub calendar: Principal,
    pub created_at_ns: u64,
    /// When the last refresh succeeded, if one has.
    pub refreshed_at_ns: Option<u64>,
    /// Events in the copy after the last successful refresh.
    pub events: u32,
    /// Why the last refresh failed, if it did (the copy kept what it had).
    pub last_error: Option<String>,
}

/// An HTTP request as the gateway passes it to `http_request_update` (the `.did`'s
/// `HttpUpdateRequest`). The method is plain text, as in the `.did`: any text is valid Candid,
/// and a method the feeds do not serve is answered 405 rather than refused by the decoder.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HttpUpdateRequest {
    pub url: String,
    pub method: String,
    pub body: serde_bytes::ByteBuf,
    pub headers: Vec<(String, String)>,
}
