//! Settings the runtime keeps and enforces: environment variables (seen through `ic0.env_var_*`),
//! log visibility (who may fetch the logs), and the `canister_status` reply in the interface's
//! current schema, which clients such as icp-cli 1.5 decode strictly.

mod common;

use candid::{CandidType, Deserialize, Nat, Principal};
use common::*;
use ic_runtime::management_types::{
    CanisterIdRecord, CanisterSettings, EnvironmentVariable, LogVisibility,
};
use ic_runtime::{query_candid, ErrorCode, PocketIc, PocketIcBuilder};

fn var(name: &str, value: &str) -> EnvironmentVariable {
    EnvironmentVariable {
        name: name.into(),
        value: value.into(),
    }
}

fn set_vars(
    pic: &PocketIc,
    id: Principal,
    vars: Vec<EnvironmentVariable>,
) -> Result<(), ic_runtime::RejectResponse> {
    pic.update_canister_settings(
        id,
        None,
        CanisterSettings {
            environment_variables: Some(vars),
            ..Default::default()
        },
    )
}

fn env_vars(pic: &PocketIc, id: Principal) -> Vec<(String, String)> {
    query_candid::<_, _, (Vec<(String, String)>,)>(pic, id, "env_vars", ())
        .unwrap()
        .0
}

