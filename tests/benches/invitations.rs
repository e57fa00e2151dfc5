//! Benchmark (not a test): invitations across shards on the real wasm, with the balancer
//! placing 100 attendees on 4 calendar shards. Prints what it measured:
//!
//! - delivering an event with 100 attendees, then one change to it: the messages executed and
//!   inter-canister calls made by the shards and the balancer, their instructions, and the
//!   rounds until every attendee's home shard holds the organizer's revision;
//! - `list_events` instructions for a user with 1,000 own events and 10,000 invitations
//!   against a user with 1,000 own events and none, for the same answer (100 occurrences),
//!   and for a window where own events and invitations interleave.
//!
//! Run with `cargo bench -p integration_tests --bench invitations`.

use std::time::Instant;

use candid::Principal;
use integration_tests::bench_setup::thousands;
use integration_tests::{operator, user, Group, Suite};
use interfaces::calendar::{CalendarConfig, Event, EventInput, EventPage, EventPatch, ListRequest};
use interfaces::invitation::{Invitation, InvitationListRequest, InvitationPage};
use interfaces::{CanisterKind, Error};

const HOUR: u64 = 3_600_000_000_000;
/// 2027-01-04T00:00:00Z, a Monday.
const T0: u64 = 1_799_020_800_000_000_000;
const ATTENDEES: u8 = 100;

struct Bench {
    suite: Suite,
    group: Group,
    shards: Vec<Principal>,
}

/// Messages executed, instructions and calls made, summed over the shards and the balancer.
#[derive(Clone, Copy, Default)]
struct Work {
    messages: u64,
    instructions: u64,
    calls: u64,
}

impl Bench {
    fn new() -> Self {
        let suite = Suite::new();
        let mut kinds = vec![CanisterKind::UserRegistry, CanisterKind::LoadBalancer];
        kinds.extend([CanisterKind::Calendar; 4]);
        let group = suite.group(&kinds);
        let shards = group.members_of(CanisterKind::Calendar);
        suite.settle();
        // Generous quotas: the bench measures the work, not the rate limits.
        for &shard in &shards {
            let config = CalendarConfig {
                max_events_per_user: 100_000,
                writes_per_minute: 1_000_000,
            };
            let (r,): (Result<(), Error>,) = suite
                .update(shard, operator(), "configure", (config,))
                .unwrap();
            r.expect("configured");
        }
        Bench {
            suite,
            group,
            shards,
        }
    }

    fn work(&self) -> Work {
        let rt = self.suite.env.runtime().expect("the in-process runtime");
        let mut w = Work::default();
        for id in self
            .shards
            .iter()
            .chain([&self.group.member(CanisterKind::LoadBalancer)])
        {
            let (messages, instructions) = rt.canister_executions(*id);
            w.messages += messages;
            w.instructions += instructions;
            w.calls += rt.canister_calls_made(*id);
        }
        w
    }

    fn create(&self, shard: Principal, who: Principal, input: EventInput) -> Event {
        let (r,): (Result<Event, Error>,) = self
            .suite
            .update(shard, who, "create_event", (input,))
            .unwrap();
        r.expect("created")
    }

    fn invitation(&self, shard: Principal, who: Principal, event: &Event) -> Option<Invitation> {
        let (r,): (Result<InvitationPage, Error>,) = self
            .suite
            .query(
                shard,
                who,
                "list_invitations",
                (InvitationListRequest::default(),),
            )
            .unwrap();
        r.expect("listed")
            .invitations
            .into_iter()
            .find(|i| i.event_id == event.id)
    }

    /// Rounds until every attendee's home shard holds `event`'s revision.
    fn rounds_until_seen(&self, attendees: &[(Principal, Principal)], event: &Event) -> u32 {
        for round in 0..1_000 {
            let seen = attendees.iter().all(|&(who, shard)| {
                self.invitation(shard, who, event)
                    .is_some_and(|i| i.revision == event.revision)
            });
            if seen {
                return round;
            }
            self.suite.env.tick();
        }
        panic!(
            "attendees did not see revision {} in 1,000 rounds",
            event.revision
        )
    }

    /// `list_events` of `who`'s own calendar over `[from, to)`, at most 100 occurrences: the
    /// occurrences answered and the query's instructions.
    fn list(&self, shard: Principal, who: Principal, from: u64, to: u64) -> (usize, u64) {
        let req = ListRequest {
            owner: None,
            from_ns: from,
            to_ns: to,
            cursor: None,
            limit: Some(100),
            include_declined: None,
        };
        let (r,): (Result<EventPage, Error>,) =
            self.suite.query(shard, who, "list_events", (req,)).unwrap();
        let page = r.expect("listed");
        let rt = self.suite.env.runtime().expect("the in-process runtime");
        (page.occurrences.len(), rt.canister_last_instructions(shard))
    }
}

fn row(label: &str, w: Work, rounds: u32) {
    println!(
        "| {label} | {} | {} | {} | {rounds} |",
        w.messages,
        w.calls,
        thousands(w.instructions)
    );
}

