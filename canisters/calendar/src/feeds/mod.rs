//! Feeds: secret addresses of a user's calendar that other calendar applications subscribe to
//! (served by [`serve`] from `http_request`), and subscriptions to outside feeds the shard keeps
//! a read-only copy of (records here, the copy in [`copy`], the fetching in `crate::jobs`).
//!
//! A feed's token is 160 random bits from `raw_rand`, written as 40 hex digits (URL-safe). Only
//! its SHA-256 is stored, so neither a backup, a memory dump nor a query can reveal an address:
//! whoever knows the URL reads the calendar, and revoking the feed makes the URL unknown (404).
//!
//! A subscription's events are owned by a principal derived from (user, subscription id) in the
//! IC's reserved class (`0x7f`), which no one can sign as, and shared with the user as a viewer:
//! the user reads the copy like a shared calendar and the existing access rules refuse every
//! edit. Nothing here reads the clock or the caller: both come in a `Ctx`.

pub mod copy;
pub mod serve;

use candid::{CandidType, Deserialize, Principal};
use canister_kit::stored::{open_map, Candid};
use ic_stable_structures::{Memory, StableBTreeMap};
use interfaces::feeds::{
    Feed, FeedId, NewFeed, Subscription, SubscriptionId, MAX_FEEDS_PER_USER, MAX_FEED_NAME_BYTES,
    MAX_FEED_URL_BYTES, MAX_SUBSCRIPTIONS_PER_USER,
};
use interfaces::{Error, InputProblem};
use sha2::{Digest, Sha256};

use crate::access;
use crate::keys::{owned_id, owned_key, Key, OwnedKey};
use crate::store::Ctx;

/// Random bytes in a feed token (160 bits).
pub const TOKEN_BYTES: usize = 20;

pub type TokenHash = Key<32>;

/// A stored feed, found by the hash of its token.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FeedRecord {
    pub owner: Principal,
    pub id: FeedId,
    pub name: String,
    pub created_at_ns: u64,
}

/// A stored subscription, keyed by (user, id).
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub url: String,
    pub created_at_ns: u64,
    pub refreshed_at_ns: Option<u64>,
    pub events: u32,
    pub last_error: Option<String>,
    /// Bytes of the last feed fetched, which sizes the next outcall's `max_response_bytes`
    /// (its price); absent before the first fetch and after one the limit cut short.
    pub last_bytes: Option<u64>,
}

pub struct FeedMemories<M> {
    pub tokens: M,
    pub by_owner: M,
    pub subscriptions: M,
}

/// The feed and subscription records.
pub struct Feeds<M: Memory> {
    /// Token hash -> feed.
    tokens: StableBTreeMap<TokenHash, Candid<FeedRecord>, M>,
    /// (owner, feed id) -> token hash: listing and revoking.
    by_owner: StableBTreeMap<OwnedKey, TokenHash, M>,
    /// (user, subscription id) -> subscription.
    subscriptions: StableBTreeMap<OwnedKey, Candid<SubscriptionRecord>, M>,
}

pub fn token_hash(token: &str) -> TokenHash {
    Key(Sha256::digest(token.as_bytes()).into())
}

