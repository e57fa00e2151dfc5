//! Who may do what, in one place: the owner does everything, a share's role decides between
//! reading and editing, attendees read and answer, a public event is readable by everyone, and
//! the anonymous principal only reads public data.
//!
//! Every change to a named event is decided by [`authorize`], in this order:
//! 1. an event the caller may not read does not exist for them: `NotFound` (the anonymous caller
//!    included), so an error never tells which ids exist;
//! 2. the anonymous caller gets `AnonymousCaller` (it can read public events, but changes
//!    nothing);
//! 3. the action needs a role the caller lacks: `Forbidden`.
//!
//! Writes that name no event (create, import, booking, policies) and the reads that show more
//! than public data (free/busy, iCalendar export) start with [`require_user`].

use candid::Principal;
use interfaces::calendar::{Event, EventId, EventPatch, Role, Visibility};
use interfaces::Error;

/// What a caller asks to do to an event they named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Change what or when: the owner and editors.
    Edit,
    /// Change who sees or attends it (visibility, shares, attendees): the owner only.
    Reshare,
    /// The owner only.
    Delete,
    /// Answer the invitation: attendees only.
    Answer,
}

/// The action a patch needs: changing who sees or attends the event is resharing it.
pub fn patch_action(patch: &EventPatch) -> Action {
    if patch.visibility.is_some() || patch.attendees.is_some() {
        Action::Reshare
    } else {
        Action::Edit
    }
}

pub fn is_anonymous(p: &Principal) -> bool {
    *p == Principal::anonymous()
}

/// The anonymous principal may only read public data.
pub fn require_user(caller: &Principal) -> Result<(), Error> {
    security_base::guards::require_authenticated(caller)
}

pub fn may_read(event: &Event, who: &Principal) -> bool {
    event.owner == *who
        || matches!(event.visibility, Visibility::Public)
        || event.attendees.iter().any(|a| a.principal == *who)
        || matches!(&event.visibility, Visibility::Shared(s) if s.iter().any(|s| s.principal == *who))
}

fn may_edit(event: &Event, who: &Principal) -> bool {
    event.owner == *who
        || matches!(&event.visibility, Visibility::Shared(s)
            if s.iter().any(|s| s.principal == *who && s.role == Role::Editor))
}

pub fn not_found(id: EventId) -> Error {
    Error::not_found(format!("event {id}"))
}

/// Whether `who` may do `action` to `event` (see the module header for the order of the rules).
pub fn authorize(event: &Event, who: &Principal, action: Action) -> Result<(), Error> {
    if !may_read(event, who) {
        return Err(not_found(event.id));
    }
    require_user(who)?;
    let (allowed, reason) = match action {
        Action::Edit => (
            may_edit(event, who),
            "only the owner and editors may change this event",
        ),
        Action::Reshare => (
            event.owner == *who,
            "only the owner may change who sees or attends the event",
        ),
        Action::Delete => (event.owner == *who, "only the owner may delete this event"),
        Action::Answer => (
            event.attendees.iter().any(|a| a.principal == *who),
            "only attendees answer an invitation",
        ),
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden {
            reason: reason.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interfaces::calendar::{Attendee, EventInput, Rsvp, Share};

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n; 29])
    }

    const OWNER: u8 = 1;
    const VIEWER: u8 = 2;
    const EDITOR: u8 = 3;
    const GUEST: u8 = 4;
    const STRANGER: u8 = 5;
    const ALL: [Action; 4] = [
        Action::Edit,
        Action::Reshare,
        Action::Delete,
        Action::Answer,
    ];

    fn event(visibility: Visibility) -> Event {
        let input = EventInput::timed("Lesson", 0, 1, "UTC");
        Event {
            id: 7,
            owner: p(OWNER),
            ical_uid: "7@x".into(),
            title: input.title,
            description: String::new(),
            location: String::new(),
            time: input.time,
            time_zone: input.time_zone,
            recurrence: None,
            overrides: vec![],
            status: Default::default(),
            transparency: Default::default(),
            visibility,
            color: None,
            attendees: vec![Attendee {
                principal: p(GUEST),
                rsvp: Rsvp::NeedsAction,
            }],
            occurrence_rsvps: None,
            attendee_reminders: None,
            reminders_minutes: vec![],
            created_at_ns: 0,
            updated_at_ns: 0,
            revision: 1,
        }
    }

    fn shared() -> Event {
        event(Visibility::Shared(vec![
            Share {
                principal: p(VIEWER),
                role: Role::Viewer,
            },
            Share {
                principal: p(EDITOR),
                role: Role::Editor,
            },
        ]))
    }

    /// `authorize` as a short word: "ok", "forbidden", "not found" or "anonymous".
    fn verdict(e: &Event, who: Principal, action: Action) -> &'static str {
        match authorize(e, &who, action) {
            Ok(()) => "ok",
            Err(Error::Forbidden { .. }) => "forbidden",
            Err(Error::NotFound { .. }) => "not found",
            Err(Error::AnonymousCaller) => "anonymous",
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn roles_of_a_shared_event() {
        let e = shared();
        let anonymous = Principal::anonymous();
        let table = [
            // who, edit, reshare, delete, answer
            (p(OWNER), ["ok", "ok", "ok", "forbidden"]),
            (p(EDITOR), ["ok", "forbidden", "forbidden", "forbidden"]),
            (
                p(VIEWER),
                ["forbidden", "forbidden", "forbidden", "forbidden"],
            ),
            (p(GUEST), ["forbidden", "forbidden", "forbidden", "ok"]),
            (p(STRANGER), ["not found"; 4]),
            (anonymous, ["not found"; 4]),
        ];
        for (who, expected) in table {
            let got: Vec<_> = ALL.iter().map(|&a| verdict(&e, who, a)).collect();
            assert_eq!(got, expected, "for {who}");
        }
    }

    #[test]
    fn a_public_event_is_read_by_everyone_and_changed_by_no_stranger() {
        let e = event(Visibility::Public);
        for who in [p(STRANGER), Principal::anonymous(), p(GUEST)] {
            assert!(may_read(&e, &who));
        }
        assert_eq!(verdict(&e, p(STRANGER), Action::Edit), "forbidden");
        // The anonymous caller sees the event, so it is told why it may not change it.
        for action in ALL {
            assert_eq!(verdict(&e, Principal::anonymous(), action), "anonymous");
        }
    }

    #[test]
    fn a_patch_of_people_or_visibility_is_a_reshare() {
        assert_eq!(patch_action(&EventPatch::default()), Action::Edit);
        let people = EventPatch {
            attendees: Some(vec![]),
            ..Default::default()
        };
        assert_eq!(patch_action(&people), Action::Reshare);
        let public = EventPatch {
            visibility: Some(Visibility::Public),
            title: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(patch_action(&public), Action::Reshare);
    }

    #[test]
    fn a_private_event_exists_only_for_its_owner_and_attendees() {
        let e = event(Visibility::Private);
        assert!(may_read(&e, &p(OWNER)) && may_read(&e, &p(GUEST)));
        assert!(!may_read(&e, &p(VIEWER)));
        assert_eq!(verdict(&e, p(VIEWER), Action::Delete), "not found");
        assert!(require_user(&Principal::anonymous()).is_err());
        assert!(require_user(&p(STRANGER)).is_ok());
    }
}
