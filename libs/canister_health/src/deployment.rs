//! What a deployment tool tells a canister about its peers: `icp deploy` sets the canister
//! environment variable `PUBLIC_CANISTER_ID:<name>` to the id of every canister of the
//! environment before it installs (locally and on mainnet alike). Members read the registry's
//! id from here when their install argument does not name it, and the web app its peers'.

use candid::Principal;

/// The prefix of the variables `icp deploy` sets, one per canister of the environment.
pub const CANISTER_ID_PREFIX: &str = "PUBLIC_CANISTER_ID:";

/// The id `icp deploy` recorded for the canister called `name`, if any (and if it parses).
pub fn canister_id(name: &str) -> Option<Principal> {
    let var = format!("{CANISTER_ID_PREFIX}{name}");
    read(&var).and_then(|text| Principal::from_text(text).ok())
}

/// Every `(name, id)` pair the variables hold, sorted by name.
pub fn canister_ids() -> Vec<(String, Principal)> {
    let mut ids: Vec<(String, Principal)> = names()
        .into_iter()
        .filter_map(|var| {
            let name = var.strip_prefix(CANISTER_ID_PREFIX)?.to_string();
            let id = Principal::from_text(read(&var)?).ok()?;
            Some((name, id))
        })
        .collect();
    ids.sort();
    ids
}

#[cfg(target_arch = "wasm32")]
fn read(var: &str) -> Option<String> {
    ic_cdk::api::env_var_name_exists(var).then(|| ic_cdk::api::env_var_value(var))
}

#[cfg(target_arch = "wasm32")]
fn names() -> Vec<String> {
    (0..ic_cdk::api::env_var_count())
        .map(ic_cdk::api::env_var_name)
        .collect()
}

// Off the IC (native unit tests) a canister has no environment variables.
#[cfg(not(target_arch = "wasm32"))]
fn read(_var: &str) -> Option<String> {
    None
}

#[cfg(not(target_arch = "wasm32"))]
fn names() -> Vec<String> {
    Vec::new()
}
