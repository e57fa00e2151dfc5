//! How a runtime reject travels over the IC HTTP interface: the transport's reject type, shared by
//! the network's calls (`network.rs`) and the management canister's query (`mgmt.rs`).

use ic_runtime::RejectResponse;
use ic_transport_types::RejectCode;

pub(crate) fn transport_reject(r: &RejectResponse) -> ic_transport_types::RejectResponse {
    ic_transport_types::RejectResponse {
        reject_code: RejectCode::try_from(r.reject_code as u64).unwrap_or(RejectCode::SysFatal),
        reject_message: r.reject_message.clone(),
        error_code: Some(r.error_code.to_string()),
    }
}
