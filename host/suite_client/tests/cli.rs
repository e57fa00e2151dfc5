//! The `suite` binary's command line, run as a process: usage errors exit 2 and say why, and
//! `whoami` answers without a network. (This test also makes `cargo test` build the binary,
//! which scripts/test.sh then hands to the end-to-end test instead of building it again.)

use std::process::{Command, Output};

fn suite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_suite"))
        .args(args)
        .output()
        .expect("run suite")
}

#[test]
fn without_a_command_it_prints_the_usage_and_exits_2() {
    let out = suite(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("usage: suite"), "{err}");
    assert!(err.contains("deploy-suite"), "{err}");
}

#[test]
fn an_option_without_its_value_is_a_usage_error() {
    let out = suite(&["whoami", "--identity"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--identity needs a value"), "{err}");
}

#[test]
fn whoami_without_an_identity_is_the_anonymous_principal() {
    let out = suite(&["whoami"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2vxsx-fae");
}

#[test]
fn a_missing_identity_file_fails_with_its_path() {
    let out = suite(&["--identity", "/nonexistent/operator.pem", "whoami"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/operator.pem"), "{err}");
}
