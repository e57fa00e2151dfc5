//! Install and upgrade, one path for both. First the stored data is brought to this code's
//! layout (`layout.rs`; a trap here undoes the upgrade). Events live in stable structures, so
//! there is nothing to restore; timers do not survive an upgrade, so they are armed again here,
//! and whatever reminder updates were waiting in the outbox are sent again. The Candid codec's
//! reply headers are built here too (a query cannot keep what it builds).

use interfaces::security::MemberInit;

use crate::{jobs, layout, memory, state, KIND};

canister_kit::install_and_upgrade!(Option<interfaces::security::MemberInit>, installed);

fn installed(args: Option<MemberInit>) {
    crate::calls::remember_self();
    migrate_layout();
    canister_kit::lifecycle::member_installed(KIND, memory::membership(), args, jobs::arm);
    prepare_codec();
}

/// Runs `layout::migrate`; data this code cannot read stops the message (and undoes it).
pub fn migrate_layout() {
    if let Err(reason) = state::mutate(layout::migrate) {
        ic_cdk::trap(reason);
    }
}

/// Builds what the Candid codec needs for the queries of `lib.rs`
/// (`canister_kit::codec::prepare`), at install and upgrade: a query cannot keep what it builds,
/// so anything first built in one would be built again in each. Update calls keep what their
/// first call builds.
fn prepare_codec() {
    use candid::Principal;
    use canister_kit::codec::{prepare, prepare_args};
    use interfaces::calendar::{
        BookingPolicy, BusyBlock, CalendarConfig, CalendarMetrics, DeletedData, Event, EventId,
        EventPage, FreeBusyAudience, FreeBusyRequest, IcsExportRequest, IcsImportReport, IcsPage,
        ListRequest, PersonBusy, Slot, SlotRequest, SplitOutcome, TeamFreeBusyRequest,
    };
    use interfaces::invitation::{InvitationDeliveryStatus, InvitationListRequest, InvitationPage};
    use interfaces::{Error, HealthReport};
    use serde_bytes::ByteBuf;
    prepare::<Result<Event, Error>>();
    prepare::<Result<(), Error>>();
    prepare::<Result<EventPage, Error>>();
    prepare::<Result<Vec<BusyBlock>, Error>>();
    prepare::<Result<Vec<PersonBusy>, Error>>();
    prepare::<Option<BookingPolicy>>();
    prepare::<Result<Vec<Slot>, Error>>();
    prepare::<Result<IcsPage, Error>>();
    prepare::<Result<IcsImportReport, Error>>();
    prepare::<Result<SplitOutcome, Error>>();
    prepare::<HealthReport>();
    prepare::<CalendarMetrics>();
    prepare::<Option<String>>();
    prepare::<CalendarConfig>();
    prepare::<FreeBusyAudience>();
    prepare::<Result<DeletedData, Error>>();
    prepare::<Result<InvitationPage, Error>>();
    prepare::<InvitationDeliveryStatus>();
    prepare::<Result<Vec<interfaces::feeds::Feed>, Error>>();
    prepare::<Result<Vec<interfaces::feeds::Subscription>, Error>>();
    prepare::<ic_http_certification::HttpResponse<'static>>();
    prepare::<ic_cdk::management_canister::HttpRequestResult>();
    prepare_args::<(EventId,)>();
    prepare_args::<(ListRequest,)>();
    prepare_args::<(FreeBusyRequest,)>();
    prepare_args::<(ByteBuf, Principal, FreeBusyRequest)>();
    prepare_args::<(TeamFreeBusyRequest,)>();
    prepare_args::<(Principal,)>();
    prepare_args::<(SlotRequest,)>();
    prepare_args::<(IcsExportRequest,)>();
    prepare_args::<(InvitationListRequest,)>();
    prepare_args::<(ic_http_certification::HttpRequest<'static>,)>();
    prepare_args::<(ic_cdk::management_canister::TransformArgs,)>();
}

#[cfg(test)]
mod tests {
    use canister_kit::codec::reads_exactly;
    use interfaces::calendar::{EventId, EventInput, EventPatch};

    use crate::store::tests::{lesson, weekly, MONDAY};

    /// The writes' arguments, as a client built from the `.did` sends them, are read without
    /// candid's general decoder.
    #[test]
    fn event_writes_are_read_by_the_exact_reader() {
        super::prepare_codec();
        for input in [lesson(MONDAY), weekly(MONDAY, 3)] {
            let bytes = candid::encode_one(&input).unwrap();
            assert!(reads_exactly::<(EventInput,)>(&bytes), "{input:?}");
        }
        let patch = EventPatch {
            title: Some("Renamed".into()),
            ..Default::default()
        };
        let bytes = candid::encode_args((7u64, 1u64, &patch)).unwrap();
        assert!(reads_exactly::<(EventId, u64, EventPatch)>(&bytes));
        let bytes = candid::encode_args((7u64, Some(1u64))).unwrap();
        assert!(reads_exactly::<(EventId, Option<u64>)>(&bytes));
    }
}
