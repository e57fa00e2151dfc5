use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use ic_stable_structures::VectorMemory;

use super::*;

/// Polls a future that never waits (the tests' calls answer at once) to its end.
fn run_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the test future waited"),
    }
}

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

#[test]
fn the_delay_doubles_per_failure_up_to_the_cap() {
    let b = Backoff {
        base_ns: 10,
        max_ns: 100,
    };
    let delays: Vec<u64> = (1..=6).map(|n| b.delay_ns(n)).collect();
    assert_eq!(delays, [10, 20, 40, 80, 100, 100]);
    assert_eq!(b.delay_ns(0), 10, "no failure yet waits the base");
    assert_eq!(b.delay_ns(u32::MAX), 100);
    assert_eq!(b.next_attempt_ns(u64::MAX - 5, 3), u64::MAX, "never wraps");
}

#[test]
fn the_due_index_answers_what_is_due_earliest_first() {
    let mut index = DueIndex::init(VectorMemory::default());
    index.schedule(1, 300);
    index.schedule(2, 100);
    index.schedule(3, 200);
    assert_eq!(index.due(250, 10), [2, 3]);
    assert_eq!(index.due(250, 1), [2]);
    index.reschedule(2, 100, 1_000);
    assert_eq!(index.due(300, 10), [3, 1]);
    index.unschedule(3, 200);
    assert_eq!(index.due(u64::MAX, 10), [1, 2]);
    assert_eq!(index.len(), 2);
}

/// A queue of numbered items; each run takes the front.
fn drain_queue(
    queue: &RefCell<Vec<u32>>,
    limits: RunLimits,
    stop_at: Option<u32>,
) -> (Vec<u32>, bool) {
    let seen = RefCell::new(vec![]);
    let later = Cell::new(false);
    run_ready(drain(
        &RUNNING,
        limits,
        |n| queue.borrow().iter().take(n).copied().collect(),
        |item| {
            queue.borrow_mut().retain(|&i| i != item);
            seen.borrow_mut().push(item);
            async move {
                if Some(item) == stop_at {
                    Next::Stop
                } else {
                    Next::Continue
                }
            }
        },
        || later.set(true),
    ));
    (seen.into_inner(), later.get())
}

#[test]
fn a_run_takes_batches_until_nothing_is_due() {
    let queue = RefCell::new((1..=7).collect());
    let limits = RunLimits {
        batch: 3,
        max_per_run: 100,
    };
    assert_eq!(
        drain_queue(&queue, limits, None),
        ((1..=7).collect(), false)
    );
}

#[test]
fn a_run_hands_the_rest_to_a_new_message_past_its_budget() {
    let queue = RefCell::new((1..=7).collect());
    let limits = RunLimits {
        batch: 3,
        max_per_run: 5,
    };
    assert_eq!(drain_queue(&queue, limits, None), ((1..=5).collect(), true));
    assert_eq!(*queue.borrow(), [6, 7]);
}

#[test]
fn a_run_stops_when_told_and_a_second_run_waits_for_the_first() {
    let queue = RefCell::new((1..=7).collect());
    let limits = RunLimits {
        batch: 3,
        max_per_run: 100,
    };
    assert_eq!(drain_queue(&queue, limits, Some(2)), (vec![1, 2], false));
    let _first = single_flight::begin(&RUNNING).unwrap();
    assert_eq!(drain_queue(&queue, limits, None), (vec![], false));
    assert_eq!(queue.borrow().len(), 5);
}
