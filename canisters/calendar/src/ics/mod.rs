//! iCalendar (RFC 5545) export and import of a user's events.
//!
//! What RFC 5545 has no property for travels in `X-IC-*` properties, so export then import
//! loses nothing. Zones are written as IANA `TZID`s without `VTIMEZONE` blocks (import skips
//! `VTIMEZONE` and reads `TZID` as an IANA name).
//!
//! By concern: [`export`] writes, [`parse`] reads text into properties and components,
//! [`import`] turns those into events; here are the two flows the endpoints call.

mod export;
mod import;
mod parse;

// For feeds (`crate::feeds`): the served window is written, and outside feeds are read, by
// the same code as export and import.
pub(crate) use export::export as export_events;
pub(crate) use import::import as parse_events;

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::calendar::{IcsExportRequest, IcsImportReport, IcsPage};
use interfaces::{Error, InputProblem};
use security_base::limits;

use crate::access;
use crate::store::{Ctx, Store};

/// Most `VEVENT` series one import may carry.
pub const MAX_IMPORT_EVENTS: usize = 500;
/// Largest ICS text one import may carry.
pub const MAX_IMPORT_BYTES: usize = 1 << 20;
/// Events per export page when the request names no limit.
const DEFAULT_EXPORT_EVENTS: u32 = 100;

/// The ICS text broke a rule.
fn refused(problem: InputProblem) -> Error {
    Error::invalid("ics", problem)
}

fn malformed(reason: impl Into<String>) -> Error {
    refused(InputProblem::Malformed {
        reason: reason.into(),
    })
}

/// One page of the caller's own events as a complete `VCALENDAR`, in id order.
pub fn export_page<M: Memory>(
    store: &Store<M>,
    caller: &Principal,
    req: IcsExportRequest,
) -> Result<IcsPage, Error> {
    access::require_user(caller)?;
    let limit = limits::page_size(req.limit, DEFAULT_EXPORT_EVENTS, MAX_IMPORT_EVENTS as u32)?;
    let (events, more) = store.owned_page(caller, req.cursor, limit);
    Ok(IcsPage {
        ics: export::export(&events)?,
        events: events.len() as u32,
        next_cursor: if more {
            events.last().map(|e| e.id)
        } else {
            None
        },
    })
}

/// Imports a `VCALENDAR` for the caller, all or nothing: an event whose UID the caller already
/// has is replaced, others are added.
pub fn import_into<M: Memory>(
    store: &mut Store<M>,
    ctx: &Ctx,
    text: &str,
) -> Result<IcsImportReport, Error> {
    access::require_user(&ctx.caller)?;
    if text.len() > MAX_IMPORT_BYTES {
        return Err(refused(InputProblem::TooLong {
            max: MAX_IMPORT_BYTES as u64,
            actual: text.len() as u64,
        }));
    }
    let events = import::import(text, ctx.caller, ctx.now_ns)?;
    let (created, updated) = store.import(ctx, events)?;
    Ok(IcsImportReport { created, updated })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{ctx, fixture, lesson, user, weekly, DAY, HOUR, MONDAY};
    use interfaces::calendar::{Event, InstanceEdit, Visibility};

    fn export_all(f: &crate::store::tests::Fixture, who: u8) -> IcsPage {
        let req = IcsExportRequest {
            cursor: None,
            limit: None,
        };
        export_page(&f.store, &user(who), req).unwrap()
    }

    /// What a round trip may change: the id, timestamps and revision are the new store's.
    fn comparable(mut e: Event) -> Event {
        (e.id, e.created_at_ns, e.updated_at_ns, e.revision) = (0, 0, 0, 0);
        e
    }

    #[test]
    fn export_then_import_into_another_store_loses_nothing() {
        let mut f = fixture();
        let alice = f.ctx(user(1));
        let mut series = weekly(MONDAY, 5);
        series.reminders_minutes = Some(vec![10, 60]);
        series.attendees = Some(vec![user(2)]);
        series.visibility = Some(Visibility::Public);
        series.description = Some("bring; the, book\nplease".into());
        let s = f.store.create(&alice, series).unwrap();
        let s = f
            .store
            .edit_instance(&alice, s.id, 1, MONDAY + 7 * DAY, InstanceEdit::Cancelled)
            .unwrap();
        let one = f.store.create(&alice, lesson(MONDAY + HOUR)).unwrap();
        let page = export_all(&f, 1);
        assert_eq!((page.events, page.next_cursor), (2, None));

        let mut g = fixture();
        let report = import_into(&mut g.store, &ctx(user(1)), &page.ics).unwrap();
        assert_eq!((report.created, report.updated), (2, 0));
        for original in [s, one] {
            let copy = g.store.by_uid(&user(1), &original.ical_uid).unwrap();
            assert_eq!(comparable(copy.into_event()), comparable(original));
        }
        // Importing the same text again replaces both.
        let again = import_into(&mut g.store, &ctx(user(1)), &page.ics).unwrap();
        assert_eq!((again.created, again.updated), (0, 2));
        assert_eq!(g.store.event_count(), 2);
    }

    #[test]
    fn imports_are_all_or_nothing_and_need_a_signed_in_caller() {
        let mut f = fixture();
        let alice = f.ctx(user(1));
        f.store.create(&alice, lesson(MONDAY)).unwrap();
        let mut text = export_all(&f, 1).ics;
        let anonymous = f.ctx(Principal::anonymous());
        assert_eq!(
            import_into(&mut f.store, &anonymous, &text),
            Err(Error::AnonymousCaller)
        );
        assert_eq!(
            export_page(
                &f.store,
                &Principal::anonymous(),
                IcsExportRequest {
                    cursor: None,
                    limit: None
                }
            ),
            Err(Error::AnonymousCaller)
        );
        // A second, broken event (empty title) refuses the whole import.
        let broken = "BEGIN:VEVENT\r\nUID:other\r\nDTSTART:20260401T090000Z\r\nSUMMARY:\r\n\
                      END:VEVENT\r\nEND:VCALENDAR\r\n";
        text = text.replace("END:VCALENDAR\r\n", broken);
        let (bob, version) = (f.ctx(user(2)), f.store.meta().data_version);
        assert!(matches!(
            import_into(&mut f.store, &bob, &text),
            Err(Error::InvalidInput { .. })
        ));
        assert_eq!(f.store.meta().data_version, version);
        let too_big = "x".repeat(MAX_IMPORT_BYTES + 1);
        assert!(matches!(
            import_into(&mut f.store, &alice, &too_big),
            Err(Error::InvalidInput { .. })
        ));
    }
}
