//! The user registry on the real wasm (issue 6): accounts that survive upgrades and refuse bad
//! input without changing, the shard request retried until a load balancer answers, and account
//! deletion that leaves no trace of the user on the registry, the calendar shard and the
//! notification canister.

use std::time::Duration;

use candid::{encode_args, Principal};
use integration_tests::{operator, user, Group, Suite};
use interfaces::calendar::{
    CalendarConfig, Event, EventInput, EventPage, ListRequest, Rsvp, Weekday, WorkingHours,
    MAX_DELETIONS_PER_CALL,
};
use interfaces::notification::{
    Notification, NotificationPage, NotificationQuery, NotificationStats,
};
use interfaces::security::MemberInit;
use interfaces::user::{
    CalendarView, DeletionState, DeletionStatus, Profile, RegisterRequest, Settings,
    ShardAssignment, Theme, UserAccount, UserDataExport, UserRegistryStats,
};
use interfaces::{CanisterKind, Error};

const MIN: u64 = 60_000_000_000;
const HOUR: u64 = 60 * MIN;
const DAY: u64 = 24 * HOUR;

fn ok<T: std::fmt::Debug>(result: Result<T, Error>) -> T {
    result.unwrap_or_else(|e| panic!("expected Ok, got {e:?}"))
}

struct Fixture {
    suite: Suite,
    group: Group,
    registry: Principal,
}

fn fixture(kinds: &[CanisterKind]) -> Fixture {
    let suite = Suite::new();
    let mut all = vec![CanisterKind::UserRegistry];
    all.extend_from_slice(kinds);
    let group = suite.group(&all);
    let registry = group.member(CanisterKind::UserRegistry);
    Fixture {
        suite,
        group,
        registry,
    }
}

fn profile(name: &str) -> Profile {
    Profile {
        display_name: name.into(),
        avatar_color: Some("#3366ff".into()),
        email: Some(format!("{}@example.org", name.to_lowercase())),
    }
}

fn berlin() -> Settings {
    Settings {
        time_zone: "Europe/Berlin".into(),
        week_start: Weekday::Monday,
        working_hours: vec![
            WorkingHours {
                weekday: Weekday::Monday,
                start_minute: 8 * 60,
                end_minute: 12 * 60,
            },
            WorkingHours {
                weekday: Weekday::Monday,
                start_minute: 13 * 60,
                end_minute: 17 * 60,
            },
        ],
        default_reminders_minutes: vec![10, 60],
        default_view: CalendarView::Month,
        theme: Theme::Dark,
    }
}

impl Fixture {
    fn now(&self) -> u64 {
        self.suite.env.get_time().as_nanos_since_unix_epoch()
    }

