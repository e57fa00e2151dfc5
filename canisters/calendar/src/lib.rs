//! Calendar shard: users' events, recurrence, time zones, sharing, free/busy, booking and
//! iCalendar, plus the group-member endpoints for account deletion and backups.
//!
//! Endpoints stay thin: they build a [`store::Ctx`] from the system, call plain logic in
//! [`store`], [`booking`] or [`ics`], and record metrics. Every user write is rate limited per
//! caller, counted in `health_check`, and measured per method (`get_metrics`), all by the
//! wrappers in [`calls`]. Who may do what is decided in [`access`] and what may be stored in
//! [`validate`], both called by that logic, never here. Install and upgrade are [`lifecycle`];
//! timers and awaiting flows [`jobs`].

mod access;
mod booking;
mod calls;
mod feeds;
mod ics;
mod jobs;
mod keys;
mod layout;
mod lifecycle;
mod memory;
mod metrics;
mod model;
mod state;
mod store;
mod validate;
mod work;

use candid::{candid_method, Principal};
use canister_kit::codec::Deferred;
use ic_cdk::api::{canister_self, is_controller, msg_caller, performance_counter, time};
use ic_cdk::{inspect_message, query, update};
use interfaces::calendar::{
    BookingPolicy, BookingRequest, BusyBlock, CalendarConfig, CalendarMetrics, DeletedData, Event,
    EventId, EventInput, EventPage, EventPatch, FreeBusyAudience, FreeBusyRequest,
    IcsExportRequest, IcsImportOptions, IcsImportReport, IcsPage, InstanceEdit, ListRequest,
    PersonBusy, Rsvp, Slot, SlotRequest, SplitOutcome, TeamFreeBusyRequest,
};
use interfaces::invitation::{
    InvitationDeliveryStatus, InvitationListRequest, InvitationMessage, InvitationPage,
};
use interfaces::{CanisterKind, Error};
use serde_bytes::ByteBuf;

use calls::{ctx, finish, member_call, user_write, write};

const KIND: CanisterKind = CanisterKind::Calendar;
/// Ingress larger than this is refused before it runs (an ICS import is the largest argument).
const MAX_INGRESS_ARG_BYTES: usize = ics::MAX_IMPORT_BYTES + 4_096;

// ---- events --------------------------------------------------------------------------------

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::deferred",
    encode_with = "canister_kit::codec::reply"
)]
fn create_event(input: Deferred<EventInput>) -> Result<Event, Error> {
    // Read only once the caller may create: an anonymous call costs no decoding.
    let create = |c: &_| state::mutate(|s| s.create(c, input.read()));
    user_write("create_event", create)
}

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn get_event(id: EventId) -> Result<Event, Error> {
    state::read(|s| s.get(&ctx(), id))
}

