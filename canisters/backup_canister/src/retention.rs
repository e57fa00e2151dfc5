//! Retention: which of a canister's complete snapshots to keep. The newest `keep_recent`, plus
//! the newest snapshot of each of the last `keep_daily` UTC days (today included). Everything
//! else may be deleted. Plain functions, tested natively.

use std::collections::BTreeSet;

pub const DAY_NS: u64 = 24 * 60 * 60 * 1_000_000_000;

/// `snapshots` are `(id, finished at ns)` of one canister's complete snapshots, in any order.
/// Answers the ids to keep.
pub fn keep(
    snapshots: &[(u64, u64)],
    keep_recent: u32,
    keep_daily: u32,
    now_ns: u64,
) -> BTreeSet<u64> {
    let mut newest_first: Vec<(u64, u64)> = snapshots.to_vec();
    // Ids grow with time, so the id breaks ties between snapshots finished in the same ns.
    newest_first.sort_by_key(|&(id, at)| std::cmp::Reverse((at, id)));
    let mut kept: BTreeSet<u64> = newest_first
        .iter()
        .take(keep_recent as usize)
        .map(|&(id, _)| id)
        .collect();
    let today = now_ns / DAY_NS;
    let first_day = today.saturating_sub(u64::from(keep_daily).saturating_sub(1));
    let mut days_seen = BTreeSet::new();
    if keep_daily > 0 {
        for &(id, at) in &newest_first {
            let day = at / DAY_NS;
            if day >= first_day && day <= today && days_seen.insert(day) {
                kept.insert(id);
            }
        }
    }
    kept
}

/// The ids of `snapshots` that [`keep`] does not keep.
pub fn expired(
    snapshots: &[(u64, u64)],
    keep_recent: u32,
    keep_daily: u32,
    now_ns: u64,
) -> Vec<u64> {
    let kept = keep(snapshots, keep_recent, keep_daily, now_ns);
    snapshots
        .iter()
        .map(|&(id, _)| id)
        .filter(|id| !kept.contains(id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = DAY_NS / 24;

    #[test]
    fn keeps_the_newest_n() {
        let s: Vec<(u64, u64)> = (1..=10).map(|i| (i, i * HOUR)).collect();
        let mut gone = expired(&s, 3, 0, 10 * HOUR);
        gone.sort();
        assert_eq!(gone, vec![1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn keeps_the_newest_of_each_recent_day() {
        // Four snapshots a day for five days; now is day 4 noon.
        let mut s = Vec::new();
        let mut id = 0;
        for day in 0..5u64 {
            for h in [1, 7, 13, 19] {
                id += 1;
                s.push((id, day * DAY_NS + h * HOUR));
            }
        }
        let now = 4 * DAY_NS + 20 * HOUR;
        let kept = keep(&s, 2, 3, now);
        // Recent: ids 20 and 19 (day 4 at 19h and 13h). Daily: days 2, 3, 4 -> 12, 16, 20.
        assert_eq!(kept.into_iter().collect::<Vec<_>>(), vec![12, 16, 19, 20]);
    }

    #[test]
    fn days_older_than_the_window_are_not_kept_for_being_daily() {
        let s = vec![(1, 0), (2, 10 * DAY_NS)];
        assert_eq!(expired(&s, 1, 3, 10 * DAY_NS + HOUR), vec![1]);
        // With a window that reaches day 0 it stays.
        assert!(expired(&s, 1, 11, 10 * DAY_NS + HOUR).is_empty());
    }

    #[test]
    fn nothing_kept_twice_and_nothing_lost_when_few() {
        let s = vec![(5, HOUR), (6, 2 * HOUR)];
        assert!(expired(&s, 6, 7, 3 * HOUR).is_empty());
        assert!(expired(&[], 6, 7, 0).is_empty());
    }
}
