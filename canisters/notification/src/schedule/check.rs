//! Checking a calendar shard's reminder updates against the limits in
//! `interfaces::notification` before any is applied (`Store::sync`): the first problem is the
//! answer, and bad input changes nothing.

use candid::Principal;
use interfaces::notification::{
    ReminderPlan, ReminderUpdate, MAX_ATTENDEE_EXCEPTIONS, MAX_MINUTES_BEFORE, MAX_RECIPIENTS,
    MAX_REMINDERS_PER_EVENT, MAX_TITLE_CHARS, MAX_UPDATES_PER_SYNC,
};
use interfaces::{Error, InputProblem};
use recurrence::Series;
use security_base::limits;

use crate::model::EventKey;
use crate::store::event_key;

/// A checked update, with its schedule already expanded into a series.
pub(super) enum Checked {
    Set(Box<(ReminderPlan, Series)>),
    Cancel(EventKey, u64),
}

/// Checks every update against the limits in `interfaces::notification` and normalizes it
/// (recipients and minutes sorted, duplicates merged). The first problem is the answer.
pub(super) fn check_updates(
    caller: Principal,
    updates: Vec<ReminderUpdate>,
) -> Result<Vec<Checked>, Error> {
    limits::count("updates", updates.len(), MAX_UPDATES_PER_SYNC)?;
    updates
        .into_iter()
        .enumerate()
        .map(|(i, update)| check_update(caller, i, update))
        .collect()
}

fn check_update(caller: Principal, i: usize, update: ReminderUpdate) -> Result<Checked, Error> {
    let field = |name: &str| format!("updates[{i}].{name}");
    let event = match &update {
        ReminderUpdate::Set(plan) => plan.event,
        ReminderUpdate::Cancel { event, .. } => *event,
    };
    if event.shard != caller {
        return Err(Error::invalid(
            &field("event.shard"),
            InputProblem::Malformed {
                reason: "a shard may only schedule its own events".into(),
            },
        ));
    }
    let mut plan = match update {
        ReminderUpdate::Cancel { event, revision } => {
            return Ok(Checked::Cancel(event_key(&event), revision))
        }
        ReminderUpdate::Set(plan) => plan,
    };
    limits::text(&field("title"), &plan.title, MAX_TITLE_CHARS)?;
    plan.recipients.sort();
    plan.recipients.dedup();
    limits::count(&field("recipients"), plan.recipients.len(), MAX_RECIPIENTS)?;
    if plan.recipients.contains(&Principal::anonymous()) {
        return Err(Error::invalid(
            &field("recipients"),
            InputProblem::Malformed {
                reason: "the anonymous principal has no inbox".into(),
            },
        ));
    }
    check_minutes(&field("minutes_before"), &mut plan.minutes_before)?;
    check_attendees(&field, &mut plan)?;
    let series = recurrence::wire::series_from_schedule(&plan.schedule).map_err(|e| match e {
        Error::InvalidInput { field: f, problem } => Error::InvalidInput {
            field: field(&format!("schedule.{f}")),
            problem,
        },
        other => other,
    })?;
    Ok(Checked::Set(Box::new((plan, series))))
}

/// Sorts `minutes` (duplicates merged) and checks how many and how early they are.
fn check_minutes(field: &str, minutes: &mut Vec<u32>) -> Result<(), Error> {
    minutes.sort_unstable();
    minutes.dedup();
    limits::count(field, minutes.len(), MAX_REMINDERS_PER_EVENT)?;
    if let Some(&too_early) = minutes.iter().find(|m| **m > MAX_MINUTES_BEFORE) {
        return Err(Error::invalid(
            field,
            InputProblem::TooMany {
                max: MAX_MINUTES_BEFORE.into(),
                actual: too_early.into(),
            },
        ));
    }
    Ok(())
}

/// Checks and normalizes the attendees' own plans: one per attendee (sorted by principal),
/// minutes as the plan's, exception starts sorted and bounded in total. Absent and empty are
/// the same.
fn check_attendees(field: &dyn Fn(&str) -> String, plan: &mut ReminderPlan) -> Result<(), Error> {
    let mut attendees = plan.attendees.take().unwrap_or_default();
    attendees.sort_by_key(|a| a.principal);
    let distinct = attendees
        .windows(2)
        .all(|w| w[0].principal != w[1].principal);
    limits::count(&field("attendees"), attendees.len(), MAX_RECIPIENTS)?;
    if !distinct
        || attendees
            .iter()
            .any(|a| a.principal == Principal::anonymous())
    {
        return Err(Error::invalid(
            &field("attendees"),
            InputProblem::Malformed {
                reason: "one plan per attendee, none for the anonymous principal".into(),
            },
        ));
    }
    let exceptions: usize = attendees.iter().map(|a| a.exception_starts_ns.len()).sum();
    limits::count(
        &field("attendees.exception_starts_ns"),
        exceptions,
        MAX_ATTENDEE_EXCEPTIONS,
    )?;
    for (i, a) in attendees.iter_mut().enumerate() {
        check_minutes(
            &field(&format!("attendees[{i}].minutes_before")),
            &mut a.minutes_before,
        )?;
        a.exception_starts_ns.sort_unstable();
        a.exception_starts_ns.dedup();
    }
    plan.attendees = (!attendees.is_empty()).then_some(attendees);
    Ok(())
}