/// A partial update from `expected_revision` (else `StaleRevision`, decided before the patch is
/// read); a new timing drops the instance changes that no longer name an instance.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::deferred_last",
    encode_with = "canister_kit::codec::reply"
)]
fn update_event(
    id: EventId,
    expected_revision: u64,
    patch: Deferred<EventPatch>,
) -> Result<Event, Error> {
    write("update_event", |c| {
        state::mutate(|s| s.update(c, id, expected_revision, patch))
    })
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn delete_event(id: EventId, expected_revision: Option<u64>) -> Result<(), Error> {
    write("delete_event", |c| {
        state::mutate(|s| s.delete(c, id, expected_revision))
    })
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn rsvp(id: EventId, answer: Rsvp) -> Result<Event, Error> {
    write("rsvp", |c| state::mutate(|s| s.rsvp(c, id, answer)))
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn rsvp_occurrence(id: EventId, original_start_ns: u64, answer: Rsvp) -> Result<Event, Error> {
    write("rsvp_occurrence", |c| {
        state::mutate(|s| s.rsvp_occurrence(c, id, original_start_ns, answer))
    })
}

/// The caller's own reminders for an event they attend, in place of the organizer's; `null`
/// follows the organizer's again. Reminders reach only the occurrences they accepted.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn set_attendee_reminders(id: EventId, minutes: Option<Vec<u32>>) -> Result<Event, Error> {
    write("set_attendee_reminders", |c| {
        state::mutate(|s| s.set_own_reminders(c, id, minutes))
    })
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn edit_instance(
    id: EventId,
    expected_revision: u64,
    original_start_ns: u64,
    edit: InstanceEdit,
) -> Result<Event, Error> {
    write("edit_instance", |c| {
        state::mutate(|s| s.edit_instance(c, id, expected_revision, original_start_ns, edit))
    })
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn split_event(
    id: EventId,
    expected_revision: u64,
    at_original_start_ns: u64,
    patch: EventPatch,
) -> Result<SplitOutcome, Error> {
    write("split_event", |c| {
        state::mutate(|s| s.split(c, id, expected_revision, at_original_start_ns, patch))
    })
}

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn list_events(req: ListRequest) -> Result<EventPage, Error> {
    state::read(|s| s.list(&ctx(), &req))
}

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn free_busy(req: FreeBusyRequest) -> Result<Vec<BusyBlock>, Error> {
    state::read(|s| s.free_busy(&msg_caller(), &req))
}

/// Free/busy of a user of this shard as `asker` may see it, for another calendar shard of the
/// group (its own key) answering `team_free_busy` for `asker`.
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_args",
    encode_with = "canister_kit::codec::query_reply"
)]
fn member_free_busy(
    key: ByteBuf,
    asker: Principal,
    req: FreeBusyRequest,
) -> Result<Vec<BusyBlock>, Error> {
    // A query: nothing recorded (`member_call` records metrics, which a query cannot keep).
    canister_kit::auth::require_member_of(msg_caller(), &key, &[CanisterKind::Calendar])
        .and_then(|_| state::read(|s| s.free_busy(&asker, &req)))
}

/// Who may see the caller's busy times: nobody else, the people they share an event with or
/// invite (the default), or every signed-in user.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn set_free_busy_audience(audience: FreeBusyAudience) -> Result<(), Error> {
    write("set_free_busy_audience", |c| {
        state::mutate(|s| s.set_free_busy_audience(c, audience))
    })
}

/// The caller's choice of [`set_free_busy_audience`].
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_free_busy_audience() -> FreeBusyAudience {
    state::read(|s| s.free_busy_audience(&msg_caller()))
}

/// Free/busy of up to 20 people, whichever shards they live on (`jobs::team`).
#[candid_method(composite_query)]
#[query(
    composite = true,
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
async fn team_free_busy(req: TeamFreeBusyRequest) -> Result<Vec<PersonBusy>, Error> {
    jobs::team::free_busy(ctx(), req).await
}

// ---- booking -------------------------------------------------------------------------------

/// Sets (or with `null` removes) the caller's booking policy.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn set_booking_policy(policy: Option<BookingPolicy>) -> Result<(), Error> {
    write("set_booking_policy", |c| {
        state::mutate(|s| s.set_policy(c, policy))
    })
}

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn get_booking_policy(host: Principal) -> Option<BookingPolicy> {
    state::read(|s| s.policy(&host))
}

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn available_slots(req: SlotRequest) -> Result<Vec<Slot>, Error> {
    state::read(|s| booking::available(s, time(), &req))
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn book_slot(req: BookingRequest) -> Result<Event, Error> {
    write("book_slot", |c| state::mutate(|s| booking::book(s, c, req)))
}

// ---- iCalendar -----------------------------------------------------------------------------

#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn export_ics(req: IcsExportRequest) -> Result<IcsPage, Error> {
    state::read(|s| ics::export_page(s, &msg_caller(), req))
}

/// Imports a `VCALENDAR` for the caller: an event whose UID the caller already has is
/// replaced, others are added; the report says per event what happened and what could not be
/// kept. An event that cannot be imported is skipped unless `all_or_nothing` is set.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn import_ics(text: String, options: Option<IcsImportOptions>) -> Result<IcsImportReport, Error> {
    write("import_ics", |c| {
        state::mutate(|s| ics::import_into(s, c, &text, options.unwrap_or_default()))
    })
}

