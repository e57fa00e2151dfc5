//! Differential test: our expander against the `rrule` crate (0.14) as an oracle.
//!
//! Rules are generated from a fixed seed across six zones, many start times (including ones
//! in or next to DST transitions) and all supported parts. Each case expands one window with
//! both engines and compares the instance start instants exactly.
//!
//! One deliberate difference is adapted, not hidden: RFC 5545 3.3.10 makes DTSTART the first
//! instance (and counts it for COUNT) even when the rule would not select it; `rrule`, like
//! python-dateutil, leaves such a DTSTART out. When the oracle's first instance is not
//! DTSTART, the expected list is DTSTART followed by the oracle's list for COUNT-1.

use std::str::FromStr;

use jiff::civil::{date, DateTime, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use recurrence::{instances, EventTime, Frequency, RecurrenceRule, Series, Until, WeekdayNum};

const ZONES: [&str; 6] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
];
const TIMES: [(i8, i8); 10] = [
    (0, 0),
    (0, 30),
    (1, 30),
    (2, 0),
    (2, 30),
    (3, 0),
    (9, 0),
    (12, 15),
    (23, 0),
    (23, 30),
];
const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];
const CASES: u32 = 5000;
const LIMIT: usize = 120;

/// splitmix64: tiny, deterministic, good enough to spread cases.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent as i64
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64)
    }
}

fn gen_rule(
    rng: &mut Rng,
    start: Timestamp,
    start_weekday: Weekday,
    start_month: i8,
) -> RecurrenceRule {
    let freq = [
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Yearly,
    ][rng.below(4) as usize];
    let mut r = RecurrenceRule::new(freq);
    if rng.chance(40) {
        r.interval = rng.range(2, 4) as u32;
    }
    match rng.below(3) {
        0 => r.count = Some(rng.range(1, 40) as u32),
        1 => {
            let secs = rng.range(0, 1500 * 86_400);
            r.until = Some(Until::Utc(start + SignedDuration::from_secs(secs)));
        }
        _ => {}
    }
    // Rules that can never match (BYMONTH=5 with INTERVAL=4 from December, Feb 30, BYSETPOS=4
    // of a 3-day set) are tested in dst.rs; here they would only make the oracle spin through
    // its 100,000-iteration guard (seconds each in a debug build). So BYMONTH always includes
    // DTSTART's month, and month days past the 28th only appear without BYMONTH.
    if rng.chance(if freq == Frequency::Yearly { 50 } else { 25 }) {
        r.by_month.push(start_month);
        for _ in 0..rng.range(0, 2) {
            r.by_month.push(rng.range(1, 12) as i8);
        }
    }
    if freq != Frequency::Weekly && rng.chance(30) {
        let max_day = if r.by_month.is_empty() { 31 } else { 28 };
        for _ in 0..rng.range(1, 3) {
            let d = rng.range(1, max_day) as i8;
            r.by_month_day.push(if rng.chance(30) { -d } else { d });
        }
    }
    if rng.chance(45) {
        // EXCLUDED SHAPE: BYDAY mixing ordinal and plain entries (`1WE,TH`). RFC 5545 3.3.10
        // allows it, but the oracle yields no instances at all for it (see
        // `oracle_drops_mixed_ordinal_byday` below), so a rule uses ordinals on all entries
        // or on none. Our own expansion of the mixed shape is covered in tests/dst.rs.
        let ordinal_ok = matches!(freq, Frequency::Monthly | Frequency::Yearly)
            && r.by_month_day.is_empty()
            && rng.chance(50);
        for _ in 0..rng.range(1, 4) {
            let weekday = WEEKDAYS[rng.below(7) as usize];
            let ordinal = if ordinal_ok {
                let max = if freq == Frequency::Yearly && r.by_month.is_empty() {
                    20
                } else {
                    5
                };
                let n = rng.range(1, max) as i8;
                // EXCLUDED VALUE: the oracle rejects -5 with MONTHLY (its range is -4..=5);
                // RFC 5545 3.3.10 allows it. `minus_fifth_weekday` in dst.rs covers it.
                Some(if rng.chance(35) { -n.min(4) } else { n })
            } else {
                None
            };
            r.by_day.push(WeekdayNum { ordinal, weekday });
        }
    }
    let has_by = !(r.by_day.is_empty() && r.by_month_day.is_empty() && r.by_month.is_empty());
    // Keep BYSETPOS within the usual size of a period's set.
    r.by_day
        .sort_by_key(|w| (w.weekday.to_monday_zero_offset(), w.ordinal));
    r.by_day.dedup();
    r.by_month_day.sort_unstable();
    r.by_month_day.dedup();
    let plain_days = r.by_day.iter().filter(|w| w.ordinal.is_none()).count();
    let max_pos = match freq {
        Frequency::Daily => 1,
        Frequency::Weekly => plain_days.max(1),
        _ if !r.by_month_day.is_empty() && !r.by_day.is_empty() => 1,
        _ if plain_days > 0 => 3,
        // Ordinal-only BYDAY: a 5th weekday often does not exist, so only +-1 is safe.
        _ if !r.by_day.is_empty() => 1,
        _ => r.by_month_day.len().max(1),
    } as i64;
    if has_by && rng.chance(25) {
        for _ in 0..rng.range(1, 2) {
            let p = rng.range(1, max_pos) as i16;
            r.by_set_pos.push(if rng.chance(50) { -p } else { p });
        }
    }
    if rng.chance(20) {
        r.wkst = Some(WEEKDAYS[rng.below(7) as usize]);
    }
    if freq == Frequency::Weekly && !r.by_set_pos.is_empty() {
        // EXCLUDED SHAPE: WEEKLY + BYSETPOS with DTSTART after the week start. The oracle (like
        // python-dateutil) builds the first week's set from DTSTART onwards, so BYSETPOS counts
        // a truncated set; RFC 5545 3.3.10 applies BYSETPOS to the whole week and only then
        // drops days before DTSTART. Starting weeks on DTSTART's weekday makes both agree;
        // `weekly_bysetpos_first_week_differs` below pins the difference.
        r.wkst = Some(start_weekday);
    }
    // Round-trip through text so the rule is normalised exactly like parsed input.
    RecurrenceRule::from_str(&r.to_string()).expect("generated rule is valid")
}

