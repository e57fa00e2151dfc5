//! Free/busy privacy: each user chooses who may see their busy times
//! ([`FreeBusyAudience`]: nobody, the people they share an event with or invite, or every
//! signed-in user; the middle one by default).
//!
//! "People they share with or invite" is the `contacts` index: (owner, participant, event) for
//! every attendee and share of the owner's events, kept by the one write path
//! (`events::file`), so the check is one range probe whatever the number of events. Booking
//! does not go through here: a host's policy offers free slots to every signed-in user.

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::calendar::FreeBusyAudience;
use interfaces::Error;

use super::{Ctx, Store};
use crate::access;
use crate::keys;

/// How an audience is stored (its index; the default is not stored).
fn code(audience: FreeBusyAudience) -> u8 {
    match audience {
        FreeBusyAudience::Nobody => 0,
        FreeBusyAudience::Contacts => 1,
        FreeBusyAudience::SignedIn => 2,
    }
}

fn from_code(code: u8) -> FreeBusyAudience {
    match code {
        0 => FreeBusyAudience::Nobody,
        2 => FreeBusyAudience::SignedIn,
        _ => FreeBusyAudience::Contacts,
    }
}

impl<M: Memory> Store<M> {
    pub fn free_busy_audience(&self, user: &Principal) -> FreeBusyAudience {
        self.audiences
            .get(&keys::owner_key(user))
            .map_or_else(FreeBusyAudience::default, from_code)
    }

    /// Sets who may see the caller's busy times.
    pub fn set_free_busy_audience(
        &mut self,
        ctx: &Ctx,
        audience: FreeBusyAudience,
    ) -> Result<(), Error> {
        access::require_user(&ctx.caller)?;
        let key = keys::owner_key(&ctx.caller);
        if audience == FreeBusyAudience::default() {
            self.audiences.remove(&key);
        } else {
            self.audiences.insert(key, code(audience));
        }
        self.touch();
        Ok(())
    }

    /// Forgets `user`'s choice (account deletion); whether there was one.
    pub(super) fn remove_audience(&mut self, user: &Principal) -> bool {
        let removed = self.audiences.remove(&keys::owner_key(user)).is_some();
        if removed {
            self.touch();
        }
        removed
    }

    /// Whether `user` shares an event with `other` or invites them to one.
    pub fn knows(&self, user: &Principal, other: &Principal) -> bool {
        self.contacts
            .range(keys::contact_key(user, other, 0)..=keys::contact_key(user, other, u64::MAX))
            .next()
            .is_some()
    }

    /// `Ok` if `asker` may see `user`'s busy times; `Forbidden` otherwise (the anonymous
    /// principal never may).
    pub fn may_see_busy(&self, user: &Principal, asker: &Principal) -> Result<(), Error> {
        access::require_user(asker)?;
        let allowed = asker == user
            || match self.free_busy_audience(user) {
                FreeBusyAudience::Nobody => false,
                FreeBusyAudience::Contacts => self.knows(user, asker),
                FreeBusyAudience::SignedIn => true,
            };
        if allowed {
            Ok(())
        } else {
            Err(Error::Forbidden {
                reason: "this user does not share their free/busy with you".into(),
            })
        }
    }