// ---- feeds: secret iCalendar addresses over HTTP, and subscriptions to outside feeds ------

/// A new secret feed address of the caller's calendar; the token is shown only here.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
async fn create_feed(name: String) -> Result<interfaces::feeds::NewFeed, Error> {
    let caller = msg_caller();
    state::read_feeds(|f| f.check_new_feed(&caller, &name))?;
    // The token's randomness comes from the subnet; other messages run during this await, so
    // the limits are checked again before the feed is stored.
    let random = ic_cdk::management_canister::raw_rand()
        .await
        .map_err(|e| Error::Unavailable {
            reason: format!("no randomness: {e}"),
        })?;
    write("create_feed", |c| {
        state::mutate_feeds(|f| f.create_feed(c, name, &random))
    })
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn list_feeds() -> Result<Vec<interfaces::feeds::Feed>, Error> {
    state::read_feeds(|f| f.list_feeds(&msg_caller()))
}

/// Forgets a feed: its address answers 404 from now on.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn revoke_feed(id: interfaces::feeds::FeedId) -> Result<(), Error> {
    write("revoke_feed", |c| {
        state::mutate_feeds(|f| f.revoke_feed(&c.caller, id))
    })
}

/// Every HTTP request goes through consensus (`feeds::serve` says why): the query only asks the
/// gateway to upgrade.
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn http_request(
    _request: ic_http_certification::HttpRequest<'static>,
) -> ic_http_certification::HttpResponse<'static> {
    ic_http_certification::HttpResponse::builder()
        .with_upgrade(true)
        .build()
}

/// Serves `GET /feeds/<token>.ics` (the gateway calls it anonymously: no per-caller limit).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn http_request_update(
    request: interfaces::feeds::HttpUpdateRequest,
) -> ic_http_certification::HttpUpdateResponse<'static> {
    let response = state::read(|s| {
        state::read_feeds(|f| {
            feeds::serve::respond(
                s,
                f,
                canister_self(),
                time(),
                &request.method,
                &request.url,
                &request.headers,
            )
        })
    });
    metrics::record("http_request_update", true, performance_counter(0));
    response.into()
}

/// Subscribes the caller to an outside feed (`https://` or `webcal://`) and fetches it once;
/// a timer keeps the read-only copy in sync.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
async fn subscribe_feed(url: String) -> Result<interfaces::feeds::Subscription, Error> {
    jobs::subscriptions::subscribe(url).await
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn list_subscriptions() -> Result<Vec<interfaces::feeds::Subscription>, Error> {
    state::read_feeds(|f| f.list_subscriptions(&msg_caller()))
}

/// Removes the subscription and its copy.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn unsubscribe(id: interfaces::feeds::SubscriptionId) -> Result<(), Error> {
    write("unsubscribe", |c| {
        state::mutate_feeds(|f| f.unsubscribe(&c.caller, id))?;
        state::mutate(|s| feeds::copy::clear(s, c.caller, id, c.shard, c.now_ns, u32::MAX));
        Ok(())
    })
}

/// Keeps only what every replica sees alike of an outside feed's response (status and body).
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn transform_feed(
    args: ic_cdk::management_canister::TransformArgs,
) -> ic_cdk::management_canister::HttpRequestResult {
    jobs::subscriptions::transform(args)
}

// ---- operations ----------------------------------------------------------------------------

canister_kit::health_endpoint!(KIND);

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_metrics() -> CalendarMetrics {
    state::read(metrics::report)
}

/// Why reminder updates are waiting, when the last delivery failed.
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_reminder_delivery_error() -> Option<String> {
    jobs::last_error()
}

#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_config() -> CalendarConfig {
    state::read(|s| s.config())
}

