//! Data a released user registry wrote survives the upgrade to this code: a stable-memory dump
//! recorded from the release is loaded under the current code, whose `post_upgrade` migrates it
//! first (`canisters/user_registry/src/layout.rs`: layout 0, Candid records with the wire
//! types, to layout 1, the canister's own records in postcard); every account must then read
//! back as the release answered it, and the canister must go on working on that data.
//!
//! The fixture in `canisters/user_registry/fixtures/`: `release-v0.stable.gz` is the stable
//! memory of a user registry running the deployed release (main at 9e6f0f8, layout 0) after
//! [`fill`], and `release-v0.candid` what it answered ([`Recorded`]). Both come from the ignored
//! `record_release_fixture`:
//!
//! ```text
//! USER_REGISTRY_RELEASE_WASM=<the release's user_registry.wasm.gz> \
//!   cargo test -p integration_tests --test user_registry_migration -- --ignored
//! ```

use candid::{encode_args, CandidType, Deserialize, Principal};
use integration_tests::release_dump::{LoneCanister, Release};
use integration_tests::{user, wasm};
use interfaces::calendar::{Weekday, WorkingHours};
use interfaces::security::MemberInit;
use interfaces::user::{
    CalendarView, DeletionStatus, Profile, RegisterRequest, Settings, ShardAssignment, Theme,
    UserAccount, UserRegistryStats,
};
use interfaces::Error;

/// An account as the release answered it, without the shard request's retry count (the
/// outbox keeps retrying, so that moves with time on both sides).
#[derive(CandidType, Deserialize, Debug, PartialEq)]
struct AccountSeen {
    user: Principal,
    profile: Profile,
    settings: Settings,
    registered_at_ns: u64,
    updated_at_ns: u64,
    shard_pending: bool,
}

/// What the release answered after [`fill`].
#[derive(CandidType, Deserialize, Debug, PartialEq)]
struct Recorded {
    accounts: Vec<AccountSeen>,
    /// The deleted user's deletion: when it was asked for, and how many steps it has.
    deletion: (u64, u64),
    stats: UserRegistryStats,
}

const USERS: [u8; 3] = [1, 2, 3];
const DELETED: u8 = 4;

const RELEASE: Release = Release::of("user_registry");

struct Registry(LoneCanister);

impl Registry {
    fn new(module: Vec<u8>) -> Self {
        Registry(LoneCanister::install(module, no_member()))
    }

    fn call<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        update: bool,
        who: Principal,
        method: &str,
        args: impl candid::utils::ArgumentEncoder,
    ) -> R {
        self.0.call(update, who, method, args)
    }

    fn account(&self, who: Principal) -> AccountSeen {
        let a: Result<UserAccount, Error> = self.call(false, who, "get_my_account", ());
        let a = a.unwrap();
        AccountSeen {
            user: a.user,
            profile: a.profile,
            settings: a.settings,
            registered_at_ns: a.registered_at_ns,
            updated_at_ns: a.updated_at_ns,
            shard_pending: matches!(a.shard, ShardAssignment::Pending { .. }),
        }
    }

    fn record(&self) -> Recorded {
        let deletion: Result<DeletionStatus, Error> =
            self.call(false, user(DELETED), "get_deletion_status", ());
        let deletion = deletion.unwrap();
        Recorded {
            accounts: USERS.iter().map(|&n| self.account(user(n))).collect(),
            deletion: (deletion.requested_at_ns, deletion.steps.len() as u64),
            stats: self.call(false, user(1), "get_user_registry_stats", ()),
        }
    }
}

fn no_member() -> Vec<u8> {
    encode_args((None::<MemberInit>,)).unwrap()
}

fn profile(name: &str) -> Profile {
    Profile {
        display_name: name.into(),
        avatar_color: Some("#3366ff".into()),
        email: Some(format!("{}@example.org", name.to_lowercase())),
    }
}

/// Ada's profile after the upgrade.
fn renamed() -> Profile {
    Profile {
        display_name: "Ada Lovelace".into(),
        ..profile("Ada")
    }
}

/// Settings that differ from the default in every field.
fn berlin() -> Settings {
    Settings {
        time_zone: "Europe/Berlin".into(),
        week_start: Weekday::Sunday,
        working_hours: vec![
            WorkingHours {
                weekday: Weekday::Tuesday,
                start_minute: 8 * 60,
                end_minute: 12 * 60,
            },
            WorkingHours {
                weekday: Weekday::Saturday,
                start_minute: 10 * 60,
                end_minute: 14 * 60,
            },
        ],
        default_reminders_minutes: vec![5, 60],
        default_view: CalendarView::Agenda,
        theme: Theme::Dark,
    }
}

/// Accounts with profiles, custom and default settings, changed profiles and settings, and one
/// account being deleted.
fn fill(r: &Registry) {
    let register = |n: u8, name: &str, settings: Option<Settings>| {
        let request = RegisterRequest {
            profile: profile(name),
            settings,
        };
        let a: Result<UserAccount, Error> = r.call(true, user(n), "register", (request,));
        a.unwrap();
    };
    register(1, "Ada", Some(berlin()));
    register(2, "Bo", None);
    register(3, "Cy", None);
    register(DELETED, "Di", None);
    let a: Result<UserAccount, Error> = r.call(
        true,
        user(2),
        "update_profile",
        (Profile {
            display_name: "Bo B.".into(),
            avatar_color: None,
            email: None,
        },),
    );
    a.unwrap();
    let a: Result<UserAccount, Error> = r.call(
        true,
        user(3),
        "update_settings",
        (Settings {
            theme: Theme::Light,
            default_view: CalendarView::Month,
            ..berlin()
        },),
    );
    a.unwrap();
    let d: Result<DeletionStatus, Error> = r.call(true, user(DELETED), "delete_account", ());
    d.unwrap();
}

#[test]
#[ignore = "records the fixture from a release's wasm (see the module header)"]
fn record_release_fixture() {
    let r = Registry::new(RELEASE.wasm());
    fill(&r);
    let recorded = r.record();
    RELEASE.record(&r.0, &recorded);
}

#[test]
fn data_written_by_the_release_survives_the_upgrade_and_keeps_working() {
    let recorded: Recorded = RELEASE.answered();
    // A registry of this code, given the release's memory, then upgraded: post_upgrade migrates.
    let r = Registry::new(wasm("user_registry"));
    RELEASE.upgrade(&r.0, None, no_member());
    assert_eq!(
        r.record(),
        recorded,
        "every account, the deletion and the counters read back as the release wrote them"
    );

    // The migrated records keep working: a change is stored and read back, a new account joins.
    let a: Result<UserAccount, Error> = r.call(true, user(1), "update_profile", (renamed(),));
    assert_eq!(
        a.unwrap().settings,
        berlin(),
        "the settings came through the migration"
    );
    assert_eq!(r.account(user(1)).profile, renamed());
    let request = RegisterRequest {
        profile: profile("Ed"),
        settings: None,
    };
    let a: Result<UserAccount, Error> = r.call(true, user(5), "register", (request,));
    a.unwrap();
    let stats: UserRegistryStats = r.call(false, user(1), "get_user_registry_stats", ());
    assert_eq!(stats.users, recorded.stats.users + 1);

    // Upgrading again finds the current layout and changes nothing.
    r.0.upgrade_again("user_registry", no_member());
    assert_eq!(r.account(user(1)).profile, renamed());
}
