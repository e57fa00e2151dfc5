//! The shape every canister shares, checked on the repository: the same files for the same
//! things (endpoints in `lib.rs`, install and upgrade in `lifecycle.rs`, stable memory ids in
//! `memory.rs`, state in `state.rs`, stored records in `model/`, the stored layout version and
//! its migrations in `layout.rs`, every timer and awaiting flow in `jobs`), the committed
//! `.did`, and no non-test source file over 600 lines under `canisters/` and `libs/`.

use std::path::{Path, PathBuf};

/// Every canister, and whether it runs timers (the frontend has none).
const CANISTERS: [(&str, bool); 7] = [
    ("backup_canister", true),
    ("calendar", true),
    ("canister_registry", true),
    ("frontend", false),
    ("load_balancer", true),
    ("notification", true),
    ("user_registry", true),
];

/// Files every canister has under `src/`.
const EVERY_CANISTER: [&str; 6] = [
    "lib.rs",
    "lifecycle.rs",
    "memory.rs",
    "state.rs",
    "layout.rs",
    "model/mod.rs",
];

/// Most lines a non-test source file may have.
const MAX_LINES: usize = 600;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_canister_has_the_same_files_for_the_same_things() {
    let mut missing = vec![];
    for (name, has_timers) in CANISTERS {
        let dir = root().join("canisters").join(name);
        let mut expected: Vec<PathBuf> = EVERY_CANISTER
            .iter()
            .map(|f| dir.join("src").join(f))
            .collect();
        expected.push(dir.join(format!("{name}.did")));
        for path in expected {
            if !path.is_file() {
                missing.push(path);
            }
        }
        let jobs = dir.join("src/jobs.rs").is_file() || dir.join("src/jobs/mod.rs").is_file();
        if has_timers && !jobs {
            missing.push(dir.join("src/jobs.rs (or jobs/mod.rs)"));
        }
        // The timer code's old names: everything of the kind is in `jobs` now.
        for old in [
            "pull.rs",
            "reminders.rs",
            "sync.rs",
            "checks.rs",
            "spawn.rs",
            "timers.rs",
            "outbox.rs",
        ] {
            assert!(
                !dir.join("src").join(old).exists(),
                "{name}: timer code belongs in jobs, found src/{old}"
            );
        }
    }
    assert!(missing.is_empty(), "missing: {missing:#?}");
    let listed: Vec<String> = std::fs::read_dir(root().join("canisters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in &listed {
        assert!(
            CANISTERS.iter().any(|(c, _)| c == name),
            "canisters/{name} is not in the shape check"
        );
    }
}

fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "tests.rs")
        || path.components().any(|c| {
            matches!(
                c.as_os_str().to_str(),
                Some("tests" | "benches" | "fixtures" | "target")
            )
        })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if !path.ends_with("target") && !path.ends_with("node_modules") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_file_is_over_the_line_limit() {
    let mut files = vec![];
    for dir in ["canisters", "libs", "host", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 50, "the walk found the sources");
    let too_long: Vec<(usize, PathBuf)> = files
        .into_iter()
        .filter(|f| !is_test_file(f.strip_prefix(root()).unwrap_or(f)))
        .map(|f| (std::fs::read_to_string(&f).unwrap().lines().count(), f))
        .filter(|(lines, _)| *lines > MAX_LINES)
        .collect();
    assert!(too_long.is_empty(), "over {MAX_LINES} lines: {too_long:#?}");
}
