//! Conformance with python-dateutil's RRULE test suite: every case of
//! `shared/conformance/rrule/dateutil_cases.json` (178 cases, see that folder's README) runs
//! through the real engine (`RecurrenceRule` parse, `Series::new`, `next_instances_after`), and a
//! table shows per case the rule, the expected count, ours, and whether they are equal or which
//! typed error refused the rule.
//!
//! DTSTART semantics differ on purpose (crate header, "DTSTART is always the first instance"):
//! dateutil leaves out a DTSTART its rule does not select (`dtstart_in_expected: false`, unless
//! an EXDATE removed it), RFC 5545 counts it as the first instance. For those cases the test
//! checks both halves of that statement explicitly: our first instance is DTSTART, and the
//! instances after it are exactly dateutil's list, with COUNT raised by one because DTSTART
//! takes one of them.
//!
//! RDATEs are not part of a rule (the calendar stores them beside the series), so the one case
//! with RDATEs adds them to our list the way an importer does: a set union, sorted.
//!
//! The data lives beside the repository (`<repo>/../shared/conformance`, also in CI); set
//! `CONFORMANCE_DIR` to point elsewhere. A missing directory fails the test with that path.

use std::str::FromStr;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use recurrence::{next_instances_after, EventTime, RecurrenceError, RecurrenceRule, Series};
use serde_json::Value;

mod common;
use common::conformance_dir;

/// What one case gave.
enum Outcome {
    Equal { ours: usize, dtstart_added: bool },
    Different { ours: Vec<String> },
    Refused(RecurrenceError),
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn wall(s: &str) -> DateTime {
    DateTime::from_str(s).unwrap_or_else(|e| panic!("bad date-time {s}: {e}"))
}

fn civil_text(t: Timestamp, tz: &TimeZone) -> String {
    tz.to_datetime(t).strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Our instances of `rule` (with `count_bonus` added to its COUNT) as wall-clock text,
/// RDATEs merged in, at most `n` (plus one to catch an extra instance of a complete case).
fn expand(
    case: &Value,
    rule: &RecurrenceRule,
    count_bonus: u32,
    n: usize,
) -> Result<Vec<String>, RecurrenceError> {
    let zone = case["tzid"].as_str().unwrap_or("UTC");
    let tz = TimeZone::get(zone).expect("case zone is in the bundled tz database");
    let start = wall(&text(case, "dtstart"));
    let mut rule = rule.clone();
    rule.count = rule.count.map(|c| c + count_bonus);
    let mut series = Series::new(
        EventTime::Timed {
            start,
            duration: SignedDuration::ZERO,
        },
        zone,
        Some(rule),
    )?;
    for ex in strings(case, "exdates") {
        let at = tz.to_ambiguous_timestamp(wall(&ex)).compatible().unwrap();
        series.exdates.insert(at);
    }
    let first = tz.to_ambiguous_timestamp(start).compatible().unwrap();
    let after = first - SignedDuration::from_secs(1);
    let mut ours: Vec<String> = next_instances_after(&series, after, n)?
        .iter()
        .map(|i| civil_text(i.start, &tz))
        .collect();
    let rdates = strings(case, "rdates");
    if !rdates.is_empty() {
        ours.extend(rdates);
        ours.sort();
        ours.dedup();
        ours.truncate(n);
    }
    Ok(ours)
}

fn run_case(case: &Value) -> Outcome {
    let expected = strings(case, "expected");
    let complete = case["complete"].as_bool().unwrap_or(true);
    let rule = match RecurrenceRule::from_str(&text(case, "rrule")) {
        Ok(r) => r,
        Err(e) => return Outcome::Refused(e),
    };
    let dtstart = text(case, "dtstart");
    let dtstart_excluded = strings(case, "exdates").contains(&dtstart);
    let dateutil_dropped_dtstart =
        !case["dtstart_in_expected"].as_bool().unwrap_or(true) && !dtstart_excluded;
    let want = expected.len() + usize::from(complete);
    if dateutil_dropped_dtstart {
        // RFC 5545: DTSTART first, then dateutil's list; COUNT spends one on DTSTART.
        let ours = match expand(case, &rule, 1, want + 1) {
            Ok(o) => o,
            Err(e) => return Outcome::Refused(e),
        };
        if ours.first() == Some(&dtstart) && ours[1..] == expected[..] {
            return Outcome::Equal {
                ours: ours.len() - 1,
                dtstart_added: true,
            };
        }
        return Outcome::Different { ours };
    }
    match expand(case, &rule, 0, want) {
        Ok(ours) if ours == expected => Outcome::Equal {
            ours: ours.len(),
            dtstart_added: false,
        },
        Ok(ours) => Outcome::Different { ours },
        Err(e) => Outcome::Refused(e),
    }
}

/// The refusals the crate header documents as deliberate: RFC 7529's `RSCALE` and `SKIP`.
fn documented_refusal(e: &RecurrenceError) -> bool {
    matches!(e, RecurrenceError::UnsupportedPart(p) if p == "RSCALE" || p == "SKIP")
}

#[test]
fn every_dateutil_case_matches_or_is_refused_for_a_documented_reason() {
    let path = conformance_dir("rrule/dateutil_cases.json").join("rrule/dateutil_cases.json");
    let data: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cases = data["cases"].as_array().expect("a `cases` array");
    assert!(!cases.is_empty());

    println!(
        "{:<58} {:<62} {:>4} {:>5}  result",
        "case", "rule", "exp", "ours"
    );
    let (mut equal, mut dtstart_added, mut different, mut refused) = (0, 0, Vec::new(), Vec::new());
    for case in cases {
        let id = text(case, "id");
        let id = id.strip_prefix("dateutil:").unwrap_or(&id).to_string();
        let rule = text(case, "rrule");
        let expected = strings(case, "expected");
        let (ours, result) = match run_case(case) {
            Outcome::Equal {
                ours,
                dtstart_added: added,
            } => {
                equal += 1;
                if added {
                    dtstart_added += 1;
                }
                let note = if added {
                    "equal (+DTSTART first, RFC 5545)"
                } else {
                    "equal"
                };
                // DTSTART plus the instances dateutil lists.
                let ours = if added {
                    format!("1+{ours}")
                } else {
                    ours.to_string()
                };
                (ours, note.to_string())
            }
            Outcome::Different { ours } => {
                different.push(format!(
                    "{id} {rule} from {}\n  expected {expected:?}\n  ours     {ours:?}",
                    text(case, "dtstart")
                ));
                (ours.len().to_string(), "DIFFERENT".to_string())
            }
            Outcome::Refused(e) => {
                let note = format!("refused: {e:?}");
                refused.push((id.clone(), e));
                ("-".to_string(), note)
            }
        };
        println!(
            "{id:<58} {rule:<62} {:>4} {ours:>5}  {result}",
            expected.len()
        );
    }
    println!(
        "\n{} cases: {equal} equal ({dtstart_added} of them with DTSTART added as RFC 5545 \
         requires), {} different, {} refused",
        cases.len(),
        different.len(),
        refused.len()
    );
    assert!(
        different.is_empty(),
        "cases inside the supported rule parts that differ:\n{}",
        different.join("\n")
    );
    let undocumented: Vec<_> = refused
        .iter()
        .filter(|(_, e)| !documented_refusal(e))
        .collect();
    assert!(
        undocumented.is_empty(),
        "refused for a reason the crate does not document: {undocumented:?}"
    );
}
