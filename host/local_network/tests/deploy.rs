//! The main job's deployment plan, run end to end on the real wasm in the in-process runtime.

use std::path::PathBuf;

use candid::Principal;
use ic_runtime::PocketIc;
use interfaces::CanisterKind;
use local_network::deploy::{deploy, GROUP_ID};

#[test]
fn the_suite_deploys_configures_its_group_and_verifies() {
    let wasm_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/canisters");
    let operator = Principal::self_authenticating(b"deploy test operator");
    let pic = PocketIc::new();
    let deployment = deploy(&pic, &wasm_dir, operator).expect("run scripts/build.sh first");
    assert!(deployment.healthy());
    let kinds: Vec<CanisterKind> = deployment.canisters.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, CanisterKind::ALL);
    let ping = deployment.group_call.unwrap();
    assert_eq!(
        (ping.group_id.as_str(), ping.canister),
        (GROUP_ID, CanisterKind::Notification)
    );
    for c in &deployment.canisters {
        let status = pic.canister_status(c.id, Some(operator)).unwrap();
        assert_eq!(status.settings.controllers, vec![operator], "{:?}", c.kind);
    }
}