/// Oracle instants from DTSTART, in order, while `< end`; stops once `max` of them are at or
/// after `from` (earlier ones are kept, the caller filters).
fn oracle_from(
    zone: &str,
    start: DateTime,
    rule: &RecurrenceRule,
    from: Timestamp,
    end: Timestamp,
    max: usize,
) -> Option<Vec<Timestamp>> {
    let text = format!(
        "DTSTART;TZID={zone}:{}\nRRULE:{rule}",
        start.strftime("%Y%m%dT%H%M%S")
    );
    let set: rrule::RRuleSet = text.parse().ok()?;
    let mut out = Vec::new();
    let mut in_window = 0;
    for dt in &set.limit() {
        let t = Timestamp::from_second(dt.timestamp()).unwrap();
        if t >= end || in_window >= max {
            break;
        }
        in_window += usize::from(t >= from);
        out.push(t);
    }
    Some(out)
}

fn oracle(
    zone: &str,
    start: DateTime,
    rule: &RecurrenceRule,
    end: Timestamp,
    max: usize,
) -> Option<Vec<Timestamp>> {
    oracle_from(zone, start, rule, Timestamp::MIN, end, max)
}

#[test]
fn matches_rrule_oracle() {
    let mut rng = Rng(0x5EED_CA1E_0000_0001);
    let (mut compared, mut oracle_rejected, mut dtstart_adapted, mut instances_seen) = (0, 0, 0, 0);
    let mut timings: Vec<(u128, u128)> = Vec::new();
    for case in 0..CASES {
        let t0 = std::time::Instant::now();
        let zone = ZONES[rng.below(ZONES.len() as u64) as usize];
        let tz = TimeZone::get(zone).unwrap();
        let (h, m) = TIMES[rng.below(TIMES.len() as u64) as usize];
        let mut day = date(2016, 1, 1) + SignedDuration::from_hours(24 * rng.range(0, 12 * 365));
        if zone == "America/Sao_Paulo" && h == 0 && day.year() < 2020 {
            // EXCLUDED SHAPE: until 2019 Sao Paulo's DST gap was 00:00-01:00. The oracle then
            // drops the instance (it falls back to "midnight + time", and midnight does not
            // exist); RFC 5545 3.3.5 moves it to 01:00. Pinned by `oracle_drops_midnight_gap`.
            day = day.with().year(day.year() + 4).build().unwrap();
        }
        let mut start = day.at(h, m, 0, 0);
        if !matches!(
            tz.to_ambiguous_timestamp(start).offset(),
            AmbiguousOffset::Unambiguous { .. }
        ) {
            // EXCLUDED SHAPE: the oracle refuses a DTSTART inside a gap or fold ("not a valid
            // datetime"); we resolve it per RFC 5545 3.3.5 (tests/dst.rs, tests/series.rs).
            // Instances after DTSTART may still land in gaps and folds and are compared.
            start = start.tomorrow().unwrap();
        }
        let start_ts = tz.to_ambiguous_timestamp(start).compatible().unwrap();
        let rule = gen_rule(&mut rng, start_ts, start.weekday(), start.month());
        let span_days = match rule.freq {
            // The generator makes DAILY..YEARLY rules only; the conformance test covers the rest.
            Frequency::Secondly | Frequency::Minutely | Frequency::Hourly => 2,
            Frequency::Daily => 400,
            Frequency::Weekly => 1200,
            Frequency::Monthly => 4000,
            Frequency::Yearly => 15_000,
        };
        let offset_days = if rng.chance(30) {
            rng.range(0, span_days)
        } else {
            -rng.range(0, 40)
        };
        let ws = start_ts + SignedDuration::from_hours(24 * offset_days);
        let we = ws + SignedDuration::from_hours(24 * rng.range(1, span_days));

        // Oracle with the RFC DTSTART adaptation described in the module docs.
        let max = LIMIT + 1;
        let Some(mut expected) = oracle_from(zone, start, &rule, ws, we, max) else {
            oracle_rejected += 1;
            continue;
        };
        if oracle(zone, start, &rule, Timestamp::MAX, 1)
            .unwrap()
            .first()
            != Some(&start_ts)
        {
            dtstart_adapted += 1;
            let mut rest = rule.clone();
            expected = match rule.count {
                Some(1) => Vec::new(),
                Some(c) => {
                    rest.count = Some(c - 1);
                    oracle_from(zone, start, &rest, ws, we, max).expect("oracle accepts COUNT-1")
                }
                None => expected,
            };
            expected.insert(0, start_ts);
            expected.retain(|t| *t < we);
        }
        expected.retain(|t| *t >= ws);
        expected.truncate(LIMIT);

        let t1 = t0.elapsed().as_millis();
        let series = Series::new(
            EventTime::Timed {
                start,
                duration: SignedDuration::ZERO,
            },
            zone,
            Some(rule.clone()),
        )
        .unwrap();
        let ours: Vec<Timestamp> = instances(&series, ws, we, LIMIT)
            .unwrap_or_else(|e| panic!("case {case}: {e} for {rule} at {start} {zone}"))
            .iter()
            .map(|i| i.start)
            .collect();
        assert_eq!(
            ours, expected,
            "case {case}: DTSTART;TZID={zone}:{start} RRULE:{rule} window {ws}..{we}"
        );
        compared += 1;
        timings.push((t1, t0.elapsed().as_millis() - t1));
        instances_seen += ours.len();
    }
    let (theirs_ms, ours_ms) = timings
        .iter()
        .fold((0, 0), |acc, x| (acc.0 + x.0, acc.1 + x.1));
    println!("time spent: oracle {theirs_ms} ms, ours {ours_ms} ms");
    println!(
        "oracle: {compared} cases compared ({instances_seen} instances), {dtstart_adapted} with a non-matching DTSTART, {oracle_rejected} rejected by the oracle"
    );
    assert_eq!(
        oracle_rejected, 0,
        "every generated rule must be accepted by the oracle"
    );
}

