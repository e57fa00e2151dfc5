//! Install and upgrade, one path for both. First the stored layout is checked (`layout.rs`).
//! All state is in stable structures, so there is
//! nothing to restore; the install arguments may change the timing; timers do not survive an
//! upgrade, so they are armed again here.

use interfaces::registry::RegistryInit;

use crate::{jobs, state};

const NS_PER_SECOND: u64 = 1_000_000_000;

canister_kit::install_and_upgrade!(Option<interfaces::registry::RegistryInit>, installed);

fn installed(args: Option<RegistryInit>) {
    crate::prepare_codec();
    canister_kit::lifecycle::installed(|| {
        // The stored data first (a trap here undoes the upgrade).
        state::migrate_layout();
        if let Some(args) = args {
            state::mutate(|r| {
                r.set_timing(
                    args.key_overlap_seconds
                        .map(|s| s.saturating_mul(NS_PER_SECOND)),
                    args.retry_delay_seconds
                        .map(|s| s.saturating_mul(NS_PER_SECOND)),
                )
            });
        }
        jobs::arm();
    });
}
