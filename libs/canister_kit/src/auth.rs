//! Who may make a group call: "the caller is a member of this canister's group, of one of these
//! kinds, presenting its own access key" — the one check every group method starts with — and
//! how a member finds the one peer of a kind it calls. Errors are typed `interfaces::Error`s:
//! a caller outside the group or of another kind gets `NotGroupMember`, a wrong key
//! `InvalidAccessKey`, a missing peer or key `Unavailable`.

use candid::Principal;
use interfaces::security::GroupMember;
use interfaces::{CanisterKind, Error};
use security_base::AccessKey;

use crate::member;

/// The message's caller: `ic_cdk::api::msg_caller` without its heap buffer (a principal is at
/// most 29 bytes), which costs an allocation and a free on every call that asks.
pub fn caller() -> Principal {
    let mut bytes = [0; 29];
    let len = ic0::msg_caller_size().min(bytes.len());
    ic0::msg_caller_copy(&mut bytes[..len], 0);
    Principal::from_slice(&bytes[..len])
}

/// A group call from a member of one of `kinds` holding its own valid key; answers the member.
/// Reads only the cached group snapshot (no call to the registry).
pub fn require_member_of(
    caller: Principal,
    key: &[u8],
    kinds: &[CanisterKind],
) -> Result<GroupMember, Error> {
    member::authorize_member(caller, key).and_then(|m| of_kind(m, kinds))
}

/// `member` if it is of one of `kinds`. A member of another kind is refused like a stranger:
/// the method is not one its kind may call.
pub fn of_kind(member: GroupMember, kinds: &[CanisterKind]) -> Result<GroupMember, Error> {
    if kinds.contains(&member.canister_type) {
        Ok(member)
    } else {
        Err(Error::NotGroupMember)
    }
}

/// The group's member of `kind` that this canister calls (the first the registry lists), or
/// `Unavailable` before the group has one.
pub fn peer_of_kind(kind: CanisterKind) -> Result<Principal, Error> {
    first_of(&member::members_of_kind(kind), kind)
}

fn first_of(members: &[Principal], kind: CanisterKind) -> Result<Principal, Error> {
    members.first().copied().ok_or_else(|| Error::Unavailable {
        reason: format!("no {} in the group yet", kind.name()),
    })
}

/// This canister's own access key, for calls to other members; `Unavailable` before the
/// registry delivered it.
pub fn own_key() -> Result<AccessKey, Error> {
    member::own_key().ok_or(Error::Unavailable {
        reason: "this canister has not received its access key yet".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(kind: CanisterKind) -> GroupMember {
        GroupMember {
            principal: Principal::from_slice(&[7]),
            canister_type: kind,
            shard_key: None,
            keys: None,
        }
    }

    #[test]
    fn only_the_named_kinds_pass() {
        let backup = member(CanisterKind::BackupCanister);
        assert_eq!(
            of_kind(backup.clone(), &[CanisterKind::BackupCanister]),
            Ok(backup.clone())
        );
        assert_eq!(
            of_kind(
                backup.clone(),
                &[CanisterKind::Calendar, CanisterKind::UserRegistry]
            ),
            Err(Error::NotGroupMember)
        );
        assert_eq!(of_kind(backup, &[]), Err(Error::NotGroupMember));
    }

    #[test]
    fn the_first_listed_peer_is_called_and_none_is_unavailable() {
        let (a, b) = (Principal::from_slice(&[1]), Principal::from_slice(&[2]));
        assert_eq!(first_of(&[a, b], CanisterKind::Notification), Ok(a));
        assert!(matches!(
            first_of(&[], CanisterKind::Notification),
            Err(Error::Unavailable { reason }) if reason.contains("notification")
        ));
    }
}