#[test]
fn a_canister_reads_the_environment_variables_its_controllers_set() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    assert!(env_vars(&pic, store).is_empty());
    let registry = "lxzze-o7777-77777-aaaaa-cai";
    set_vars(
        &pic,
        store,
        vec![
            var(
                "PUBLIC_CANISTER_ID:notification",
                "lqy7q-dh777-77777-aaaaq-cai",
            ),
            var("PUBLIC_CANISTER_ID:canister_registry", registry),
        ],
    )
    .unwrap();
    // Sorted by name, as the IC keeps them.
    assert_eq!(
        env_vars(&pic, store),
        vec![
            (
                "PUBLIC_CANISTER_ID:canister_registry".to_string(),
                registry.to_string()
            ),
            (
                "PUBLIC_CANISTER_ID:notification".to_string(),
                "lqy7q-dh777-77777-aaaaq-cai".to_string()
            ),
        ]
    );
    let (value,): (Option<String>,) = query_candid(
        &pic,
        store,
        "env_var",
        ("PUBLIC_CANISTER_ID:canister_registry",),
    )
    .unwrap();
    assert_eq!(value.as_deref(), Some(registry));
    let (missing,): (Option<String>,) = query_candid(&pic, store, "env_var", ("NOT_SET",)).unwrap();
    assert_eq!(missing, None);
    let status = pic.canister_status(store, None).unwrap();
    assert_eq!(status.settings.environment_variables.len(), 2);
    // Settings without the field keep the variables; an empty list clears them.
    pic.update_canister_settings(
        store,
        None,
        CanisterSettings {
            freezing_threshold: Some(Nat::from(100u32)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(env_vars(&pic, store).len(), 2);
    set_vars(&pic, store, Vec::new()).unwrap();
    assert!(env_vars(&pic, store).is_empty());
}

#[test]
fn bad_environment_variables_are_refused_and_change_nothing() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    set_vars(&pic, store, vec![var("KEEP", "1")]).unwrap();
    let too_many = (0..21).map(|i| var(&format!("V{i}"), "x")).collect();
    let twice = vec![var("A", "1"), var("A", "2")];
    let long_name = vec![var(&"N".repeat(129), "x")];
    let long_value = vec![var("N", &"v".repeat(129))];
    for bad in [too_many, twice, long_name, long_value] {
        let err = set_vars(&pic, store, bad).unwrap_err();
        assert_eq!(err.error_code, ErrorCode::InvalidManagementPayload);
        assert_eq!(
            env_vars(&pic, store),
            vec![("KEEP".to_string(), "1".to_string())]
        );
    }
    // Only controllers change settings.
    let err = pic
        .update_canister_settings(
            store,
            Some(user()),
            CanisterSettings {
                environment_variables: Some(vec![]),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidController);
    assert_eq!(env_vars(&pic, store).len(), 1);
}

fn set_log_visibility(pic: &PocketIc, id: Principal, visibility: LogVisibility) {
    pic.update_canister_settings(
        id,
        None,
        CanisterSettings {
            log_visibility: Some(visibility),
            ..Default::default()
        },
    )
    .unwrap();
}

#[test]
fn log_visibility_decides_who_fetches_the_logs() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    let viewer = Principal::from_slice(&[0xCD; 29]);
    assert!(pic.fetch_canister_logs(store, user()).is_err());
    set_log_visibility(&pic, store, LogVisibility::Public);
    assert!(pic.fetch_canister_logs(store, user()).is_ok());
    assert_eq!(
        pic.canister_status(store, None)
            .unwrap()
            .settings
            .log_visibility,
        LogVisibility::Public
    );
    set_log_visibility(&pic, store, LogVisibility::AllowedViewers(vec![viewer]));
    assert!(pic.fetch_canister_logs(store, viewer).is_ok());
    assert!(pic.fetch_canister_logs(store, user()).is_err());
    // Controllers always may.
    assert!(pic
        .fetch_canister_logs(store, Principal::anonymous())
        .is_ok());
    set_log_visibility(&pic, store, LogVisibility::Controllers);
    assert!(pic.fetch_canister_logs(store, viewer).is_err());
}

/// The settings record as the interface specifies it today, declared here independently of the
/// runtime's own type: decoding fails if a required field is missing.
#[derive(CandidType, Deserialize, Debug)]
enum Visibility {
    #[serde(rename = "controllers")]
    Controllers,
    #[serde(rename = "public")]
    Public,
    #[serde(rename = "allowed_viewers")]
    AllowedViewers(Vec<Principal>),
}

#[derive(CandidType, Deserialize, Debug)]
struct CurrentSettings {
    controllers: Vec<Principal>,
    minimum_incoming_canister_call_cycles: Nat,
    status_visibility: Visibility,
    snapshot_visibility: Visibility,
    log_visibility: Visibility,
    environment_variables: Vec<EnvironmentVariable>,
    wasm_memory_threshold: Nat,
    reserved_cycles_limit: Nat,
}

#[derive(CandidType, Deserialize, Debug)]
struct CurrentStatus {
    settings: CurrentSettings,
    version: u64,
    ready_for_migration: bool,
    cycles: Nat,
}

#[test]
fn canister_status_answers_in_the_current_schema() {
    let pic = PocketIc::new();
    let store = install_store(&pic);
    set_vars(&pic, store, vec![var("K", "V")]).unwrap();
    let bytes = pic
        .update_call(
            Principal::management_canister(),
            Principal::anonymous(),
            "canister_status",
            candid::encode_one(CanisterIdRecord { canister_id: store }).unwrap(),
        )
        .unwrap();
    let status: CurrentStatus = candid::decode_one(&bytes).expect("current schema");
    assert!(matches!(
        status.settings.status_visibility,
        Visibility::Controllers
    ));
    assert!(matches!(
        status.settings.log_visibility,
        Visibility::Controllers
    ));
    assert_eq!(status.settings.minimum_incoming_canister_call_cycles, 0u8);
    assert_eq!(status.settings.environment_variables, vec![var("K", "V")]);
    assert_eq!(status.settings.controllers, vec![Principal::anonymous()]);
}

#[test]
fn environment_variables_and_log_visibility_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("rt-settings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pic = PocketIc::new();
    let store = install_store(&pic);
    set_vars(&pic, store, vec![var("K", "V")]).unwrap();
    set_log_visibility(&pic, store, LogVisibility::Public);
    pic.save_state(&dir).unwrap();
    drop(pic);
    let pic = PocketIcBuilder::new()
        .build_from_state(&dir)
        .unwrap()
        .expect("saved");
    assert_eq!(
        env_vars(&pic, store),
        vec![("K".to_string(), "V".to_string())]
    );
    assert!(pic.fetch_canister_logs(store, user()).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}