fn delta(after: Work, before: Work) -> Work {
    Work {
        messages: after.messages - before.messages,
        instructions: after.instructions - before.instructions,
        calls: after.calls - before.calls,
    }
}

fn main() {
    let started = Instant::now();
    let b = Bench::new();

    // ---- delivery to 100 attendees on 4 shards ----
    let organizer = user(1);
    let home = b.suite.sign_up(&b.group, organizer);
    let attendees: Vec<(Principal, Principal)> = (0..ATTENDEES)
        .map(|n| {
            let who = user(10 + n);
            (who, b.suite.sign_up(&b.group, who))
        })
        .collect();
    let per_shard: Vec<usize> = b
        .shards
        .iter()
        .map(|s| attendees.iter().filter(|(_, h)| h == s).count())
        .collect();
    b.suite.settle();

    let mut input = EventInput::timed("all hands", T0 + 9 * HOUR, T0 + 10 * HOUR, "UTC");
    input.attendees = Some(attendees.iter().map(|(who, _)| *who).collect());
    let before = b.work();
    let event = b.create(home, organizer, input);
    let created_rounds = b.rounds_until_seen(&attendees, &event);
    let created = delta(b.work(), before);
    b.suite.settle();

    let before = b.work();
    let patch = EventPatch {
        title: Some("all hands (moved)".into()),
        ..Default::default()
    };
    let (r,): (Result<Event, Error>,) = b
        .suite
        .update(
            home,
            organizer,
            "update_event",
            (event.id, event.revision, patch),
        )
        .unwrap();
    let changed = r.expect("updated");
    let changed_rounds = b.rounds_until_seen(&attendees, &changed);
    let change = delta(b.work(), before);

    println!(
        "\ninvitations: an event with {ATTENDEES} attendees on 4 shards (attendees per shard: {per_shard:?}; \
         the organizer's shard is shard {})",
        b.shards.iter().position(|s| *s == home).unwrap() + 1
    );
    println!("(messages: replicated executions on the 4 shards and the balancer, the write itself included; calls: inter-canister calls they made)\n");
    println!(
        "| operation | messages | calls | instructions | rounds until every attendee sees it |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    row("create, delivered", created, created_rounds);
    row("one change (title), delivered", change, changed_rounds);

    // ---- list_events: 1,000 own events and 10,000 invitations against 1,000 and none ----
    let (invited, plain, inviter) = (user(200), user(201), user(202));
    let invited_home = b.suite.sign_up(&b.group, invited);
    let plain_home = b.suite.sign_up(&b.group, plain);
    let inviter_home = b.suite.sign_up(&b.group, inviter);
    for (who, shard) in [(invited, invited_home), (plain, plain_home)] {
        for k in 0..1_000u64 {
            let start = T0 + k * HOUR;
            b.create(
                shard,
                who,
                EventInput::timed("own", start, start + HOUR / 2, "UTC"),
            );
        }
    }
    // The invitations follow the own events in time: hours 1,000 to 10,999.
    for k in 0..10_000u64 {
        let start = T0 + (1_000 + k) * HOUR;
        let mut input = EventInput::timed("invited", start, start + HOUR / 2, "UTC");
        input.attendees = Some(vec![invited]);
        b.create(inviter_home, inviter, input);
        if k % 500 == 499 {
            b.suite.settle();
        }
    }
    for _ in 0..100 {
        b.suite.settle();
    }
    let (held, _) = b.list(invited_home, invited, T0 + 1_000 * HOUR, T0 + 11_000 * HOUR);
    assert_eq!(held, 100, "the invitations were delivered and are listed");

    let window = (T0, T0 + 100 * HOUR);
    let (n_plain, plain_cost) = b.list(plain_home, plain, window.0, window.1);
    let (n_invited, invited_cost) = b.list(invited_home, invited, window.0, window.1);
    let (n_mixed, mixed_cost) = b.list(invited_home, invited, T0 + 950 * HOUR, T0 + 1_050 * HOUR);
    println!("\nlist_events of one's own calendar, at most 100 occurrences per page\n");
    println!("| user | window | occurrences | instructions | ratio |");
    println!("| --- | --- | ---: | ---: | ---: |");
    println!(
        "| 1,000 own events, no invitations | hours 0-100 (own events) | {n_plain} | {} | 1.00 |",
        thousands(plain_cost)
    );
    println!(
        "| 1,000 own events, 10,000 invitations | hours 0-100 (own events) | {n_invited} | {} | {:.2} |",
        thousands(invited_cost),
        invited_cost as f64 / plain_cost as f64
    );
    println!(
        "| 1,000 own events, 10,000 invitations | hours 950-1,050 (50 own, 50 invited) | {n_mixed} | {} | {:.2} |",
        thousands(mixed_cost),
        mixed_cost as f64 / plain_cost as f64
    );
    println!("\n(bench ran in {:.0} s)", started.elapsed().as_secs_f64());
}
