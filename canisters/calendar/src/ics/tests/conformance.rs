//! iCalendar conformance: every file of `shared/conformance/ics/icalendar` (197 files from
//! python icalendar's tests and bug reports, see that folder's README) goes through the real
//! import flow ([`import_into`] on a store), and a table shows per file the reference parser's
//! verdict, ours (imported N, skipped with which reasons, refused with which error, or trapped),
//! what the report says was not kept, and whether export then re-import gives the same events
//! and the same kept lines.
//!
//! Asserted (issue 18's "Done when"): nothing traps; every file the reference accepts imports
//! or is refused for a reason the README lists (at most five files, [`REFUSED_AS_DOCUMENTED`]);
//! export then re-import is identical for every file that imports; and every series the
//! reference reads with a DTSTART is imported, but for the files in [`SERIES_NOT_IMPORTED`].
//! Printed, not asserted: whether each timed start equals the reference's instant (the
//! reference reads an unknown `TZID` in a way the calendar does not, see the README).
//!
//! The data lives beside the repository (`<repo>/../shared/conformance`, also in CI); set
//! `CONFORMANCE_DIR` to point elsewhere. Run: `cargo test -p calendar --lib conformance --
//! --nocapture`.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use serde_json::Value;

use super::*;

/// Files the reference parser accepts that the calendar refuses, with the reason the README's
/// iCalendar section gives.
const REFUSED_AS_DOCUMENTED: [(&str, &str); 0] = [];

/// Files with a series the reference reads with a DTSTART that the calendar does not import,
/// with why (the README's iCalendar section lists them).
const SERIES_NOT_IMPORTED: [(&str, &str); 4] = [
    ("calendars__invalid_duration.ics", "DURATION of 10^18 weeks"),
    (
        "calendars__issue_1081_invalid_rrule_freq.ics",
        "FREQ=INVALID_TYPE_CAUSES_ERROR",
    ),
    (
        "calendars__issue_178_custom_component_contains_other.ics",
        "VEVENT inside an X- component",
    ),
    (
        "calendars__rfc_7529.ics",
        "RSCALE rules (non-Gregorian calendars)",
    ),
];

fn conformance_dir() -> PathBuf {
    let dir = std::env::var_os("CONFORMANCE_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        PathBuf::from,
    );
    assert!(
        dir.join("ics_reference.json").is_file(),
        "conformance data missing: expected {}/ics_reference.json (the repository's parent \
         must hold shared/conformance, or set CONFORMANCE_DIR)",
        dir.display()
    );
    dir
}

/// What our import did with one file.
enum Verdict {
    NotUtf8,
    Imported(IcsImportReport),
    Refused(Error),
    Trapped(String),
}

