//! The `IcEnv` trait: a suite written against it runs on this runtime (and on real PocketIC
//! with the `pocket-ic` feature).

mod common;

use std::time::Duration;

use candid::Principal;
use common::*;
use ic_runtime::{env_from_environment, query_candid_as, update_candid_as, IcEnv};

/// A helper written once for any environment.
fn bump_twice(env: &dyn IcEnv, store: Principal) -> u64 {
    let _: (u64,) = update_candid_as(env, store, user(), "inc", ()).unwrap();
    let (n,): (u64,) = update_candid_as(env, store, user(), "inc", ()).unwrap();
    n
}

#[test]
fn a_suite_runs_through_the_trait_object() {
    let env = env_from_environment();
    let store = env.create_canister();
    env.install_canister(
        store,
        wasm("rt_store"),
        candid::encode_args((None::<String>,)).unwrap(),
        None,
    );
    assert_eq!(bump_twice(env.as_ref(), store), 2);
    let (n,): (u64,) = query_candid_as(env.as_ref(), store, user(), "counter", ()).unwrap();
    assert_eq!(n, 2);
    let t = env.get_time();
    env.advance_time(Duration::from_secs(1));
    env.tick();
    assert!(
        env.get_time().as_nanos_since_unix_epoch() >= t.as_nanos_since_unix_epoch() + 1_000_000_000
    );
    env.stop_canister(store, None).unwrap();
    assert!(env
        .update_call(store, user(), "inc", candid::encode_args(()).unwrap())
        .is_err());
    env.start_canister(store, None).unwrap();
    assert!(env
        .canister_status(store, None)
        .unwrap()
        .module_hash
        .is_some());
}
