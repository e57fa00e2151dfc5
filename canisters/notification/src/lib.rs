//! Notification canister: reminders fired by timers into per-user inboxes, and operator alerts.
//!
//! Endpoints stay thin: they decode, check, call plain logic and encode. For now the canister has
//! its lifecycle and its measured `health_check`.

use ic_cdk::{init, post_upgrade, query};
use interfaces::{CanisterKind, HealthReport};

#[init]
fn init() {
    on_code_installed();
}

#[post_upgrade]
fn post_upgrade() {
    on_code_installed();
}

/// The one lifecycle path for install and upgrade: timers do not survive an upgrade, so
/// everything that runs on a schedule is armed again here.
fn on_code_installed() {
    canister_health::on_code_installed();
}

#[query]
fn health_check() -> HealthReport {
    canister_health::report(CanisterKind::Notification)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid_parser::utils::{service_equal, CandidSource};

    /// The committed `.did` is the contract: it must equal what the code exports.
    #[test]
    fn committed_did_matches_exported_service() {
        candid::export_service!();
        let exported = __export_service();
        let committed = include_str!("../notification.did");
        if let Err(err) =
            service_equal(CandidSource::Text(committed), CandidSource::Text(&exported))
        {
            panic!("notification.did differs from the exported service: {err}\n\nexported:\n{exported}");
        }
    }
}
