//! Prints a table of the wall time of expensive calls the caps allow. Nothing is asserted
//! about time: the table is a measurement, the caps are the guarantee. Ignored by default;
//! run it in release:
//! `cargo test --release -p recurrence --test work_table -- --ignored --nocapture`.

mod common;

use common::{timed, ts};
use jiff::civil::date;
use recurrence::{instances, next_instances_after};

#[test]
#[ignore = "a measurement: run in release with --ignored --nocapture"]
fn work_table() {
    let minutes: Vec<String> = (0..60).map(|m| m.to_string()).collect();
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let every_minute = format!(
        "FREQ=DAILY;COUNT=999000;BYHOUR={};BYMINUTE={}",
        hours.join(","),
        minutes.join(",")
    );
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "daily, one-year window",
            "FREQ=DAILY".into(),
            "2030-01-01",
            "2031-01-01",
        ),
        (
            "daily COUNT=90000, window at its end",
            "FREQ=DAILY;COUNT=90000".into(),
            "2246-01-01",
            "2247-01-01",
        ),
        (
            "hourly, one-week window",
            "FREQ=HOURLY".into(),
            "2030-01-01",
            "2030-01-08",
        ),
        (
            "minutely COUNT=99000, window at its end",
            "FREQ=MINUTELY;COUNT=99000".into(),
            "2020-03-09",
            "2020-03-10",
        ),
        (
            "1,440 times a day COUNT=999000, window at its end",
            every_minute,
            "2021-11-25",
            "2021-11-26",
        ),
        (
            "yearly BYWEEKNO=1,20,-1, 30-year window",
            "FREQ=YEARLY;BYWEEKNO=1,20,-1;BYDAY=MO".into(),
            "2020-01-01",
            "2050-01-01",
        ),
    ];
    println!("{:<52} {:>9} {:>12}", "call", "instances", "wall time");
    for (name, rule, from, to) in cases {
        let s = timed(date(2020, 1, 1).at(9, 0, 0, 0), "Europe/Berlin", &rule);
        let t = std::time::Instant::now();
        let got = instances(
            &s,
            ts(&format!("{from}T00:00:00Z")),
            ts(&format!("{to}T00:00:00Z")),
            20_000,
        );
        let took = t.elapsed();
        let n = got
            .map(|g| g.len().to_string())
            .unwrap_or_else(|e| format!("{e:?}"));
        println!("{name:<52} {n:>9} {took:>12.2?}");
    }
    let s = timed(
        date(2025, 1, 1).at(9, 0, 0, 0),
        "UTC",
        "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
    );
    let t = std::time::Instant::now();
    let got = next_instances_after(&s, ts("2025-01-02T00:00:00Z"), 1);
    println!(
        "{:<52} {:>9} {:>12.2?}",
        "impossible secondly rule, unbounded (hits the cap)",
        got.map(|g| g.len().to_string())
            .unwrap_or_else(|_| "cap".into()),
        t.elapsed()
    );
}
