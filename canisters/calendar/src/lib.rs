//! Calendar shard: users' events, recurrence, time zones, sharing, free/busy and iCalendar.
//!
//! Endpoints stay thin: they decode, check, call plain logic and encode. For now the canister has
//! its lifecycle, its measured `health_check`, and the group-member endpoints every member of the
//! suite exposes (`security_base::group_member_endpoints!`).

mod memory;

use ic_cdk::{init, post_upgrade, query};
use interfaces::security::MemberInit;
use interfaces::{CanisterKind, HealthReport};

const KIND: CanisterKind = CanisterKind::Calendar;

#[init]
fn init(args: Option<MemberInit>) {
    on_code_installed(args);
}

#[post_upgrade]
fn post_upgrade(args: Option<MemberInit>) {
    on_code_installed(args);
}

/// The one lifecycle path for install and upgrade: timers do not survive an upgrade, so
/// everything that runs on a schedule is armed again here.
fn on_code_installed(args: Option<MemberInit>) {
    canister_health::on_code_installed();
    security_base::member::init(
        KIND,
        memory::membership(),
        args,
        security_base::member::DEFAULT_PULL_INTERVAL,
    );
}

#[query]
fn health_check() -> HealthReport {
    canister_health::report(KIND)
}

security_base::group_member_endpoints!();

#[cfg(test)]
mod tests {
    use super::*;
    use candid_parser::utils::{service_equal, CandidSource};

    /// The committed `.did` is the contract: it must equal what the code exports.
    #[test]
    fn committed_did_matches_exported_service() {
        candid::export_service!();
        let exported = __export_service();
        let committed = include_str!("../calendar.did");
        if let Err(err) =
            service_equal(CandidSource::Text(committed), CandidSource::Text(&exported))
        {
            panic!(
                "calendar.did differs from the exported service: {err}\n\nexported:\n{exported}"
            );
        }
    }
}
