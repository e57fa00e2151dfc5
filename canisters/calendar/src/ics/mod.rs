//! iCalendar (RFC 5545) export and import of a user's events.
//!
//! What RFC 5545 has no property for travels in `X-IC-*` properties, and what an imported
//! file says beyond the event model is kept verbatim beside the event
//! (`model::ics_extras`), so export then import loses nothing. Export names zones by IANA
//! `TZID` and writes a `VTIMEZONE` for each; import resolves a `TZID` as an IANA name, a
//! Windows name (CLDR) or the file's own `VTIMEZONE` (`recurrence::tz`).
//!
//! By concern: [`export`] writes, [`parse`] reads text into properties and components,
//! [`values`] reads dates, times and zones, [`import`] turns components into events
//! ([`instances`] their changed instances, [`series`] their RDATEs and starts before 1970) and
//! [`colors`] maps RFC 7986 colour names; here are the two flows the endpoints call.

mod colors;
mod export;
mod import;
mod instances;
mod parse;
mod series;
mod values;

// For feeds (`crate::feeds`): the served window is written, and outside feeds are read, by
// the same code as export and import.
pub(crate) use export::export as export_events;

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::calendar::{
    IcsEventOutcome, IcsEventReport, IcsExportRequest, IcsImportOptions, IcsImportReport, IcsPage,
    IcsSkipReason,
};
use interfaces::{Error, InputProblem};
use security_base::limits;

use crate::access;
use crate::store::{Ctx, Store};

/// Most `VEVENT` series one import may carry (the work meter, `crate::work`, bounds what they
/// cost: past its budget the rest are reported not attempted).
pub const MAX_IMPORT_EVENTS: usize = 1_000;
/// Most events one export page may carry.
pub const MAX_EXPORT_EVENTS: usize = 500;
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

/// The events of an outside feed (`crate::feeds`), read as an import reads them: those that
/// cannot be read are left out, and what iCalendar says beyond the event model is not kept
/// for a read-only copy.
pub(crate) fn parse_events(
    text: &str,
    owner: Principal,
    now_ns: u64,
) -> Result<Vec<interfaces::calendar::Event>, Error> {
    Ok(import::read(text, owner, now_ns, None)?
        .into_iter()
        .filter_map(|r| r.result.ok().map(|(event, _)| event))
        .collect())
}

/// One page of the caller's own events as a complete `VCALENDAR`, in id order.
pub fn export_page<M: Memory>(
    store: &Store<M>,
    caller: &Principal,
    req: IcsExportRequest,
) -> Result<IcsPage, Error> {
    access::require_user(caller)?;
    let limit = limits::page_size(req.limit, DEFAULT_EXPORT_EVENTS, MAX_EXPORT_EVENTS as u32)?;
    let (events, more) = store.owned_page(caller, req.cursor, limit);
    let extras: Vec<_> = events.iter().map(|e| store.ics_extras(e.id)).collect();
    Ok(IcsPage {
        ics: export::export(&events, &extras)?,
        events: events.len() as u32,
        next_cursor: if more {
            events.last().map(|e| e.id)
        } else {
            None
        },
    })
}

/// Imports a `VCALENDAR` for the caller: an event whose UID the caller already has is
/// replaced, others are added. By default each event stands alone (one that cannot be read or
/// stored is skipped, and the report says why); `all_or_nothing` refuses the whole file
/// instead, changing nothing.
pub fn import_into<M: Memory>(
    store: &mut Store<M>,
    ctx: &Ctx,
    text: &str,
    options: IcsImportOptions,
) -> Result<IcsImportReport, Error> {
    access::require_user(&ctx.caller)?;
    if text.len() > MAX_IMPORT_BYTES {
        return Err(refused(InputProblem::TooLong {
            max: MAX_IMPORT_BYTES as u64,
            actual: text.len() as u64,
        }));
    }
    let floating = match &options.floating_time_zone {
        Some(zone) => Some(
            // An IANA name as the database spells it, or a POSIX rule as given.
            recurrence::wire::time_zone(zone)
                .ok()
                .map(|tz| tz.iana_name().unwrap_or(zone).to_string())
                .ok_or_else(|| {
                    Error::invalid(
                        "floating_time_zone",
                        InputProblem::Malformed {
                            reason: format!("unknown time zone `{zone}`"),
                        },
                    )
                })?,
        ),
        None => None,
    };
    let read = import::read(text, ctx.caller, ctx.now_ns, floating.as_deref())?;
    let mut report = IcsImportReport::default();
    if options.all_or_nothing.unwrap_or(false) {
        let mut entries = Vec::with_capacity(read.len());
        let mut events = Vec::with_capacity(read.len());
        let mut extras = Vec::with_capacity(read.len());
        for r in read {
            match r.result {
                Ok((event, more)) => {
                    events.push(event);
                    extras.push(more);
                    entries.push((r.uid, r.not_kept));
                }
                Err(reason) => return Err(skip_error(&r.uid, reason)),
            }
        }
        let saved = store.import(ctx, events)?;
        let mut outcomes = Vec::with_capacity(saved.len());
        for ((event, created), more) in saved.into_iter().zip(extras) {
            store.set_ics_extras(event.id, &more);
            outcomes.push(outcome(&mut report, event.id, created));
        }
        report.events = Some(
            entries
                .into_iter()
                .zip(outcomes)
                .map(|((uid, not_kept), outcome)| IcsEventReport {
                    uid,
                    outcome,
                    not_kept,
                })
                .collect(),
        );
        report.skipped = Some(0);
        return Ok(report);
    }
    let total = read.len();
    let mut entries = Vec::with_capacity(total);
    let mut out_of_work = false;
    let mut skipped = 0;
    for (done, r) in read.into_iter().enumerate() {
        // Each event is checked and written alone; stop before the message runs out of work.
        out_of_work = out_of_work || crate::work::may_continue("ics", done, total).is_err();
        let outcome = match r.result {
            _ if out_of_work => Err(IcsSkipReason::NotAttempted),
            Err(reason) => Err(reason),
            Ok((event, more)) => match store.import(ctx, vec![event]) {
                Ok(mut saved) => {
                    let (event, created) = saved.pop().expect("one saved");
                    store.set_ics_extras(event.id, &more);
                    Ok(outcome(&mut report, event.id, created))
                }
                Err(error) => Err(IcsSkipReason::Refused { error }),
            },
        };
        let outcome = outcome.unwrap_or_else(|reason| {
            skipped += 1;
            IcsEventOutcome::Skipped { reason }
        });
        entries.push(IcsEventReport {
            uid: r.uid,
            outcome,
            not_kept: r.not_kept,
        });
    }
    report.skipped = Some(skipped);
    report.events = Some(entries);
    Ok(report)
}

fn outcome(report: &mut IcsImportReport, id: u64, created: bool) -> IcsEventOutcome {
    if created {
        report.created += 1;
        IcsEventOutcome::Created { id }
    } else {
        report.updated += 1;
        IcsEventOutcome::Updated { id }
    }
}

/// Why an all-or-nothing import refused the file: the first event that could not be imported.
fn skip_error(uid: &str, reason: IcsSkipReason) -> Error {
    match reason {
        IcsSkipReason::Refused { error } => error,
        other => malformed(format!("event {uid}: {other:?}")),
    }
}

#[cfg(test)]
mod tests;
