//! Hand-written worst cases for the calendar, run through the same checks as the generated
//! inputs: the review's two ICS files (one series with 810 overridden instances, 62 KB; the same
//! grown to 1 MiB), the longest series with the most overrides edited one more time or retimed,
//! and a rule that never matches (expansion walks its whole period cap).

use std::collections::BTreeMap;

use candid::{encode_args, Principal};
use integration_tests::{operator, user};
use interfaces::calendar::{
    CalendarConfig, Event, EventInput, EventPatch, EventTime, InstanceEdit, Recurrence,
};
use interfaces::{CanisterKind, Error};
use recurrence::jiff::Timestamp;

use super::{check_call, Net, Row, Verdict};

const HOUR_S: i64 = 3_600;
const DAY_S: i64 = 24 * HOUR_S;
/// 2026-01-01T09:00:00Z.
const BASE_S: i64 = 1_767_258_000;
const NS: u64 = 1_000_000_000;

fn ics_time(seconds: i64) -> String {
    Timestamp::from_second(seconds)
        .expect("in range")
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// One daily series of `count` instances with the last `overridden` of them cancelled, each as
/// its own `VEVENT` with a `RECURRENCE-ID` (what calendar applications export).
fn series_with_overrides(uid: &str, count: i64, overridden: i64) -> String {
    let mut text = format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{}\r\nDTEND:{}\r\nRRULE:FREQ=DAILY;COUNT={count}\r\n\
         SUMMARY:lesson\r\nEND:VEVENT\r\n",
        ics_time(BASE_S),
        ics_time(BASE_S + HOUR_S)
    );
    for k in (count - overridden)..count {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nRECURRENCE-ID:{}\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n",
            ics_time(BASE_S + k * DAY_S)
        ));
    }
    text
}

fn vcalendar(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//review//EN\r\n{body}END:VCALENDAR\r\n")
}

/// The review's 62 KB file: one series with 810 overridden instances.
pub fn review_62k() -> String {
    vcalendar(&series_with_overrides("r", 10_000, 810))
}

/// One series of `count` daily instances with its last `overridden` cancelled, as a file.
pub fn series_file(count: i64, overridden: i64) -> String {
    vcalendar(&series_with_overrides("r", count, overridden))
}

/// The review's 1 MiB file: as many such series as fit.
pub fn review_1m() -> String {
    let mut body = String::new();
    let mut n = 0;
    loop {
        let next = series_with_overrides(&format!("review-1m-{n}"), 10_000, 810);
        if body.len() + next.len() + 200 > 1 << 20 {
            break;
        }
        body.push_str(&next);
        n += 1;
    }
    // Top up to just under 1 MiB with one more series of as many overrides as fit.
    let per_override = 90;
    let room = ((1 << 20) - 400 - body.len()) / per_override;
    body.push_str(&series_with_overrides(
        "z",
        10_000,
        room.min(810) as i64 - 2,
    ));
    vcalendar(&body)
}

/// 500 series (the most one import may carry) of 10,000 instances each, and a rule that never
/// matches after its first day: every series makes expansion walk as far as it may.
pub fn many_long_series(never_again: bool) -> String {
    let mut body = String::new();
    for n in 0..500 {
        let rule = if never_again {
            // Daily periods that never match after DTSTART: each walk runs to its period cap.
            "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=10"
        } else if n % 2 == 0 {
            "FREQ=DAILY;COUNT=10000"
        } else {
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=10"
        };
        body.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:long-{n}\r\nDTSTART:{}\r\nDTEND:{}\r\nRRULE:{rule}\r\n\
             SUMMARY:s\r\nBEGIN:VALARM\r\nTRIGGER:-PT10M\r\nACTION:DISPLAY\r\nEND:VALARM\r\n\
             END:VEVENT\r\n",
            ics_time(BASE_S),
            ics_time(BASE_S + HOUR_S)
        ));
    }
    vcalendar(&body)
}

fn daily(count: u32) -> EventInput {
    let mut input = EventInput::timed(
        "long series",
        BASE_S as u64 * NS,
        (BASE_S + HOUR_S) as u64 * NS,
        "UTC",
    );
    input.recurrence = Some(Recurrence {
        rule: format!("RRULE:FREQ=DAILY;COUNT={count}"),
        exdates_ns: vec![],
        rdates_ns: None,
    });
    input.attendees = Some((10..110).map(user_principal).collect());
    input.reminders_minutes = Some(vec![5, 10, 30, 60, 1_440]);
    input.description = Some("d".repeat(8_000));
    input
}

fn user_principal(n: u32) -> Principal {
    let mut bytes = [9u8; 32];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    Principal::self_authenticating(bytes)
}

fn ok<T: std::fmt::Debug>(r: Result<T, Error>) -> T {
    r.unwrap_or_else(|e| panic!("expected Ok, got {e:?}"))
}

