//! Booking policies: one per host, set by the host, read by anyone (`crate::booking` turns a
//! policy into bookable slots).

use candid::Principal;
use canister_kit::stored::Candid;
use ic_stable_structures::Memory;
use interfaces::calendar::BookingPolicy;
use interfaces::Error;

use super::{Ctx, Store};
use crate::access;
use crate::keys;
use crate::validate::check_policy;

impl<M: Memory> Store<M> {
    pub fn policy(&self, host: &Principal) -> Option<BookingPolicy> {
        self.policies.get(&keys::owner_key(host)).map(|p| p.0)
    }

    /// Sets (or with `None` removes) the caller's booking policy, once it passed the checks.
    pub fn set_policy(&mut self, ctx: &Ctx, policy: Option<BookingPolicy>) -> Result<(), Error> {
        access::require_user(&ctx.caller)?;
        let key = keys::owner_key(&ctx.caller);
        match policy {
            Some(p) => {
                check_policy(&p)?;
                self.policies.insert(key, Candid(p));
            }
            None => {
                self.policies.remove(&key);
            }
        }
        self.touch();
        Ok(())
    }

    /// Removes `host`'s policy (account deletion); whether there was one.
    pub(super) fn remove_policy(&mut self, host: &Principal) -> bool {
        let removed = self.policies.remove(&keys::owner_key(host)).is_some();
        if removed {
            self.touch();
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{fixture, policy, user};

    #[test]
    fn a_host_sets_replaces_and_removes_their_policy() {
        let mut f = fixture();
        let host = f.ctx(user(1));
        f.store.set_policy(&host, Some(policy())).unwrap();
        assert_eq!(f.store.policy(&user(1)), Some(policy()));
        assert_eq!(f.store.policy(&user(2)), None, "policies are per host");
        let mut longer = policy();
        longer.slot_minutes = 90;
        f.store.set_policy(&host, Some(longer.clone())).unwrap();
        assert_eq!(f.store.policy(&user(1)), Some(longer));
        f.store.set_policy(&host, None).unwrap();
        assert_eq!(f.store.policy(&user(1)), None);
    }

    #[test]
    fn bad_policies_and_anonymous_hosts_change_nothing() {
        let mut f = fixture();
        let version = f.store.meta().data_version;
        let mut bad = policy();
        bad.working_hours.clear();
        assert!(matches!(
            f.store.set_policy(&f.ctx(user(1)), Some(bad)),
            Err(Error::InvalidInput { .. })
        ));
        assert_eq!(
            f.store
                .set_policy(&f.ctx(Principal::anonymous()), Some(policy())),
            Err(Error::AnonymousCaller)
        );
        assert_eq!(f.store.meta().data_version, version);
        assert_eq!(f.store.policy(&Principal::anonymous()), None);
    }

    #[test]
    fn removing_a_policy_that_is_not_there_changes_nothing() {
        let mut f = fixture();
        assert!(!f.store.remove_policy(&user(1)));
        f.store.set_policy(&f.ctx(user(1)), Some(policy())).unwrap();
        let version = f.store.meta().data_version;
        assert!(f.store.remove_policy(&user(1)));
        assert_eq!(f.store.meta().data_version, version + 1);
    }
}