#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn configure(config: CalendarConfig) -> Result<(), Error> {
    let caller = msg_caller();
    let result = security_base::guards::require_controller(&caller, is_controller(&caller))
        .and_then(|()| state::mutate(|s| s.set_config(config)));
    finish("configure", result)
}

// ---- invitations across shards --------------------------------------------------------------

/// Invitations from calendar shards of the group (their own key), each message naming the
/// calling shard as its organizer's; idempotent by revision. Answers how many changed a record.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn deliver_invitations(key: ByteBuf, messages: Vec<InvitationMessage>) -> Result<u64, Error> {
    let kinds = [CanisterKind::Calendar];
    member_call("deliver_invitations", &key, &kinds, |c| {
        state::mutate(|s| s.invitations_mut().receive(c.caller, messages))
    })
}

/// Forgets up to 500 of the invitations this shard holds from the calling calendar shard (its
/// own key), which was restored from a backup and sends them all again; `done` once none is
/// left.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn forget_invitations(key: ByteBuf) -> Result<DeletedData, Error> {
    member_call("forget_invitations", &key, &[CanisterKind::Calendar], |c| {
        Ok(state::mutate(|s| {
            s.invitations_mut().forget_page_from(&c.caller)
        }))
    })
}

/// Forgets up to 500 of the invitations this shard holds from `lost`, for the backup canister
/// (its own key), which restored that shard into a new one that sends them again.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn forget_invitations_of(key: ByteBuf, lost: Principal) -> Result<DeletedData, Error> {
    let kinds = [CanisterKind::BackupCanister];
    member_call("forget_invitations_of", &key, &kinds, |_| {
        Ok(state::mutate(|s| {
            s.invitations_mut().forget_page_from(&lost)
        }))
    })
}

/// Queues every invitation of this shard's events again, for another calendar shard of the
/// group (its own key) restored from a backup into a canister that held no invitations.
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::arg",
    encode_with = "canister_kit::codec::reply"
)]
fn resend_invitations(key: ByteBuf) -> Result<(), Error> {
    let kinds = [CanisterKind::Calendar];
    member_call("resend_invitations", &key, &kinds, |_| {
        state::mutate(|s| s.resend_invitations());
        Ok(())
    })
}

/// The caller's invitations from every organizer, a page at a time.
#[candid_method(query)]
#[query(
    hidden = true,
    decode_with = "canister_kit::codec::query_arg",
    encode_with = "canister_kit::codec::query_reply"
)]
fn list_invitations(req: InvitationListRequest) -> Result<InvitationPage, Error> {
    state::read(|s| s.list_invitations(&ctx(), &req))
}

/// How delivering this shard's invitations stands.
#[candid_method(query)]
#[query(hidden = true, encode_with = "canister_kit::codec::query_reply")]
fn get_invitation_delivery_status() -> InvitationDeliveryStatus {
    jobs::invitations::status()
}

// ---- group members: account deletion and backups --------------------------------------------

/// Account deletion (the user registry): removes the user's events, booking policy, their
/// place in other people's events, then their subscriptions (with their copies) and feeds, a
/// bounded batch per call (`done` once nothing is left).
#[candid_method(update)]
#[update(
    hidden = true,
    decode_with = "canister_kit::codec::args",
    encode_with = "canister_kit::codec::reply"
)]
fn delete_user_data(key: ByteBuf, user: Principal) -> Result<DeletedData, Error> {
    let kinds = [CanisterKind::UserRegistry];
    member_call("delete_user_data", &key, &kinds, |c| {
        Ok(state::delete_user_data(c, &user))
    })
}

// Backups: the group's backup canister only (`state::Backup`).
canister_kit::backup_endpoints!(state::Backup);

canister_kit::group_member_endpoints!();

/// Refuses oversized ingress before it runs (it saves cycles; every endpoint checks its own
/// limits). Anonymous writes are let through so the caller gets the typed `AnonymousCaller`.
#[inspect_message]
fn inspect_message() {
    canister_kit::endpoints::accept_ingress_up_to(MAX_INGRESS_ARG_BYTES);
}

canister_kit::committed_did_test!("calendar.did");
