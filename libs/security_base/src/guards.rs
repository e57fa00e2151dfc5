//! Caller checks that return the suite's typed [`Error`].
//!
//! The checks are plain functions over what the endpoint already knows (the caller, whether it
//! controls this canister, the admins), so they are unit-tested natively and used the same way by
//! endpoints and by `inspect_message`. The `*_guard` wrappers fit `#[update(guard = "...")]`,
//! which rejects (never traps) with the error's text.

use candid::Principal;
use interfaces::{Error, Permission};

pub fn require_authenticated(caller: &Principal) -> Result<(), Error> {
    if *caller == Principal::anonymous() {
        Err(Error::AnonymousCaller)
    } else {
        Ok(())
    }
}

pub fn require_controller(caller: &Principal, caller_is_controller: bool) -> Result<(), Error> {
    require_authenticated(caller)?;
    if caller_is_controller {
        Ok(())
    } else {
        Err(Error::NotController)
    }
}

/// Controllers are super-admins; anyone else needs `required` among `granted` (their admin
/// permissions, `None` when they are not an admin at all).
pub fn require_permission(
    caller: &Principal,
    caller_is_controller: bool,
    granted: Option<&[Permission]>,
    required: Permission,
) -> Result<(), Error> {
    require_authenticated(caller)?;
    if caller_is_controller || granted.is_some_and(|g| g.contains(&required)) {
        Ok(())
    } else {
        Err(Error::NotAdmin { required })
    }
}

/// `#[update(guard = "caller_is_authenticated_guard")]`: refuses the anonymous principal.
pub fn caller_is_authenticated_guard() -> Result<(), String> {
    require_authenticated(&ic_cdk::api::msg_caller()).map_err(|e| e.to_string())
}

/// `#[update(guard = "caller_is_controller_guard")]`: only controllers of this canister.
pub fn caller_is_controller_guard() -> Result<(), String> {
    let caller = ic_cdk::api::msg_caller();
    require_controller(&caller, ic_cdk::api::is_controller(&caller)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Principal {
        Principal::from_slice(&[1; 29])
    }

    #[test]
    fn anonymous_is_refused_everywhere() {
        let anon = Principal::anonymous();
        assert_eq!(require_authenticated(&anon), Err(Error::AnonymousCaller));
        assert_eq!(require_controller(&anon, true), Err(Error::AnonymousCaller));
        assert_eq!(
            require_permission(
                &anon,
                true,
                Some(&[Permission::ManageGroups]),
                Permission::ManageGroups
            ),
            Err(Error::AnonymousCaller)
        );
    }

    #[test]
    fn controllers_hold_every_permission() {
        assert_eq!(
            require_permission(&user(), true, None, Permission::ManageWasm),
            Ok(())
        );
        assert_eq!(
            require_controller(&user(), false),
            Err(Error::NotController)
        );
    }

    #[test]
    fn admins_hold_only_what_they_were_granted() {
        let granted = [Permission::ManageGroups];
        assert_eq!(
            require_permission(&user(), false, Some(&granted), Permission::ManageGroups),
            Ok(())
        );
        assert_eq!(
            require_permission(&user(), false, Some(&granted), Permission::ManageKeys),
            Err(Error::NotAdmin {
                required: Permission::ManageKeys
            })
        );
        assert_eq!(
            require_permission(&user(), false, None, Permission::ManageGroups),
            Err(Error::NotAdmin {
                required: Permission::ManageGroups
            })
        );
    }
}