    fn update<T>(
        &self,
        who: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> Result<T, Error>
    where
        T: candid::CandidType + for<'de> candid::Deserialize<'de>,
    {
        let (result,): (Result<T, Error>,) =
            self.suite.update(self.registry, who, method, args).unwrap();
        result
    }

    fn query<T>(&self, who: Principal, method: &str) -> Result<T, Error>
    where
        T: candid::CandidType + for<'de> candid::Deserialize<'de>,
    {
        let (result,): (Result<T, Error>,) =
            self.suite.query(self.registry, who, method, ()).unwrap();
        result
    }

    fn register(
        &self,
        who: Principal,
        name: &str,
        settings: Option<Settings>,
    ) -> Result<UserAccount, Error> {
        self.update(
            who,
            "register",
            (RegisterRequest {
                profile: profile(name),
                settings,
            },),
        )
    }

    fn account(&self, who: Principal) -> Result<UserAccount, Error> {
        self.query(who, "get_my_account")
    }

    fn shard(&self, who: Principal) -> Result<ShardAssignment, Error> {
        self.query(who, "get_my_shard")
    }

    fn stats(&self) -> UserRegistryStats {
        let (stats,): (UserRegistryStats,) = self
            .suite
            .query(self.registry, user(99), "get_user_registry_stats", ())
            .unwrap();
        stats
    }
}

#[test]
fn profiles_and_settings_survive_upgrade_and_bad_input_changes_nothing() {
    let f = fixture(&[]);
    let account = ok(f.register(user(1), "Ada", Some(berlin())));
    assert_eq!(
        (account.user, account.settings.clone()),
        (user(1), berlin())
    );
    assert_eq!(account.profile, profile("Ada"));
    // Registering again answers the same account, unchanged.
    assert_eq!(ok(f.register(user(1), "Someone", None)), account);
    assert_eq!(
        f.register(Principal::anonymous(), "Anon", None),
        Err(Error::AnonymousCaller)
    );
    assert_eq!(f.account(user(2)), Err(Error::not_found("account")));
    let bob = ok(f.register(user(2), "Bob", None));
    assert_eq!(bob.settings, Settings::default());

    // Bad input: typed errors naming the field, and nothing changes. (First let the shard
    // requests run, so that the accounts' shard fields stand still.)
    f.suite.settle();
    let before = (f.account(user(1)), f.account(user(2)), f.stats());
    let mut bad_zone = berlin();
    bad_zone.time_zone = "Europe/Atlantis".into();
    let mut overlapping = berlin();
    overlapping.working_hours[1].start_minute = 11 * 60;
    let mut twice = berlin();
    twice.default_reminders_minutes = vec![10, 10];
    for (settings, field) in [
        (bad_zone.clone(), "settings.time_zone"),
        (overlapping, "settings.working_hours"),
        (twice, "settings.default_reminders_minutes"),
    ] {
        assert!(matches!(
            f.update::<UserAccount>(user(1), "update_settings", (settings,)),
            Err(Error::InvalidInput { field: got, .. }) if got == field
        ));
    }
    let mut bad_profile = profile("Ada");
    bad_profile.email = Some("not an email".into());
    assert!(matches!(
        f.update::<UserAccount>(user(1), "update_profile", (bad_profile,)),
        Err(Error::InvalidInput { field, .. }) if field == "profile.email"
    ));
    assert!(matches!(
        f.register(user(3), "", None),
        Err(Error::InvalidInput { field, .. }) if field == "profile.display_name"
    ));
    assert!(matches!(
        f.register(user(3), "Cy", Some(bad_zone)),
        Err(Error::InvalidInput { field, .. }) if field == "settings.time_zone"
    ));
    assert_eq!(
        f.update::<UserAccount>(user(3), "update_profile", (profile("Cy"),)),
        Err(Error::not_found("account"))
    );
    assert_eq!((f.account(user(1)), f.account(user(2)), f.stats()), before);

    // A good update, then an upgrade: everything is still there.
    let mut tokyo = berlin();
    tokyo.time_zone = "Asia/Tokyo".into();
    tokyo.theme = Theme::Light;
    let updated = ok(f.update::<UserAccount>(user(2), "update_settings", (tokyo.clone(),)));
    assert_eq!(updated.settings, tokyo);
    let renamed = ok(f.update::<UserAccount>(user(2), "update_profile", (profile("Robert"),)));
    let accounts = (ok(f.account(user(1))), renamed);
    f.suite.upgrade(
        f.registry,
        "user_registry",
        encode_args((None::<MemberInit>,)).unwrap(),
    );
    assert_eq!((ok(f.account(user(1))), ok(f.account(user(2)))), accounts);
    assert_eq!(f.stats().users, 2);
    let export: UserDataExport = ok(f.query(user(2), "export_my_data"));
    assert_eq!(export.account, Some(accounts.1));
    assert_eq!(export.deletion, None);
}

#[test]
fn the_shard_stays_pending_and_is_asked_again_until_a_load_balancer_answers() {
    // No load balancer in the group at all.
    let f = fixture(&[]);
    ok(f.register(user(1), "Ada", None));
    f.suite.settle();
    match ok(f.shard(user(1))) {
        ShardAssignment::Pending {
            attempts,
            last_error,
            ..
        } => {
            assert_eq!(attempts, 1);
            assert!(last_error
                .unwrap()
                .contains("no load_balancer in the group yet"));
        }
        other => panic!("{other:?}"),
    }
    // Asked again, with growing delays, and across an upgrade.
    f.suite.advance(Duration::from_secs(31));
    f.suite.upgrade(
        f.registry,
        "user_registry",
        encode_args((None::<MemberInit>,)).unwrap(),
    );
    f.suite.advance(Duration::from_secs(61));
    assert!(matches!(
        ok(f.shard(user(1))),
        ShardAssignment::Pending { attempts: 3, .. }
    ));
    assert_eq!(f.stats().shards_pending, 1);

    // With the suite's load balancer in the group: it is asked with this canister's key. Until
    // it implements `assign_user` the call fails and the shard stays pending.
    let f = fixture(&[CanisterKind::LoadBalancer, CanisterKind::Calendar]);
    ok(f.register(user(1), "Ada", None));
    f.suite.settle();
    let balancer_assigns =
        include_str!("../../canisters/load_balancer/load_balancer.did").contains("assign_user");
    match ok(f.shard(user(1))) {
        ShardAssignment::Assigned(shard) if balancer_assigns => {
            assert_eq!(shard, f.group.member(CanisterKind::Calendar))
        }
        ShardAssignment::Pending { last_error, .. } if !balancer_assigns => {
            let error = last_error.unwrap();
            assert!(error.contains("assign_user"), "{error}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn account_deletion_leaves_no_trace_of_the_user_on_any_canister() {
    let f = fixture(&[CanisterKind::Calendar, CanisterKind::Notification]);
    let calendar = f.group.member(CanisterKind::Calendar);
    let notification = f.group.member(CanisterKind::Notification);
    let (ada, bob) = (user(1), user(2));
    ok(f.register(ada, "Ada", Some(berlin())));
    ok(f.register(bob, "Bob", None));

    let cal = |who: Principal, method: &str, args: Vec<u8>| -> Vec<u8> {
        f.suite
            .env
            .update_call(calendar, who, method, args)
            .unwrap_or_else(|e| panic!("{method}: {e:?}"))
    };
    let event =
        |who: Principal, title: &str, start: u64, attendees: Option<Vec<Principal>>| -> Event {
            let mut input = EventInput::timed(title, start, start + HOUR, "Europe/Berlin");
            input.reminders_minutes = Some(vec![10]);
            input.attendees = attendees;
            let bytes = cal(who, "create_event", encode_args((input,)).unwrap());
            let (created,): (Result<Event, Error>,) = candid::decode_args(&bytes).unwrap();
            ok(created)
        };
    // Ada's own events (one soon, one in a week) and Bob's meeting that Ada accepted.
    let now = f.now();
    event(ada, "dentist", now + HOUR, None);
    event(ada, "review", now + 7 * DAY, None);
    let meeting = event(bob, "meeting", now + 2 * HOUR, Some(vec![ada]));
    let bytes = cal(
        ada,
        "rsvp",
        encode_args((meeting.id, Rsvp::Accepted)).unwrap(),
    );
    let (answered,): (Result<Event, Error>,) = candid::decode_args(&bytes).unwrap();
    ok(answered);
    // The shard's outbox delivers the reminders; two fire into Ada's inbox.
    f.suite.settle();
    f.suite.advance(Duration::from_nanos(2 * HOUR));
    let inbox = |who: Principal| -> Vec<Notification> {
        let (page,): (Result<NotificationPage, Error>,) = f
            .suite
            .query(
                notification,
                who,
                "get_notifications",
                (NotificationQuery::default(),),
            )
            .unwrap();
        ok(page).notifications
    };
    assert_eq!(inbox(ada).len(), 2, "Ada's dentist and Bob's meeting");
    assert_eq!(inbox(bob).len(), 1);

    // Delete: the account goes at once; the shard and the inbox are asked from the outbox.
    let status: DeletionStatus = ok(f.update(ada, "delete_account", ()));
    assert_eq!(f.account(ada), Err(Error::not_found("account")));
    assert_eq!(status.state, DeletionState::Deleting);
    let kinds: Vec<CanisterKind> = status.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        vec![CanisterKind::Calendar, CanisterKind::Notification]
    );
    f.suite.settle();
    let status: DeletionStatus = ok(f.query(ada, "get_deletion_status"));
    assert!(
        matches!(status.state, DeletionState::Complete { .. }),
        "{status:?}"
    );
    assert!(status
        .steps
        .iter()
        .all(|s| s.done_at_ns.is_some() && s.last_error.is_none()));
    let inbox_step = status
        .steps
        .iter()
        .find(|s| s.kind == CanisterKind::Notification)
        .unwrap();
    assert!(inbox_step.items_deleted.unwrap() >= 2);

    // No trace: the registry, the shard and the inbox know nothing of Ada; Bob is untouched.
    assert_eq!(f.shard(ada), Err(Error::not_found("account")));
    assert!(inbox(ada).is_empty());
    let (unread,): (Result<u64, Error>,) = f
        .suite
        .query(notification, ada, "unread_count", ())
        .unwrap();
    assert_eq!(unread, Ok(0));
    let list = |who: Principal| -> EventPage {
        let bytes = f
            .suite
            .env
            .query_call(
                calendar,
                who,
                "list_events",
                encode_args((ListRequest {
                    owner: None,
                    from_ns: now,
                    to_ns: now + 30 * DAY,
                    cursor: None,
                    limit: None,
                    include_declined: None,
                },))
                .unwrap(),
            )
            .unwrap();
        let (page,): (Result<EventPage, Error>,) = candid::decode_args(&bytes).unwrap();
        ok(page)
    };
    assert!(list(ada).events.is_empty(), "Ada's events are gone");
    let bobs = list(bob);
    assert_eq!(bobs.events.len(), 1);
    assert!(
        bobs.events[0].attendees.iter().all(|a| a.principal != ada),
        "Ada is no longer an attendee of Bob's meeting"
    );
    // Ada's week-later reminder never fires; Bob's inbox is his alone.
    f.suite.advance(Duration::from_nanos(8 * DAY));
    assert!(inbox(ada).is_empty());
    let (stats,): (NotificationStats,) = f
        .suite
        .query(notification, user(99), "get_notification_stats", ())
        .unwrap();
    assert_eq!(stats.users, 1, "only Bob has an inbox");
    assert_eq!(inbox(bob).len(), 1);

    // The completed deletion itself is forgotten a day later: then nothing about Ada is left.
    let export: UserDataExport = ok(f.query(ada, "export_my_data"));
    assert_eq!(export.account, None);
    f.suite.advance(Duration::from_nanos(DAY + MIN));
    assert_eq!(
        f.query::<DeletionStatus>(ada, "get_deletion_status"),
        Err(Error::not_found("account deletion"))
    );
    let export: UserDataExport = ok(f.query(ada, "export_my_data"));
    assert_eq!((export.account, export.deletion), (None, None));
    let stats = f.stats();
    assert_eq!(
        (
            stats.users,
            stats.deletions_in_progress,
            stats.outbox_pending
        ),
        (1, 0, 1),
        "Bob and his still pending shard request"
    );
    // Ada may come back as a new user.
    ok(f.register(ada, "Ada", None));
}

/// The review's finding: deletion ran in one message over every event the user takes part in,
/// and anyone can invite anyone, so enough invitations blocked it; and only users with a
/// profile could delete. Now each holder deletes a bounded batch per call, the user registry
/// asks again until it is done, and the progress shows in the deletion status.
#[test]
fn deletion_goes_in_batches_and_needs_no_profile() {
    let f = fixture(&[CanisterKind::Calendar]);
    let calendar = f.group.member(CanisterKind::Calendar);
    let (mallory, bob) = (user(1), user(2));
    // Mallory invites Bob (who never created a profile) to more events than one call deletes.
    let (configured,): (Result<(), Error>,) = f
        .suite
        .update(
            calendar,
            operator(),
            "configure",
            (CalendarConfig {
                max_events_per_user: 2_000,
                writes_per_minute: 10_000,
            },),
        )
        .unwrap();
    ok(configured);
    let invitations = MAX_DELETIONS_PER_CALL + 20;
    let now = f.now();
    for i in 0..invitations {
        let start = now + DAY + i * HOUR;
        let mut input = EventInput::timed("spam", start, start + HOUR, "UTC");
        input.attendees = Some(vec![bob]);
        let (created,): (Result<Event, Error>,) = f
            .suite
            .update(calendar, mallory, "create_event", (input,))
            .unwrap();
        ok(created);
    }

    let status: DeletionStatus = ok(f.update(bob, "delete_account", ()));
    assert_eq!(status.steps.len(), 1);
    f.suite.settle();
    let status: DeletionStatus = ok(f.query(bob, "get_deletion_status"));
    assert!(
        matches!(status.state, DeletionState::Complete { .. }),
        "{status:?}"
    );
    assert_eq!(status.steps[0].items_deleted, Some(invitations));
    let (page,): (Result<EventPage, Error>,) = f
        .suite
        .query(
            calendar,
            mallory,
            "list_events",
            (ListRequest {
                owner: None,
                from_ns: now,
                to_ns: now + 60 * DAY,
                cursor: None,
                limit: Some(10),
                include_declined: None,
            },),
        )
        .unwrap();
    assert!(ok(page).events.iter().all(|e| e.attendees.is_empty()));
}