/// Documents the one shape excluded from the generator: the oracle returns nothing for a
/// BYDAY list mixing ordinal and plain weekdays, which RFC 5545 3.3.10 permits. If a future
/// `rrule` fixes this, this test fails and the exclusion can be removed.
#[test]
fn oracle_drops_mixed_ordinal_byday() {
    let start = date(2027, 12, 10).at(9, 0, 0, 0);
    let rule = RecurrenceRule::from_str("FREQ=MONTHLY;BYDAY=1WE,TH").unwrap();
    let end = Timestamp::from_second(1_900_000_000).unwrap();
    assert_eq!(oracle("UTC", start, &rule, end, 10), Some(Vec::new()));
    let series = Series::new(
        EventTime::Timed {
            start,
            duration: SignedDuration::ZERO,
        },
        "UTC",
        Some(rule),
    )
    .unwrap();
    let ours = instances(&series, Timestamp::from_second(0).unwrap(), end, 4).unwrap();
    // DTSTART (a Friday), then every Thursday and the first Wednesday of each month.
    let days: Vec<_> = ours
        .iter()
        .map(|i| i.start.to_zoned(TimeZone::UTC).date())
        .collect();
    assert_eq!(
        days,
        [
            date(2027, 12, 10),
            date(2027, 12, 16),
            date(2027, 12, 23),
            date(2027, 12, 30)
        ]
    );
}