    /// Fills the contacts index from every stored event (the layout migration to 4, also after
    /// restoring a snapshot from before it, which restores the index empty). Idempotent.
    pub fn rebuild_contacts(&mut self) -> u64 {
        let mut entries = Vec::new();
        for event in self.records_from(0) {
            let e = event.event();
            for p in super::events::participants(e) {
                if p != e.owner {
                    entries.push(keys::contact_key(&e.owner, &p, e.id));
                }
            }
        }
        let added = entries.len() as u64;
        for key in entries {
            self.contacts.insert(key, ());
        }
        added
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{ctx, fixture, lesson, user, MONDAY};
    use interfaces::calendar::{EventPatch, Role, Share, Visibility};

    fn forbidden(r: Result<(), Error>) -> bool {
        matches!(r, Err(Error::Forbidden { .. }))
    }

    #[test]
    fn by_default_only_people_the_user_shares_with_or_invites_see_their_busy_times() {
        let mut f = fixture();
        let (alice, bob, carol, dave) = (user(1), user(2), user(3), user(4));
        assert_eq!(
            f.store.free_busy_audience(&alice),
            FreeBusyAudience::Contacts
        );
        assert!(forbidden(f.store.may_see_busy(&alice, &bob)));
        let mut meeting = lesson(MONDAY);
        meeting.attendees = Some(vec![bob]);
        meeting.visibility = Some(Visibility::Shared(vec![Share {
            principal: carol,
            role: Role::Viewer,
        }]));
        let e = f.store.create(&ctx(alice), meeting).unwrap();
        assert_eq!(f.store.may_see_busy(&alice, &bob), Ok(()), "invited");
        assert_eq!(f.store.may_see_busy(&alice, &carol), Ok(()), "shared with");
        assert!(forbidden(f.store.may_see_busy(&alice, &dave)));
        assert!(
            forbidden(f.store.may_see_busy(&bob, &alice)),
            "being invited is not inviting"
        );
        assert_eq!(f.store.may_see_busy(&dave, &dave), Ok(()), "one's own");
        assert_eq!(
            f.store.may_see_busy(&alice, &Principal::anonymous()),
            Err(Error::AnonymousCaller)
        );
        // Bob leaves the meeting: he is no longer a contact; deleting it forgets Carol too.
        let patch = EventPatch {
            attendees: Some(vec![]),
            ..Default::default()
        };
        let e = f
            .store
            .update(&ctx(alice), e.id, e.revision, patch)
            .unwrap();
        assert!(forbidden(f.store.may_see_busy(&alice, &bob)));
        assert_eq!(f.store.may_see_busy(&alice, &carol), Ok(()));
        f.store.delete(&ctx(alice), e.id, None).unwrap();
        assert!(forbidden(f.store.may_see_busy(&alice, &carol)));
        assert_eq!(f.store.contacts.len(), 0);
    }

    #[test]
    fn the_user_chooses_nobody_or_every_signed_in_user_and_back() {
        let mut f = fixture();
        let (alice, bob, stranger) = (user(1), user(2), user(9));
        let mut meeting = lesson(MONDAY);
        meeting.attendees = Some(vec![bob]);
        f.store.create(&ctx(alice), meeting).unwrap();
        f.store
            .set_free_busy_audience(&ctx(alice), FreeBusyAudience::Nobody)
            .unwrap();
        assert!(forbidden(f.store.may_see_busy(&alice, &bob)));
        assert_eq!(f.store.may_see_busy(&alice, &alice), Ok(()));
        f.store
            .set_free_busy_audience(&ctx(alice), FreeBusyAudience::SignedIn)
            .unwrap();
        assert_eq!(f.store.may_see_busy(&alice, &stranger), Ok(()));
        f.store
            .set_free_busy_audience(&ctx(alice), FreeBusyAudience::Contacts)
            .unwrap();
        assert_eq!(f.store.audiences.len(), 0, "the default is not stored");
        assert!(forbidden(f.store.may_see_busy(&alice, &stranger)));
        let version = f.store.meta().data_version;
        assert_eq!(
            f.store
                .set_free_busy_audience(&ctx(Principal::anonymous()), FreeBusyAudience::SignedIn),
            Err(Error::AnonymousCaller)
        );
        assert_eq!(f.store.meta().data_version, version);
    }

    #[test]
    fn rebuilding_the_contacts_gives_the_index_the_write_path_keeps() {
        let mut f = fixture();
        for i in 0..30 {
            let mut input = lesson(MONDAY + i * 3_600_000_000_000);
            input.attendees = Some(vec![user(2 + (i % 3) as u8), user(1)]);
            f.store.create(&ctx(user(1)), input).unwrap();
        }
        let kept: Vec<_> = f.store.contacts.iter().map(|e| *e.key()).collect();
        assert_eq!(kept.len(), 30, "the owner is not their own contact");
        f.store.contacts.clear_new();
        assert_eq!(f.store.rebuild_contacts(), 30);
        let rebuilt: Vec<_> = f.store.contacts.iter().map(|e| *e.key()).collect();
        assert_eq!(rebuilt, kept);
    }
}
