//! Who may call what: the entry-point kinds each `ic0` function allows, and the traps a
//! violation or a failed check raises.

use wasmtime::{format_err as anyhow, Error, Result};

use super::C;
use crate::context::{ExecKind, Host};
use crate::errors::Trap;

pub(super) fn fail(host: &mut Host, trap: Trap) -> Error {
    let text = trap.detail();
    host.ctx.trap = Some(trap);
    anyhow!(text)
}

pub(super) fn violation(c: C, text: String) -> Error {
    fail(c.data_mut(), Trap::ContractViolation(text))
}

/// Traps unless the current entry-point kind may call `name`.
pub(super) fn allow(c: C, name: &str, ok: fn(ExecKind) -> bool) -> Result<()> {
    let kind = c.data().ctx.kind;
    if ok(kind) {
        Ok(())
    } else {
        Err(violation(
            c,
            format!("\"ic0_{name}\" cannot be executed in {} mode", kind.name()),
        ))
    }
}

pub(super) fn arg_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        Init | Update
            | ReplicatedQuery
            | Query
            | CompositeQuery
            | ReplyCallback
            | CompositeReplyCallback
            | Inspect
    )
}
pub(super) fn reply_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        Update
            | ReplicatedQuery
            | Query
            | CompositeQuery
            | ReplyCallback
            | RejectCallback
            | CompositeReplyCallback
            | CompositeRejectCallback
    )
}
pub(super) fn reject_code_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        ReplyCallback
            | RejectCallback
            | CompositeReplyCallback
            | CompositeRejectCallback
            | Cleanup
            | CompositeCleanup
    )
}
pub(super) fn reject_msg_kinds(k: ExecKind) -> bool {
    matches!(
        k,
        ExecKind::RejectCallback | ExecKind::CompositeRejectCallback
    )
}
pub(super) fn call_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        Update
            | CompositeQuery
            | ReplyCallback
            | RejectCallback
            | CompositeReplyCallback
            | CompositeRejectCallback
            | System
    )
}
pub(super) fn state_kinds(k: ExecKind) -> bool {
    use ExecKind::*;
    matches!(
        k,
        Init | PreUpgrade | Update | ReplyCallback | RejectCallback | Cleanup | System
    )
}
pub(super) fn deadline_kinds(k: ExecKind) -> bool {
    reply_kinds(k)
}
pub(super) fn inspect_kind(k: ExecKind) -> bool {
    k == ExecKind::Inspect
}
/// The spec's U, RQ, Ry, Rt: a replicated query may keep cycles although its heap changes go.
pub(super) fn accept_kinds(k: ExecKind) -> bool {
    available_kinds(k)
}
pub(super) fn available_kinds(k: ExecKind) -> bool {
    matches!(
        k,
        ExecKind::Update
            | ExecKind::ReplicatedQuery
            | ExecKind::ReplyCallback
            | ExecKind::RejectCallback
    )
}
pub(super) fn refunded_kinds(k: ExecKind) -> bool {
    matches!(k, ExecKind::ReplyCallback | ExecKind::RejectCallback)
}
/// `root_key_*`: replicated executions only (the spec's I G U RQ Ry Rt C T).
pub(super) fn root_key_kinds(k: ExecKind) -> bool {
    k.is_replicated()
}
pub(super) fn certificate_kinds(k: ExecKind) -> bool {
    matches!(k, ExecKind::Query | ExecKind::CompositeQuery)
}
