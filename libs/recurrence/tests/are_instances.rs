//! `are_instances` answers what `is_instance` answers for each original, in one walk for COUNT
//! rules (issue 17: checking overrides one by one cost overrides x instances).

mod common;

use common::{timed, ts};
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use recurrence::{are_instances, is_instance, Series};

fn candidates(first: Timestamp, n: i64) -> Vec<Timestamp> {
    // Every half day, so about half are instances of a daily rule, in a scrambled order.
    let mut out: Vec<Timestamp> = (0..n)
        .map(|k| first + SignedDuration::from_hours(12 * ((k * 37) % n)))
        .collect();
    out.push(first - SignedDuration::from_hours(24));
    out
}

fn same_as_one_by_one(s: &Series, originals: &[Timestamp]) {
    let batch = are_instances(s, originals).unwrap();
    let single: Vec<bool> = originals
        .iter()
        .map(|&t| is_instance(s, t).unwrap())
        .collect();
    assert_eq!(batch, single);
    assert!(batch.contains(&true) && batch.contains(&false));
}

#[test]
fn count_rules_agree_with_is_instance() {
    for rule in [
        "FREQ=DAILY;COUNT=40",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=25",
        "FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=12",
    ] {
        let s = timed(date(2025, 3, 1).at(9, 0, 0, 0), "Europe/Zurich", rule);
        same_as_one_by_one(&s, &candidates(ts("2025-03-01T08:00:00Z"), 120));
    }
}

#[test]
fn other_rules_agree_with_is_instance() {
    let s = timed(
        date(2025, 3, 1).at(9, 0, 0, 0),
        "Europe/Zurich",
        "FREQ=DAILY;UNTIL=20250501T000000Z",
    );
    same_as_one_by_one(&s, &candidates(ts("2025-03-01T08:00:00Z"), 120));
    assert_eq!(are_instances(&s, &[]).unwrap(), Vec::<bool>::new());
}