/// Runs one case, records it, and panics with the rule it broke.
fn case(
    net: &Net,
    rows: &mut BTreeMap<String, Row>,
    who: Principal,
    method: &str,
    label: &str,
    arg: Vec<u8>,
) -> Verdict {
    let shard = net.member(CanisterKind::Calendar);
    let verdict = check_call(net, shard, who, method, arg)
        .unwrap_or_else(|e| panic!("calendar.{method} [{label}]: {e}"));
    println!("  worst case {method:<14} {label:<48} {verdict:?}");
    rows.entry(method.to_string())
        .or_default()
        .record(&verdict, Some(label));
    verdict
}

pub fn calendar(net: &Net, rows: &mut BTreeMap<String, Row>) {
    let shard = net.member(CanisterKind::Calendar);
    // Generous limits, so the cases below reach the work and not the quotas.
    let (configured,): (Result<(), Error>,) = net
        .call(
            shard,
            operator(),
            "configure",
            (CalendarConfig {
                max_events_per_user: 100_000,
                writes_per_minute: 1_000_000,
            },),
        )
        .unwrap();
    ok(configured);
    let who = user(7);

    for (label, text) in [
        ("import_ics: review 62 KB, 810 overrides", review_62k()),
        ("import_ics: review 1 MiB", review_1m()),
        ("import_ics: 500 series of 10,000", many_long_series(false)),
        (
            "import_ics: 500 series never matching again",
            many_long_series(true),
        ),
    ] {
        let label = format!("{label} ({} bytes)", text.len());
        case(
            net,
            rows,
            who,
            "import_ics",
            &label,
            encode_args((text,)).unwrap(),
        );
    }
    // 500 series of 10,000 with their last instance cancelled: checking them all would cost
    // more than a message may spend, so the work meter answers a typed error partway (an
    // all-or-nothing import; by default the events past the budget are reported not attempted).
    let mut body = String::new();
    for n in 0..500 {
        body.push_str(&series_with_overrides(&format!("c{n}"), 10_000, 1));
    }
    let text = vcalendar(&body);
    let label = format!(
        "import_ics: 500 series of 10,000 + 1 override ({} bytes)",
        text.len()
    );
    let all_or_nothing = interfaces::calendar::IcsImportOptions {
        all_or_nothing: Some(true),
        floating_time_zone: None,
    };
    let verdict = case(
        net,
        rows,
        who,
        "import_ics",
        &label,
        encode_args((text, Some(all_or_nothing))).unwrap(),
    );
    assert!(
        matches!(verdict, Verdict::Answered { error: true, .. }),
        "past the work budget the import is refused with a typed error: {verdict:?}"
    );

    // The longest series a user may make, with every override it may hold, then one more
    // edit and a retiming that re-checks them all.
    let bytes = encode_args((daily(10_000),)).unwrap();
    case(
        net,
        rows,
        who,
        "create_event",
        "COUNT=10000, 100 attendees, 5 reminders",
        bytes.clone(),
    );
    // The 999 overrides are made before the attendees are added: each edit of an event with
    // attendees queues one message per attendee, which is the case measured below, not setup.
    let mut unattended = daily(10_000);
    let attendees = unattended.attendees.take();
    let (created,): (Result<Event, Error>,) =
        net.call(shard, who, "create_event", (unattended,)).unwrap();
    let mut event = ok(created);
    let start = |k: u64| (BASE_S as u64 + k * DAY_S as u64) * NS;
    for k in (10_000 - 999)..10_000u64 {
        let (edited,): (Result<Event, Error>,) = net
            .call(
                shard,
                who,
                "edit_instance",
                (event.id, event.revision, start(k), InstanceEdit::Cancelled),
            )
            .unwrap();
        event = ok(edited);
    }
    let invite = EventPatch {
        attendees,
        ..Default::default()
    };
    let (invited,): (Result<Event, Error>,) = net
        .call(
            shard,
            who,
            "update_event",
            (event.id, event.revision, invite),
        )
        .unwrap();
    let event = ok(invited);
    let edit = encode_args((
        event.id,
        event.revision,
        start(10),
        InstanceEdit::Moved {
            start_ns: start(10) + 3_600 * NS,
            end_ns: start(10) + 7_200 * NS,
        },
    ))
    .unwrap();
    case(
        net,
        rows,
        who,
        "edit_instance",
        "the 1,000th override of COUNT=10000",
        edit,
    );
    let (current,): (Result<Event, Error>,) =
        net.query(shard, who, "get_event", (event.id,)).unwrap();
    let event = ok(current);
    let retime = EventPatch {
        time: Some(EventTime::Timed {
            start_ns: start(0) + 1_800 * NS,
            end_ns: start(0) + 5_400 * NS,
        }),
        ..Default::default()
    };
    case(
        net,
        rows,
        who,
        "update_event",
        "retime COUNT=10000 with 1,000 overrides",
        encode_args((event.id, event.revision, retime)).unwrap(),
    );
    let mut never = daily(10);
    never.recurrence = Some(Recurrence {
        rule: "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=10".into(),
        exdates_ns: vec![],
        rdates_ns: None,
    });
    case(
        net,
        rows,
        who,
        "create_event",
        "a rule that never matches again",
        encode_args((never,)).unwrap(),
    );
}