/// The token written as URL-safe text (lowercase hex).
pub fn token_text(random: &[u8]) -> String {
    random[..TOKEN_BYTES]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The principal that owns the copy of `user`'s subscription `id`: reserved class (`0x7f`),
/// so no key can sign for it and no canister has it.
pub fn subscription_calendar(user: &Principal, id: SubscriptionId) -> Principal {
    let mut h = Sha256::new();
    h.update(b"icp-calendar subscription");
    h.update(user.as_slice());
    h.update(id.to_be_bytes());
    let mut bytes = h.finalize()[..20].to_vec();
    bytes.push(0x7f);
    Principal::from_slice(&bytes)
}

fn invalid(field: &str, problem: InputProblem) -> Error {
    Error::invalid(field, problem)
}

fn too_many(field: &str, max: usize) -> Error {
    invalid(
        field,
        InputProblem::TooMany {
            max: max as u64,
            actual: max as u64 + 1,
        },
    )
}

/// Checks a feed name (may be empty; bounded).
fn check_name(name: &str) -> Result<(), Error> {
    if name.len() > MAX_FEED_NAME_BYTES {
        return Err(invalid(
            "name",
            InputProblem::TooLong {
                max: MAX_FEED_NAME_BYTES as u64,
                actual: name.len() as u64,
            },
        ));
    }
    Ok(())
}

/// Checks an outside feed's address: `https://` (or `webcal://`, read as https), or `http://`
/// for the loopback servers of the local runtime; bounded, without spaces or control chars.
pub fn normalize_url(url: &str) -> Result<String, Error> {
    let url = url.trim();
    if url.len() > MAX_FEED_URL_BYTES {
        return Err(invalid(
            "url",
            InputProblem::TooLong {
                max: MAX_FEED_URL_BYTES as u64,
                actual: url.len() as u64,
            },
        ));
    }
    let malformed = |reason: &str| {
        invalid(
            "url",
            InputProblem::Malformed {
                reason: reason.into(),
            },
        )
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(malformed("an address has no spaces or control characters"));
    }
    let url = match url.strip_prefix("webcal://") {
        Some(rest) => format!("https://{rest}"),
        None => url.to_string(),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| malformed("the address must start with https:// or webcal://"))?;
    if rest.split('/').next().unwrap_or("").is_empty() {
        return Err(malformed("the address names no host"));
    }
    Ok(url)
}

impl<M: Memory> Feeds<M> {
    pub fn init(m: FeedMemories<M>) -> Self {
        Self {
            // Part of the shard's data since backups carried them: a snapshot from before
            // leaves these memories zeroed, which opens as empty maps.
            tokens: open_map(m.tokens),
            by_owner: open_map(m.by_owner),
            subscriptions: open_map(m.subscriptions),
        }
    }

    fn feed_ids(&self, owner: &Principal) -> impl Iterator<Item = (FeedId, TokenHash)> + '_ {
        self.by_owner
            .range(owned_key(owner, 0)..=owned_key(owner, u64::MAX))
            .map(|e| (owned_id(e.key()), e.value()))
    }

    /// Everything `create_feed` checks before it awaits randomness (and again after).
    pub fn check_new_feed(&self, caller: &Principal, name: &str) -> Result<(), Error> {
        access::require_user(caller)?;
        check_name(name)?;
        if self.feed_ids(caller).count() >= MAX_FEEDS_PER_USER {
            return Err(too_many("feeds", MAX_FEEDS_PER_USER));
        }
        Ok(())
    }

    /// Stores a new feed of the caller whose token is made of `random` (from `raw_rand`).
    pub fn create_feed(
        &mut self,
        ctx: &Ctx,
        name: String,
        random: &[u8],
    ) -> Result<NewFeed, Error> {
        self.check_new_feed(&ctx.caller, &name)?;
        if random.len() < TOKEN_BYTES {
            return Err(Error::Unavailable {
                reason: "not enough randomness for a feed token".into(),
            });
        }
        let token = token_text(random);
        let hash = token_hash(&token);
        if self.tokens.contains_key(&hash) {
            return Err(Error::Conflict {
                reason: "this token is taken; try again".into(),
            });
        }
        let id = self
            .feed_ids(&ctx.caller)
            .last()
            .map_or(1, |(id, _)| id + 1);
        let record = FeedRecord {
            owner: ctx.caller,
            id,
            name,
            created_at_ns: ctx.now_ns,
        };
        self.tokens.insert(hash, Candid(record.clone()));
        self.by_owner.insert(owned_key(&ctx.caller, id), hash);
        Ok(NewFeed {
            feed: listed(&record),
            path: format!("/feeds/{token}.ics"),
            token,
        })
    }

    pub fn list_feeds(&self, caller: &Principal) -> Result<Vec<Feed>, Error> {
        access::require_user(caller)?;
        Ok(self
            .feed_ids(caller)
            .filter_map(|(_, hash)| self.tokens.get(&hash))
            .map(|r| listed(&r))
            .collect())
    }

    /// Forgets the feed: its address answers 404 from now on.
    pub fn revoke_feed(&mut self, caller: &Principal, id: FeedId) -> Result<(), Error> {
        access::require_user(caller)?;
        let hash = self
            .by_owner
            .remove(&owned_key(caller, id))
            .ok_or_else(|| Error::not_found(format!("feed {id}")))?;
        self.tokens.remove(&hash);
        Ok(())
    }

    /// The feed a token opens, if it exists.
    pub fn feed_of_token(&self, token: &str) -> Option<FeedRecord> {
        self.tokens.get(&token_hash(token)).map(|c| c.0)
    }

    // ---- subscriptions ---------------------------------------------------------------------

    fn subscription_entries(
        &self,
        user: &Principal,
    ) -> impl Iterator<Item = (SubscriptionId, SubscriptionRecord)> + '_ {
        self.subscriptions
            .range(owned_key(user, 0)..=owned_key(user, u64::MAX))
            .map(|e| (owned_id(e.key()), e.value().0))
    }

    /// Records a subscription of the caller to `url` (fetched by `crate::jobs` right after).
    pub fn subscribe(&mut self, ctx: &Ctx, url: &str) -> Result<Subscription, Error> {
        access::require_user(&ctx.caller)?;
        let url = normalize_url(url)?;
        let mut count = 0;
        let mut last = 0;
        for (id, s) in self.subscription_entries(&ctx.caller) {
            if s.url == url {
                return Err(Error::AlreadyExists {
                    what: format!("subscription {id} to {url}"),
                });
            }
            (count, last) = (count + 1, id);
        }
        if count >= MAX_SUBSCRIPTIONS_PER_USER {
            return Err(too_many("subscriptions", MAX_SUBSCRIPTIONS_PER_USER));
        }
        let id = last + 1;
        let record = SubscriptionRecord {
            url,
            created_at_ns: ctx.now_ns,
            refreshed_at_ns: None,
            events: 0,
            last_error: None,
            last_bytes: None,
        };
        self.subscriptions
            .insert(owned_key(&ctx.caller, id), Candid(record.clone()));
        Ok(subscription(&ctx.caller, id, record))
    }

    pub fn list_subscriptions(&self, caller: &Principal) -> Result<Vec<Subscription>, Error> {
        access::require_user(caller)?;
        Ok(self
            .subscription_entries(caller)
            .map(|(id, r)| subscription(caller, id, r))
            .collect())
    }

    pub fn subscription(&self, user: &Principal, id: SubscriptionId) -> Option<SubscriptionRecord> {
        self.subscriptions.get(&owned_key(user, id)).map(|c| c.0)
    }

    /// Forgets the subscription record (the caller removes the copy's events, `copy::clear`).
    pub fn unsubscribe(&mut self, caller: &Principal, id: SubscriptionId) -> Result<(), Error> {
        access::require_user(caller)?;
        self.subscriptions
            .remove(&owned_key(caller, id))
            .map(|_| ())
            .ok_or_else(|| Error::not_found(format!("subscription {id}")))
    }

    /// Records the outcome of a refresh, if the subscription still exists: the events in the
    /// copy and the feed's size, or why it failed (and whether the size limit was the cause).
    pub fn refreshed(
        &mut self,
        user: &Principal,
        id: SubscriptionId,
        now_ns: u64,
        outcome: Result<(u32, u64), (String, bool)>,
    ) {
        let key = owned_key(user, id);
        let Some(Candid(mut record)) = self.subscriptions.get(&key) else {
            return;
        };
        match outcome {
            Ok((events, bytes)) => {
                record.refreshed_at_ns = Some(now_ns);
                record.events = events;
                record.last_error = None;
                record.last_bytes = Some(bytes);
            }
            Err((reason, too_large)) => {
                record.last_error = Some(reason);
                if too_large {
                    record.last_bytes = None;
                }
            }
        }
        self.subscriptions.insert(key, Candid(record));
    }

    /// Every subscription as (user, id, url), at most `max`, after `after` (for the timer).
    pub fn all_subscriptions(
        &self,
        after: Option<OwnedKey>,
        max: usize,
    ) -> Vec<(OwnedKey, String)> {
        let entries: Box<dyn Iterator<Item = _>> = match after {
            Some(k) => Box::new(
                self.subscriptions
                    .range((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded)),
            ),
            None => Box::new(self.subscriptions.iter()),
        };
        entries
            .take(max)
            .map(|e| (*e.key(), e.value().0.url.clone()))
            .collect()
    }
}

