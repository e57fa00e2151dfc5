//! Install and upgrade take the same optional `FrontendInit`; the stored configuration's layout
//! is checked before it is read or replaced (`config::apply`, `layout.rs`); both certify every
//! asset and set the root hash as certified data. The frontend has no timers and no group membership.

use interfaces::frontend::{FrontendInit, ROOT_KEY_DER_LEN};

use crate::{assets, config, headers, state};

canister_kit::install_and_upgrade!(Option<interfaces::frontend::FrontendInit>, installed);

/// The one lifecycle path. A bad argument traps, so the install or upgrade fails with the
/// reason and the canister keeps what it had.
fn installed(args: Option<FrontendInit>) {
    crate::prepare_codec();
    if let Some(key) = args.as_ref().and_then(|a| a.root_key.as_ref()) {
        if key.len() != ROOT_KEY_DER_LEN {
            ic_cdk::trap(format!(
                "root_key must be the {ROOT_KEY_DER_LEN}-byte DER key of the network, got {} bytes",
                key.len()
            ));
        }
    }
    canister_kit::lifecycle::installed(|| {
        let config = config::apply(args);
        let cookie = headers::ic_env_cookie(&config, ic_cdk::api::canister_self());
        let router = assets::certified_router(&cookie);
        ic_cdk::api::certified_data_set(router.root_hash());
        state::set_router(router);
    });
}
