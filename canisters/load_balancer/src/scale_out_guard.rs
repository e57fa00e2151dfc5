//! The brakes on scale-out: at most `max_new_shards_per_day` shards created in any 24 hours,
//! and never one that would leave the balancer below `min_cycles_after_scale_out` cycles. A
//! refused scale-out raises an operator alert (once per reason per day) through the
//! notification canister, so a wave of sign-ups that fills every shard costs an alert, not the
//! balancer's cycles.
//!
//! The rules are plain functions over [`GuardState`] (stored inside the balancer's state cell),
//! unit-tested natively; the one async part, raising the alert, is in `jobs/scale_out.rs`.

use ic_stable_structures::Memory;

use crate::balancer::Balancer;
use crate::model::{FollowUp, Settings};
pub use crate::model::{GuardState, Refusal};

pub const DEFAULT_MAX_NEW_SHARDS_PER_DAY: u32 = 1;
pub const DEFAULT_MIN_CYCLES_AFTER_SCALE_OUT: u128 = 5_000_000_000_000;
/// What creating a canister costs on top of the cycles it is given: the IC charges 0.5 T on a
/// 34-node subnet; twice that leaves room for larger subnets and fee changes.
pub const CREATION_FEE_ALLOWANCE: u128 = 1_000_000_000_000;
const DAY_NS: u64 = 24 * 60 * 60 * 1_000_000_000;

pub fn max_per_day(c: &Settings) -> u32 {
    c.max_new_shards_per_day
        .unwrap_or(DEFAULT_MAX_NEW_SHARDS_PER_DAY)
}

pub fn min_cycles_after(c: &Settings) -> u128 {
    c.min_cycles_after_scale_out
        .unwrap_or(DEFAULT_MIN_CYCLES_AFTER_SCALE_OUT)
}

fn recent(state: &GuardState, now_ns: u64) -> impl Iterator<Item = &u64> {
    state
        .created_at_ns
        .iter()
        .filter(move |&&t| now_ns.saturating_sub(t) < DAY_NS)
}

pub fn created_last_day(state: &GuardState, now_ns: u64) -> u32 {
    recent(state, now_ns).count() as u32
}

/// Whether a new shard may be created now, given the balancer's cycle balance.
pub fn admit(c: &Settings, state: &GuardState, now_ns: u64, balance: u128) -> Result<(), Refusal> {
    let max = max_per_day(c);
    if created_last_day(state, now_ns) >= max {
        return Err(Refusal::DailyCap { max });
    }
    let needed = c
        .new_shard_cycles
        .saturating_add(CREATION_FEE_ALLOWANCE)
        .saturating_add(min_cycles_after(c));
    if balance < needed {
        return Err(Refusal::CyclesFloor { balance, needed });
    }
    Ok(())
}

/// Records a refusal; answers it when an alert for it is due (none answered today for it).
pub fn refused(state: &mut GuardState, refusal: Refusal, now_ns: u64) -> Option<Refusal> {
    let due = state.alerted != Some((refusal.kind(), now_ns / DAY_NS));
    state.last_refusal = Some(refusal.clone());
    if due {
        let attempts = match &state.alert {
            Some(FollowUp::Pending { attempts, .. }) => *attempts,
            _ => 0,
        };
        state.alert = Some(FollowUp::Pending {
            attempts,
            last_error: None,
        });
        Some(refusal)
    } else {
        None
    }
}

/// Records the answer to the alert call for `refusal`.
pub fn alert_answered(
    state: &mut GuardState,
    refusal: &Refusal,
    result: Result<u64, String>,
    now_ns: u64,
) {
    state.alert = Some(match result {
        Ok(id) => {
            state.alerted = Some((refusal.kind(), now_ns / DAY_NS));
            FollowUp::Done { id, at_ns: now_ns }
        }
        Err(error) => {
            let attempts = match &state.alert {
                Some(FollowUp::Pending { attempts, .. }) => attempts.saturating_add(1),
                _ => 1,
            };
            FollowUp::Pending {
                attempts,
                last_error: Some(error),
            }
        }
    });
}

