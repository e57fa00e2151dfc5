//! Which canister a call "is for" (the interface spec's effective canister id), and the
//! canister-id range this network certifies. A call to the management canister `aaaaa-aa` is
//! addressed by the URL of the canister it manages: the `canister_id` field of its Candid
//! argument (`target_canister` for `install_chunked_code`); `create_canister` and
//! `provisional_create_canister_with_cycles` may use any id in the subnet's range. Also the
//! management canister's one query, `fetch_canister_logs`.

use candid::{CandidType, Deserialize, Principal};

#[derive(CandidType, Deserialize)]
struct CanisterIdField {
    canister_id: Principal,
}

#[derive(CandidType, Deserialize)]
struct TargetCanisterField {
    target_canister: Principal,
}

/// The canister a management call acts on; `None` for calls that create one.
pub fn management_target(method: &str, arg: &[u8]) -> Result<Option<Principal>, String> {
    match method {
        "create_canister" | "provisional_create_canister_with_cycles" => Ok(None),
        // Candid records decode into a struct with a subset of their fields.
        "install_chunked_code" => candid::decode_one::<TargetCanisterField>(arg)
            .map(|a| Some(a.target_canister))
            .map_err(|e| format!("install_chunked_code argument has no target_canister: {e}")),
        _ => candid::decode_one::<CanisterIdField>(arg)
            .map(|a| Some(a.canister_id))
            .map_err(|e| format!("{method} argument has no canister_id: {e}")),
    }
}

/// Checks that `effective` is the right URL id for a call to `canister` / `method`.
pub fn check_effective_id(
    effective: Principal,
    canister: Principal,
    method: &str,
    arg: &[u8],
) -> Result<(), String> {
    let expected = if canister == Principal::management_canister() {
        match management_target(method, arg)? {
            Some(target) => target,
            None if in_range(&effective) || effective == Principal::management_canister() => {
                return Ok(())
            }
            None => {
                return Err(format!(
                    "Effective canister id {effective} is not in this subnet's canister range"
                ))
            }
        }
    } else {
        canister
    };
    if expected == effective {
        Ok(())
    } else {
        Err(format!(
            "Specified CanisterId {expected} does not match effective canister id in URL {effective}"
        ))
    }
}

/// The one canister range of the subnet, `[lo, hi]`: from the runtime's first id (PocketIC's
/// first application-subnet id, `lxzze-o7777-77777-aaaaa-cai`) to the top of its 8-byte space.
pub fn canister_range() -> (Principal, Principal) {
    let lo = Principal::from_text("lxzze-o7777-77777-aaaaa-cai").expect("valid principal");
    let hi = Principal::from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 1]);
    (lo, hi)
}

/// The system canisters' range, `[rwlgt-iiaaa-aaaaa-aaaaa-cai, …02ffffff…]`: it holds the ids
/// the network serves natively (the cycles ledger and the cycles minting canister, see
/// `cycles.rs`), so agents accept certified answers from them.
pub fn system_range() -> (Principal, Principal) {
    let lo = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    let hi = Principal::from_slice(&[0, 0, 0, 0, 2, 0xff, 0xff, 0xff, 1, 1]);
    (lo, hi)
}

/// Every range this subnet certifies, in ascending order.
pub fn certified_ranges() -> Vec<(Principal, Principal)> {
    vec![system_range(), canister_range()]
}

pub fn in_range(id: &Principal) -> bool {
    let (lo, hi) = canister_range();
    id.as_slice().len() == 10 && lo.as_slice() <= id.as_slice() && id.as_slice() <= hi.as_slice()
}

/// The management canister's one query method, `fetch_canister_logs` (controllers, and
/// whoever the canister's `log_visibility` admits).
pub fn query(
    pic: &ic_runtime::PocketIc,
    sender: Principal,
    method: &str,
    arg: &[u8],
) -> Result<Vec<u8>, ic_transport_types::RejectResponse> {
    use ic_runtime::management_types::{
        CanisterLogFilter, FetchCanisterLogsArgs, FetchCanisterLogsResult,
    };
    if method != "fetch_canister_logs" {
        return Err(ic_transport_types::RejectResponse {
            reject_code: ic_transport_types::RejectCode::DestinationInvalid,
            reject_message: format!(
                "Management canister method {method} cannot be called as a query"
            ),
            error_code: Some("IC0536".into()),
        });
    }
    let args: FetchCanisterLogsArgs =
        candid::decode_one(arg).map_err(|e| ic_transport_types::RejectResponse {
            reject_code: ic_transport_types::RejectCode::CanisterReject,
            reject_message: format!("Error decoding candid: {e}"),
            error_code: Some("IC0503".into()),
        })?;
    let mut records = pic
        .fetch_canister_logs(args.canister_id, sender)
        .map_err(|r| crate::reject::transport_reject(&r))?;
    match args.filter {
        None => {}
        Some(CanisterLogFilter::ByIdx { start, end }) => {
            records.retain(|r| start <= r.idx && r.idx <= end)
        }
        Some(CanisterLogFilter::ByTimestampNanos { start, end }) => {
            records.retain(|r| start <= r.timestamp_nanos && r.timestamp_nanos <= end)
        }
    }
    Ok(candid::encode_one(FetchCanisterLogsResult {
        canister_log_records: records,
    })
    .expect("log records encode"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Principal {
        Principal::from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0, n, 1, 1])
    }

    #[test]
    fn management_calls_are_addressed_by_their_target() {
        let arg = candid::encode_one(ic_management_canister_types::CanisterIdRecord {
            canister_id: id(1),
        })
        .unwrap();
        let mgmt = Principal::management_canister();
        assert!(check_effective_id(id(1), mgmt, "canister_status", &arg).is_ok());
        assert!(check_effective_id(id(2), mgmt, "canister_status", &arg).is_err());
        assert!(check_effective_id(id(2), id(2), "anything", &[]).is_ok());
        assert!(check_effective_id(id(2), id(3), "anything", &[]).is_err());
    }

    #[test]
    fn runtime_ids_are_in_the_certified_range() {
        let first = Principal::from_text("lxzze-o7777-77777-aaaaa-cai").unwrap();
        assert!(in_range(&first));
        assert!(!in_range(&Principal::management_canister()));
        assert!(!in_range(
            &Principal::from_text("rrkah-fqaaa-aaaaa-aaaaq-cai").unwrap()
        ));
    }

    #[test]
    fn the_system_range_holds_the_cycles_ledger_and_the_cmc() {
        let (lo, hi) = system_range();
        for id in [
            crate::cycles::CYCLES_LEDGER,
            crate::cycles::CYCLES_MINTING_CANISTER,
        ] {
            assert!(lo.as_slice() <= id.as_slice() && id.as_slice() <= hi.as_slice());
        }
        assert!(hi.as_slice() < canister_range().0.as_slice());
        assert_eq!(
            crate::cycles::CYCLES_LEDGER.to_text(),
            "um5iw-rqaaa-aaaaq-qaaba-cai"
        );
        assert_eq!(
            crate::cycles::CYCLES_MINTING_CANISTER.to_text(),
            "rkp4c-7iaaa-aaaaa-aaaca-cai"
        );
    }
}
