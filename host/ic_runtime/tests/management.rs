//! The management canister, called by canisters and by ingress.

mod common;

use candid::{encode_args, encode_one, Principal};
use common::*;
use ic_runtime::management_types::{
    CanisterIdRecord, CanisterInstallMode, ChunkHash, ClearChunkStoreArgs, InstallChunkedCodeArgs,
    UploadChunkArgs,
};
use ic_runtime::{update_candid, ErrorCode, PocketIc, PocketIcBuilder};

type Outcome<T> = Result<T, Rejected>;
/// (status code 1..3, cycles, module hash) as rt_caller's `status_of` reports it.
type StatusOf = (u32, candid::Nat, Option<Vec<u8>>);

#[test]
fn canister_creates_installs_inspects_stops_and_deletes_a_canister() {
    let pic = PocketIc::new();
    let caller = install_caller(&pic);
    let wasm = wasm("rt_store");
    let arg = encode_args((Some("child".to_string()),)).unwrap();
    let (r,): (Outcome<Principal>,) = update_candid(
        &pic,
        caller,
        "create_and_install",
        (
            serde_bytes::ByteBuf::from(wasm.clone()),
            serde_bytes::ByteBuf::from(arg),
        ),
    )
    .unwrap();
    let child = r.unwrap();
    assert_eq!(pic.get_controllers(child), vec![caller]);
    // ic-cdk attaches cost_create_canister (500B here) plus the 1T extra; nothing is charged,
    // so all of it moves from the caller to the child.
    assert_eq!(pic.cycle_balance(child), 1_500_000_000_000);
    assert_eq!(pic.cycle_balance(caller), 98_500_000_000_000);
    assert_eq!(stats(&pic, child).init_arg.as_deref(), Some("child"));
    let (st,): (Outcome<StatusOf>,) = update_candid(&pic, caller, "status_of", (child,)).unwrap();
    let (code, _cycles, hash) = st.unwrap();
    assert_eq!(code, 1);
    assert_eq!(hash, Some(ic_runtime::engine::sha256(&wasm).to_vec()));
    // The anonymous user is no controller of the child.
    assert_eq!(
        pic.canister_status(child, None).unwrap_err().error_code,
        ErrorCode::CanisterInvalidController
    );
    let (r,): (Outcome<()>,) = update_candid(&pic, caller, "stop_and_delete", (child,)).unwrap();
    r.unwrap();
    assert!(!pic.canister_exists(child));
}

#[test]
fn raw_rand_is_deterministic_per_seed_and_canister_only() {
    let run = |seed: [u8; 32]| {
        let pic = PocketIcBuilder::new().with_seed(seed).build();
        let caller = install_caller(&pic);
        let (a,): (Outcome<Vec<u8>>,) = update_candid(&pic, caller, "rand", ()).unwrap();
        let (b,): (Outcome<Vec<u8>>,) = update_candid(&pic, caller, "rand", ()).unwrap();
        (a.unwrap(), b.unwrap(), pic)
    };
    let (a1, b1, pic) = run([1; 32]);
    let (a2, _, _) = run([1; 32]);
    let (a3, _, _) = run([2; 32]);
    assert_eq!(a1.len(), 32);
    assert_ne!(a1, b1);
    assert_eq!(a1, a2, "same seed, different bytes");
    assert_ne!(a1, a3);
    let err = pic
        .update_call(
            Principal::management_canister(),
            user(),
            "raw_rand",
            encode_args(()).unwrap(),
        )
        .unwrap_err();
    assert!(err
        .reject_message
        .contains("Only canisters can call ic00 method raw_rand"));
}

#[test]
fn chunked_upload_and_install_by_ingress() {
    let pic = PocketIc::new();
    let target = pic.create_canister();
    let wasm = wasm("rt_store");
    let mgmt = Principal::management_canister();
    let mut hashes = Vec::new();
    for chunk in wasm.chunks(100_000) {
        let arg = UploadChunkArgs {
            canister_id: target,
            chunk: chunk.to_vec(),
        };
        let (h,): (ChunkHash,) = update_candid(&pic, mgmt, "upload_chunk", (arg,)).unwrap();
        hashes.push(h);
    }
    let (stored,): (Vec<ChunkHash>,) = update_candid(
        &pic,
        mgmt,
        "stored_chunks",
        (CanisterIdRecord {
            canister_id: target,
        },),
    )
    .unwrap();
    assert_eq!(stored.len(), hashes.len());
    let install = InstallChunkedCodeArgs {
        mode: CanisterInstallMode::Install,
        target_canister: target,
        store_canister: None,
        chunk_hashes_list: hashes,
        wasm_module_hash: ic_runtime::engine::sha256(&wasm).to_vec(),
        arg: encode_args((None::<String>,)).unwrap(),
        sender_canister_version: None,
    };
    let () = update_candid(&pic, mgmt, "install_chunked_code", (install,)).unwrap();
    let (n,): (u64,) = update_candid(&pic, target, "inc", ()).unwrap();
    assert_eq!(n, 1);
    let () = update_candid(
        &pic,
        mgmt,
        "clear_chunk_store",
        (ClearChunkStoreArgs {
            canister_id: target,
        },),
    )
    .unwrap();
    let (stored,): (Vec<ChunkHash>,) = update_candid(
        &pic,
        mgmt,
        "stored_chunks",
        (CanisterIdRecord {
            canister_id: target,
        },),
    )
    .unwrap();
    assert!(stored.is_empty());
    // Only controllers may upload.
    let arg = encode_one(UploadChunkArgs {
        canister_id: target,
        chunk: vec![1],
    })
    .unwrap();
    let err = pic
        .update_call(mgmt, user(), "upload_chunk", arg)
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidController);
}

#[test]
fn unknown_management_method_is_refused() {
    let pic = PocketIc::new();
    let err = pic
        .update_call(
            Principal::management_canister(),
            user(),
            "no_such_method",
            encode_args(()).unwrap(),
        )
        .unwrap_err();
    assert!(err.reject_message.contains("no method 'no_such_method'"));
}