/// The second excluded shape: WEEKLY + BYSETPOS where DTSTART is mid-week. Week of Monday
/// 2020-01-06 holds TU 7, WE 8, FR 10; BYSETPOS=2 picks WE 8 (= DTSTART) per RFC 5545.
/// The oracle counts only {WE 8, FR 10} in that first week and picks FR 10.
#[test]
fn weekly_bysetpos_first_week_differs() {
    let start = date(2020, 1, 8).at(12, 0, 0, 0);
    let rule =
        RecurrenceRule::from_str("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,WE,FR;BYSETPOS=2").unwrap();
    let end = Timestamp::from_second(1_580_000_000).unwrap(); // 2020-01-26
    let day = |t: &Timestamp| t.to_zoned(TimeZone::UTC).date();
    let theirs: Vec<_> = oracle("UTC", start, &rule, end, 10)
        .unwrap()
        .iter()
        .map(day)
        .collect();
    assert_eq!(theirs, [date(2020, 1, 10), date(2020, 1, 22)]);
    let series = Series::new(
        EventTime::Timed {
            start,
            duration: SignedDuration::ZERO,
        },
        "UTC",
        Some(rule),
    )
    .unwrap();
    let ours: Vec<_> = instances(&series, Timestamp::from_second(0).unwrap(), end, 10)
        .unwrap()
        .iter()
        .map(|i| day(&i.start))
        .collect();
    assert_eq!(ours, [date(2020, 1, 8), date(2020, 1, 22)]);
}

/// The third excluded shape: a wall time inside a DST gap that starts at midnight. Sao Paulo
/// skipped 2017-10-15 00:00-01:00; RFC 5545 3.3.5 reads 00:00 with the offset before the gap
/// (-03:00, i.e. 01:00 -02:00). The oracle drops that instance.
#[test]
fn oracle_drops_midnight_gap() {
    let start = date(2017, 10, 14).at(0, 0, 0, 0);
    let rule = RecurrenceRule::from_str("FREQ=DAILY;COUNT=3").unwrap();
    let zone = "America/Sao_Paulo";
    let end = Timestamp::from_second(1_600_000_000).unwrap();
    let theirs = oracle(zone, start, &rule, end, 10).unwrap();
    let series = Series::new(
        EventTime::Timed {
            start,
            duration: SignedDuration::ZERO,
        },
        zone,
        Some(rule),
    )
    .unwrap();
    let ours: Vec<_> = instances(&series, Timestamp::from_second(0).unwrap(), end, 10)
        .unwrap()
        .iter()
        .map(|i| i.start)
        .collect();
    let gap_instance: Timestamp = "2017-10-15T03:00:00Z".parse().unwrap();
    assert_eq!(ours.len(), 3);
    assert_eq!(ours[1], gap_instance);
    assert!(
        !theirs.contains(&gap_instance),
        "oracle now handles midnight gaps: {theirs:?}"
    );
}