/// A shard was created (its cycles are spent): it counts against today's cap.
pub fn created(state: &mut GuardState, now_ns: u64, max_per_day: u32) {
    state
        .created_at_ns
        .retain(|&t| now_ns.saturating_sub(t) < DAY_NS);
    state.created_at_ns.push(now_ns);
    // Only the newest `max_per_day` entries can ever refuse a creation.
    let keep = (max_per_day as usize).max(1);
    if state.created_at_ns.len() > keep {
        let drop = state.created_at_ns.len() - keep;
        state.created_at_ns.drain(..drop);
    }
}

impl<M: Memory> Balancer<M> {
    pub fn with_guard<R>(&mut self, f: impl FnOnce(&mut GuardState) -> R) -> R {
        self.update_stored(|s| f(s.scale_out_guard.get_or_insert_with(GuardState::default)))
    }

    /// Step 0 of a scale-out, before the reservation: may a shard be created now? A refusal is
    /// recorded (and shown as the scale-out's last error, which also stops sign-ups from
    /// kicking new attempts until the next health round); `Err(Some(_))` when an alert is due.
    pub fn admit_scale_out(&mut self, now_ns: u64, balance: u128) -> Result<(), Option<Refusal>> {
        let guard = self.stored().scale_out_guard.clone().unwrap_or_default();
        let refusal = match admit(self.config(), &guard, now_ns, balance) {
            Ok(()) => return Ok(()),
            Err(refusal) => refusal,
        };
        let reason = refusal.describe();
        self.update_stored(|s| s.last_spawn_error = Some(reason));
        Err(self.with_guard(|g| refused(g, refusal, now_ns)))
    }

    /// The new shard's canister exists: its cycles are spent.
    pub fn shard_created(&mut self, now_ns: u64) {
        let max = max_per_day(self.config());
        self.with_guard(|g| created(g, now_ns, max));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balancer::default_config;

    const T: u128 = 1_000_000_000_000;

    #[test]
    fn one_shard_a_day_by_default_then_refused_until_a_day_passed() {
        let c = default_config();
        let mut g = GuardState::default();
        assert_eq!(admit(&c, &g, 10, 100 * T), Ok(()));
        created(&mut g, 10, max_per_day(&c));
        assert_eq!(
            admit(&c, &g, 20, 100 * T),
            Err(Refusal::DailyCap { max: 1 })
        );
        assert_eq!(admit(&c, &g, 10 + DAY_NS, 100 * T), Ok(()));
    }

    #[test]
    fn the_cycles_floor_counts_the_shard_the_fee_and_the_reserve() {
        let c = default_config();
        let g = GuardState::default();
        let needed =
            c.new_shard_cycles + CREATION_FEE_ALLOWANCE + DEFAULT_MIN_CYCLES_AFTER_SCALE_OUT;
        assert_eq!(admit(&c, &g, 0, needed), Ok(()));
        assert_eq!(
            admit(&c, &g, 0, needed - 1),
            Err(Refusal::CyclesFloor {
                balance: needed - 1,
                needed
            })
        );
    }

    #[test]
    fn one_alert_per_reason_per_day_and_a_failed_alert_is_retried() {
        let mut g = GuardState::default();
        let r = Refusal::DailyCap { max: 1 };
        assert_eq!(refused(&mut g, r.clone(), 5), Some(r.clone()));
        alert_answered(&mut g, &r, Err("down".into()), 5);
        assert_eq!(refused(&mut g, r.clone(), 6), Some(r.clone()), "retried");
        alert_answered(&mut g, &r, Ok(7), 6);
        assert_eq!(refused(&mut g, r.clone(), 8), None, "answered today");
        let floor = Refusal::CyclesFloor {
            balance: 1,
            needed: 2,
        };
        assert!(refused(&mut g, floor, 9).is_some(), "another reason alerts");
        assert_eq!(refused(&mut g, r.clone(), DAY_NS + 1), Some(r), "next day");
    }

    #[test]
    fn the_creation_log_stays_bounded() {
        let mut g = GuardState::default();
        for t in 0..100 {
            created(&mut g, t, 3);
        }
        assert_eq!(g.created_at_ns, vec![97, 98, 99]);
    }
}
