//! The health rules for one shard: K failed checks in a row make it unhealthy, M successful
//! ones in a row bring it back, and latency is a moving average in which a failed check counts
//! as the full timeout. Only the balancer's own checks come here; nothing a caller says does.

use crate::model::{FollowUp, ShardHealth, ShardRecord};

/// What one health check observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    Answered { latency_ns: u64 },
    Failed { error: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// K
    pub unhealthy_after_failures: u32,
    /// M
    pub healthy_after_successes: u32,
    pub timeout_ns: u64,
}

/// A change of health the caller must act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Unchanged,
    /// Request an emergency backup and raise an alert (both are now owed as follow-ups).
    BecameUnhealthy,
    BecameHealthy,
}

/// Weight of the newest sample in the moving average: 1/4.
const SMOOTHING_SHIFT: u32 = 2;

fn smooth(avg: Option<u64>, sample: u64) -> u64 {
    match avg {
        None => sample,
        Some(avg) => {
            let n = 1u128 << SMOOTHING_SHIFT;
            ((avg as u128 * (n - 1) + sample as u128) / n) as u64
        }
    }
}

pub fn apply(
    record: &mut ShardRecord,
    outcome: CheckOutcome,
    rules: Rules,
    now_ns: u64,
) -> Transition {
    record.checks += 1;
    record.last_check_ns = Some(now_ns);
    let sample = match &outcome {
        CheckOutcome::Answered { latency_ns } => *latency_ns,
        CheckOutcome::Failed { .. } => rules.timeout_ns,
    };
    record.last_latency_ns = Some(sample);
    record.latency_avg_ns = Some(smooth(record.latency_avg_ns, sample));
    match outcome {
        CheckOutcome::Answered { .. } => {
            record.consecutive_failures = 0;
            record.consecutive_successes = record.consecutive_successes.saturating_add(1);
            record.last_error = None;
            if record.health == ShardHealth::Unhealthy
                && record.consecutive_successes >= rules.healthy_after_successes
            {
                record.health = ShardHealth::Healthy;
                // Owed calls that have not gone out yet are moot now; answered ones stay on
                // record.
                for owed in [&mut record.emergency_backup, &mut record.alert] {
                    if matches!(owed, Some(FollowUp::Pending { .. })) {
                        *owed = None;
                    }
                }
                return Transition::BecameHealthy;
            }
        }
        CheckOutcome::Failed { error } => {
            record.failures += 1;
            record.consecutive_successes = 0;
            record.consecutive_failures = record.consecutive_failures.saturating_add(1);
            record.last_error = Some(error);
            if record.health == ShardHealth::Healthy
                && record.consecutive_failures >= rules.unhealthy_after_failures
            {
                record.health = ShardHealth::Unhealthy;
                let owed = Some(FollowUp::Pending {
                    attempts: 0,
                    last_error: None,
                });
                record.emergency_backup = owed.clone();
                record.alert = owed;
                return Transition::BecameUnhealthy;
            }
        }
    }
    Transition::Unchanged
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules {
        unhealthy_after_failures: 3,
        healthy_after_successes: 2,
        timeout_ns: 1_000,
    };

    fn fail() -> CheckOutcome {
        CheckOutcome::Failed {
            error: "stopped".into(),
        }
    }

    fn ok(latency_ns: u64) -> CheckOutcome {
        CheckOutcome::Answered { latency_ns }
    }

    #[test]
    fn k_failures_in_a_row_make_a_shard_unhealthy_and_owe_a_backup_and_an_alert() {
        let mut r = ShardRecord::new(false);
        assert_eq!(apply(&mut r, fail(), RULES, 1), Transition::Unchanged);
        assert_eq!(apply(&mut r, fail(), RULES, 2), Transition::Unchanged);
        // A success in between starts the count again.
        assert_eq!(apply(&mut r, ok(10), RULES, 3), Transition::Unchanged);
        assert_eq!(apply(&mut r, fail(), RULES, 4), Transition::Unchanged);
        assert_eq!(apply(&mut r, fail(), RULES, 5), Transition::Unchanged);
        assert_eq!(r.health, ShardHealth::Healthy);
        assert_eq!(apply(&mut r, fail(), RULES, 6), Transition::BecameUnhealthy);
        assert_eq!(r.health, ShardHealth::Unhealthy);
        assert!(matches!(r.emergency_backup, Some(FollowUp::Pending { .. })));
        assert!(matches!(r.alert, Some(FollowUp::Pending { .. })));
        // Further failures do not transition (or owe) again.
        assert_eq!(apply(&mut r, fail(), RULES, 7), Transition::Unchanged);
        assert_eq!((r.checks, r.failures), (7, 6));
        assert_eq!(r.last_error.as_deref(), Some("stopped"));
    }

    #[test]
    fn m_successes_in_a_row_bring_it_back() {
        let mut r = ShardRecord::new(false);
        for t in 0..3 {
            apply(&mut r, fail(), RULES, t);
        }
        r.alert = Some(FollowUp::Done { id: 4, at_ns: 3 });
        assert_eq!(apply(&mut r, ok(5), RULES, 10), Transition::Unchanged);
        assert_eq!(apply(&mut r, fail(), RULES, 11), Transition::Unchanged);
        assert_eq!(apply(&mut r, ok(5), RULES, 12), Transition::Unchanged);
        assert_eq!(r.health, ShardHealth::Unhealthy);
        assert_eq!(apply(&mut r, ok(5), RULES, 13), Transition::BecameHealthy);
        assert_eq!(r.health, ShardHealth::Healthy);
        assert_eq!(
            r.emergency_backup, None,
            "a backup not yet taken is dropped"
        );
        assert_eq!(r.alert, Some(FollowUp::Done { id: 4, at_ns: 3 }));
        assert_eq!(r.last_error, None);
    }

    #[test]
    fn latency_is_a_moving_average_and_failures_count_as_the_timeout() {
        let mut r = ShardRecord::new(false);
        apply(&mut r, ok(400), RULES, 1);
        assert_eq!(r.latency_avg_ns, Some(400));
        apply(&mut r, ok(0), RULES, 2);
        assert_eq!(r.latency_avg_ns, Some(300));
        apply(&mut r, fail(), RULES, 3);
        assert_eq!(r.latency_avg_ns, Some(475));
        assert_eq!(r.last_latency_ns, Some(1_000));
    }
}