fn short(text: &str, max: usize) -> String {
    let one_line = text.replace(['\n', '\r', '|'], " ");
    match one_line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

fn reason_name(r: &IcsSkipReason) -> String {
    match r {
        IcsSkipReason::Unreadable { property, reason } => format!("{property}: {reason}"),
        IcsSkipReason::Refused { error } => format!("refused: {error:?}"),
        other => format!("{other:?}"),
    }
}

/// The caller's events by UID with what each import kept, for comparing two stores.
fn snapshot(f: &Fixture) -> BTreeMap<String, (Event, Option<crate::model::ics_extras::IcsExtras>)> {
    let (events, _) = f.store.owned_page(&user(1), None, 10_000);
    events
        .into_iter()
        .map(|e| {
            let extras = f.store.ics_extras(e.id);
            (e.ical_uid.clone(), (comparable(e), extras))
        })
        .collect()
}

/// Export then re-import into a fresh store: `None` when identical, else what differs.
fn round_trip(f: &Fixture) -> Option<String> {
    let page = export_all(f, 1);
    let mut g = fixture();
    let report = match import_into(&mut g.store, &ctx(user(1)), &page.ics, Default::default()) {
        Ok(r) => r,
        Err(e) => return Some(format!("re-import refused: {e:?}")),
    };
    if report.skipped != Some(0) {
        return Some(format!("re-import skipped {:?}", report.events));
    }
    let (before, after) = (snapshot(f), snapshot(&g));
    if before == after {
        return None;
    }
    for (uid, b) in &before {
        if after.get(uid) != Some(b) {
            return Some(format!("{uid}: {:?} became {:?}", b, after.get(uid)));
        }
    }
    Some("different UIDs".into())
}

#[test]
fn every_conformance_file_imports_or_is_refused_as_documented() {
    let dir = conformance_dir();
    let reference: Value =
        serde_json::from_slice(&std::fs::read(dir.join("ics_reference.json")).unwrap()).unwrap();
    let files = reference["files"].as_array().expect("files");
    assert!(files.len() >= 197, "the reference lists every file");
    let mut rows = Vec::new();
    let (mut trapped, mut undocumented, mut not_identical) = (vec![], vec![], vec![]);
    let (mut imported_files, mut imported_events, mut skipped_events) = (0, 0, 0);
    let mut not_kept_counts: BTreeMap<String, usize> = BTreeMap::new();
    let (mut starts_equal, mut starts_differ) = (0, vec![]);
    let (mut placed, mut placed_imported, mut placed_missing) = (0, 0, vec![]);
    for file in files {
        let path = file["file"].as_str().unwrap();
        let name = path.rsplit('/').next().unwrap();
        let ref_ok = file["ref_parse"].as_str() == Some("ok");
        let bytes = std::fs::read(dir.join(path)).unwrap();
        let mut f = fixture();
        let verdict = match String::from_utf8(bytes) {
            Err(_) => Verdict::NotUtf8,
            Ok(text) => {
                let ctx = ctx(user(1));
                let store = &mut f.store;
                match catch_unwind(AssertUnwindSafe(|| {
                    import_into(store, &ctx, &text, Default::default())
                })) {
                    Ok(Ok(report)) => Verdict::Imported(report),
                    Ok(Err(e)) => Verdict::Refused(e),
                    Err(panic) => Verdict::Trapped(
                        panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default(),
                    ),
                }
            }
        };
        let (ours, skipped, lost, identical) = match &verdict {
            Verdict::NotUtf8 => (
                "refused: not UTF-8 (Candid text)".to_string(),
                String::new(),
                String::new(),
                "-",
            ),
            Verdict::Trapped(msg) => {
                trapped.push(name.to_string());
                (
                    format!("TRAPPED: {}", short(msg, 60)),
                    String::new(),
                    String::new(),
                    "-",
                )
            }
            Verdict::Refused(e) => {
                if ref_ok && !REFUSED_AS_DOCUMENTED.iter().any(|(n, _)| *n == name) {
                    undocumented.push(format!("{name}: {e:?}"));
                }
                (
                    format!("refused: {}", short(&format!("{e:?}"), 70)),
                    String::new(),
                    String::new(),
                    "-",
                )
            }
            Verdict::Imported(report) => {
                imported_files += 1;
                let events = report.events.clone().unwrap_or_default();
                imported_events += report.created + report.updated;
                let mut reasons = Vec::new();
                let mut lost = Vec::new();
                for e in &events {
                    if let IcsEventOutcome::Skipped { reason } = &e.outcome {
                        skipped_events += 1;
                        reasons.push(short(&reason_name(reason), 50));
                    }
                    for n in &e.not_kept {
                        let key = n.split(':').next().unwrap_or(n).to_string();
                        *not_kept_counts.entry(short(&key, 40)).or_default() += 1;
                        if !lost.contains(&key) {
                            lost.push(key);
                        }
                    }
                }
                for m in file["masters"].as_array().into_iter().flatten() {
                    let has_start = !m["start_ns"].is_null() || m["dtstart_text"].is_string();
                    if let (Some(uid), true) = (m["uid"].as_str(), has_start) {
                        placed += 1;
                        match events.iter().find(|e| e.uid == uid).map(|e| &e.outcome) {
                            Some(
                                IcsEventOutcome::Created { .. } | IcsEventOutcome::Updated { .. },
                            ) => placed_imported += 1,
                            other => placed_missing.push(format!("{name} {uid}: {other:?}")),
                        }
                    }
                    let (Some(uid), Some(expected)) = (m["uid"].as_str(), m["start_ns"].as_u64())
                    else {
                        continue;
                    };
                    if m["all_day"].as_bool() == Some(true) || m["floating"].as_bool() == Some(true)
                    {
                        continue;
                    }
                    let ours = f.store.by_uid(&user(1), uid).map(|e| e.into_event().time);
                    match ours {
                        Some(EventTime::Timed { start_ns, .. }) if start_ns == expected => {
                            starts_equal += 1
                        }
                        other => starts_differ.push(format!(
                            "{name} {uid}: reference {expected} ({}), ours {other:?}",
                            m["tzid"]
                        )),
                    }
                }
                let identical = match round_trip(&f) {
                    None => "yes",
                    Some(diff) => {
                        not_identical.push(format!("{name}: {}", short(&diff, 400)));
                        "NO"
                    }
                };
                (
                    format!("imported {}", report.created + report.updated),
                    reasons.join("; "),
                    short(&lost.join(", "), 60),
                    identical,
                )
            }
        };
        rows.push(format!(
            "| {} | {} | {} | {ours} | {skipped} | {lost} | {identical} |",
            short(name.trim_start_matches("src__icalendar__"), 60),
            if ref_ok { "ok" } else { "error" },
            file["vevents"],
        ));
    }
    println!("\n| file | reference | VEVENTs | ours | skipped events (reason) | not kept | export→import identical |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        println!("{r}");
    }
    println!(
        "\n{} files: {imported_files} imported ({imported_events} events, {skipped_events} \
         skipped), {} trapped, {} accepted by the reference but refused without a documented \
         reason, {} not identical after export then import",
        rows.len(),
        trapped.len(),
        undocumented.len(),
        not_identical.len()
    );
    println!("\nseries the reference reads with a DTSTART: {placed}; imported: {placed_imported}");
    for m in &placed_missing {
        println!("  not imported: {}", short(m, 200));
    }
    println!(
        "\nDTSTART of timed, zoned masters equal to the reference's instant: {starts_equal} of {}",
        starts_equal + starts_differ.len()
    );
    for d in &starts_differ {
        println!("  differs: {d}");
    }
    println!("\nnot kept, by property (events):");
    for (k, n) in &not_kept_counts {
        println!("  {k}: {n}");
    }
    for d in &undocumented {
        println!("refused: {d}");
    }
    for d in &not_identical {
        println!("not identical: {d}");
    }
    assert!(trapped.is_empty(), "trapped: {trapped:?}");
    assert!(REFUSED_AS_DOCUMENTED.len() <= 5);
    assert!(
        undocumented.is_empty(),
        "refused without a documented reason: {undocumented:#?}"
    );
    assert!(
        not_identical.is_empty(),
        "not identical: {not_identical:#?}"
    );
    let unexplained: Vec<&String> = placed_missing
        .iter()
        .filter(|m| !SERIES_NOT_IMPORTED.iter().any(|(file, _)| m.contains(file)))
        .collect();
    assert!(
        unexplained.is_empty(),
        "series not imported: {unexplained:#?}"
    );
}
