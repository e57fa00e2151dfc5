//! Changed instances (`RECURRENCE-ID`) of an imported series: their times or cancellation,
//! their own lines beyond the model, and dropping those that name no instance of the series.

use interfaces::calendar::{Event, IcsSkipReason, InstanceChange, InstanceOverride, Schedule};
use recurrence::jiff::Timestamp;

use super::import::{add_ns, Timing, REGENERATED};
use super::parse::{Component, Prop};
use super::values::{duration_ns, epoch_ns, is_date, parse_date, unreadable, Times};
use crate::model::ics_extras::IcsExtras;

/// A changed instance: its times (or its cancellation) and its lines the model does not hold
/// (those equal to the series' own are left out).
pub(super) fn instance(
    change: &Component,
    master: &Component,
    original_start_ns: u64,
    timing: &Timing,
    times: &mut Times,
) -> Result<(InstanceOverride, Vec<String>), IcsSkipReason> {
    let cancelled = change
        .get("STATUS")
        .is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED"));
    let at = |p: &Prop, times: &mut Times| -> Result<u64, IcsSkipReason> {
        if is_date(p) {
            let d = parse_date(&p.name, &p.value)?;
            let t = recurrence::tz::wall_to_instant(&timing.tz, d.to_datetime(Default::default()))
                .map_err(|e| unreadable(&p.name, e.to_string()))?;
            epoch_ns(t)
        } else {
            epoch_ns(times.instant(p, &p.value)?.0)
        }
    };
    let change_kind = if cancelled {
        InstanceChange::Cancelled
    } else {
        let start_ns = match change.get("DTSTART") {
            Some(p) => at(p, times)?,
            None => original_start_ns,
        };
        let end_ns = match (change.get("DTEND"), change.get("DURATION")) {
            (Some(p), _) => at(p, times)?,
            (None, Some(d)) => add_ns(start_ns, duration_ns(&d.value)?)?,
            (None, None) => add_ns(start_ns, timing.length_ns)?,
        };
        InstanceChange::Moved {
            start_ns,
            end_ns: end_ns.max(start_ns),
        }
    };
    let mut lines = Vec::new();
    for p in &change.props {
        let handled = matches!(
            p.name.as_str(),
            "UID" | "RECURRENCE-ID" | "DTSTART" | "DTEND" | "DURATION" | ""
        ) || REGENERATED.contains(&p.name.as_str())
            || (cancelled && p.name == "STATUS");
        let same_as_series = master.props.iter().any(|m| m.raw == p.raw);
        if !handled && !same_as_series {
            lines.push(p.raw.clone());
        }
    }
    for alarm in &change.alarms {
        lines.push("BEGIN:VALARM".into());
        lines.extend(alarm.iter().map(|p| p.raw.clone()));
        lines.push("END:VALARM".into());
    }
    for nested in &change.nested {
        lines.extend(nested.iter().cloned());
    }
    Ok((
        InstanceOverride {
            original_start_ns,
            change: change_kind,
        },
        lines,
    ))
}

/// Drops changes to instances the series does not have (files from some producers carry
/// them after the rule changed), reporting each, so the series itself still imports.
pub(super) fn drop_non_instances(
    event: &mut Event,
    extras: &mut IcsExtras,
    not_kept: &mut Vec<String>,
) {
    if event.overrides.is_empty() {
        return;
    }
    let schedule = Schedule {
        time: event.time.clone(),
        time_zone: event.time_zone.clone(),
        recurrence: event.recurrence.clone(),
        overrides: vec![],
    };
    let Ok(series) = recurrence::wire::series_from_schedule(&schedule) else {
        return; // the gate reports the rule itself
    };
    let originals: Vec<Timestamp> = event
        .overrides
        .iter()
        .filter_map(|o| Timestamp::from_nanosecond(o.original_start_ns as i128).ok())
        .collect();
    let Ok(real) = recurrence::are_instances(&series, &originals) else {
        return;
    };
    if real.len() != event.overrides.len() {
        return;
    }
    let mut keep = real.into_iter();
    event.overrides.retain(|o| {
        let is_instance = keep.next().unwrap_or(true);
        if !is_instance {
            let at = Timestamp::from_nanosecond(o.original_start_ns as i128)
                .map(|t| t.to_string())
                .unwrap_or_default();
            not_kept.push(format!("RECURRENCE-ID {at}: not an instance of the series"));
            extras.instances.retain(|(s, _)| *s != o.original_start_ns);
        }
        is_instance
    });
}