/// The user a subscription key belongs to.
/// Account deletion: clears the copies of `user`'s subscriptions (at most `max` events per
/// call), forgetting each subscription once its copy is empty, then forgets the user's feeds
/// (their addresses answer 404). True once nothing of the user's is left here.
pub fn forget_user<M: Memory>(
    store: &mut crate::store::Store<M>,
    feeds: &mut Feeds<M>,
    ctx: &Ctx,
    user: &Principal,
    max: u32,
) -> bool {
    let subscriptions: Vec<SubscriptionId> =
        feeds.subscription_entries(user).map(|(id, _)| id).collect();
    let mut left = max;
    for id in subscriptions {
        if left == 0 {
            return false;
        }
        let (removed, empty) = copy::clear(store, *user, id, ctx.shard, ctx.now_ns, left);
        left -= removed;
        if !empty {
            return false;
        }
        feeds.subscriptions.remove(&owned_key(user, id));
    }
    let owned: Vec<(FeedId, TokenHash)> = feeds.feed_ids(user).collect();
    for (id, hash) in owned {
        feeds.by_owner.remove(&owned_key(user, id));
        feeds.tokens.remove(&hash);
    }
    true
}

pub fn key_user(key: &OwnedKey) -> Principal {
    let len = key.0[0] as usize;
    Principal::from_slice(&key.0[1..1 + len])
}

fn listed(r: &FeedRecord) -> Feed {
    Feed {
        id: r.id,
        name: r.name.clone(),
        created_at_ns: r.created_at_ns,
    }
}

fn subscription(user: &Principal, id: SubscriptionId, r: SubscriptionRecord) -> Subscription {
    Subscription {
        id,
        url: r.url,
        calendar: subscription_calendar(user, id),
        created_at_ns: r.created_at_ns,
        refreshed_at_ns: r.refreshed_at_ns,
        events: r.events,
        last_error: r.last_error,
    }
}

#[cfg(test)]
mod tests;
