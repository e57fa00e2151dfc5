//! Helpers shared by the recurrence test files.
#![allow(dead_code)]

use std::str::FromStr;

use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};
use recurrence::{instances, EventTime, Instance, RecurrenceRule, Series};

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A one-hour timed series starting at `start` on the wall clock of `zone`.
pub fn timed(start: DateTime, zone: &str, rule: &str) -> Series {
    let rule = RecurrenceRule::from_str(rule).unwrap();
    Series::new(
        EventTime::Timed {
            start,
            duration: SignedDuration::from_hours(1),
        },
        zone,
        Some(rule),
    )
    .unwrap()
}

/// Every instance from 2000 to 2060 (at most 5,000).
pub fn all(series: &Series) -> Vec<Instance> {
    instances(
        series,
        ts("2000-01-01T00:00:00Z"),
        ts("2060-01-01T00:00:00Z"),
        5000,
    )
    .unwrap()
}

/// Instance starts as UTC text.
pub fn starts(list: &[Instance]) -> Vec<String> {
    list.iter().map(|i| i.start.to_string()).collect()
}

/// `shared/conformance` beside the repository (`<repo>/../shared/conformance`, also in CI), or
/// `CONFORMANCE_DIR`. Fails the test with the path when `must_have` is not in it.
pub fn conformance_dir(must_have: &str) -> std::path::PathBuf {
    let dir = match std::env::var_os("CONFORMANCE_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        // libs/recurrence -> repository root -> its parent, which holds `shared/`.
        None => {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
        }
    };
    assert!(
        dir.join(must_have).exists(),
        "conformance data missing: expected {}/{must_have} (the repository's parent must \
         hold `shared/`, or set CONFORMANCE_DIR)",
        dir.display()
    );
    dir
}
