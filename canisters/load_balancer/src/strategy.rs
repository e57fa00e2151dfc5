//! Placement strategies: which of the available shards a new user goes to.
//!
//! Pure functions over a candidate list in the group's order; the caller filters out shards that
//! may not take users (unhealthy, retired, left the group) before asking. Randomness comes from
//! [`Rng`], whose state the balancer keeps in stable memory and reseeds from `raw_rand`.

use crate::model::Strategy;
use candid::Principal;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub shard: Principal,
    pub users: u64,
    /// The shard's capacity: its weight for weighted random.
    pub capacity: u64,
    /// Moving average of health-check latency; `None` before the first check.
    pub latency_avg_ns: Option<u64>,
}

/// SplitMix64: a small generator with a full 2^64 period whose state fits in one `u64`, so it
/// lives in the stable state cell. Not for secrets; only to spread users over shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Folds fresh entropy (from `raw_rand`) into the state.
    pub fn mix(&mut self, entropy: &[u8]) {
        for chunk in entropy.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
            self.next_u64();
        }
    }

    /// Uniform in `0..bound` (`bound > 0`), without modulo bias.
    pub fn below(&mut self, bound: u128) -> u128 {
        debug_assert!(bound > 0);
        let wide = ((self.next_u64() as u128) << 64) | self.next_u64() as u128;
        let zone = u128::MAX - (u128::MAX % bound);
        if wide < zone {
            wide % bound
        } else {
            self.below(bound)
        }
    }
}

/// Picks a shard for a new user, or `None` when there is no candidate. `cursor` is the round
/// robin position (advanced only by round robin); `rng` is used only by weighted random.
pub fn choose(
    strategy: Strategy,
    candidates: &[Candidate],
    cursor: &mut u64,
    rng: &mut Rng,
) -> Option<Principal> {
    if candidates.is_empty() {
        return None;
    }
    let picked = match strategy {
        Strategy::RoundRobin => {
            // Modulo the current length: a list that shrank or grew never indexes out of range.
            let at = (*cursor % candidates.len() as u64) as usize;
            *cursor = cursor.wrapping_add(1);
            &candidates[at]
        }
        Strategy::LeastConnections => candidates
            .iter()
            .min_by_key(|c| c.users)
            .expect("not empty"),
        Strategy::WeightedRandom => {
            let total: u128 = candidates.iter().map(|c| c.capacity.max(1) as u128).sum();
            let mut point = rng.below(total);
            candidates
                .iter()
                .find(|c| {
                    let weight = c.capacity.max(1) as u128;
                    if point < weight {
                        true
                    } else {
                        point -= weight;
                        false
                    }
                })
                .expect("the point is below the total weight")
        }
        // An unchecked shard counts as fast so that a new shard gets tried; ties go to the
        // shard with fewer users.
        Strategy::ResponseTime => candidates
            .iter()
            .min_by_key(|c| (c.latency_avg_ns.unwrap_or(0), c.users))
            .expect("not empty"),
    };
    Some(picked.shard)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(n: u8) -> Principal {
        Principal::from_slice(&[n; 10])
    }

    fn cand(n: u8, users: u64, capacity: u64, latency: Option<u64>) -> Candidate {
        Candidate {
            shard: shard(n),
            users,
            capacity,
            latency_avg_ns: latency,
        }
    }

    #[test]
    fn round_robin_cycles_and_survives_a_shrinking_list() {
        let mut cursor = 0;
        let mut rng = Rng(1);
        let three = [
            cand(1, 0, 10, None),
            cand(2, 0, 10, None),
            cand(3, 0, 10, None),
        ];
        let picks: Vec<_> = (0..6)
            .map(|_| choose(Strategy::RoundRobin, &three, &mut cursor, &mut rng).unwrap())
            .collect();
        assert_eq!(
            picks,
            vec![shard(1), shard(2), shard(3), shard(1), shard(2), shard(3)]
        );
        // The original trapped here: the cursor is past the end of the shorter list.
        cursor = 2;
        let one = [cand(2, 0, 10, None)];
        assert_eq!(
            choose(Strategy::RoundRobin, &one, &mut cursor, &mut rng),
            Some(shard(2))
        );
        assert_eq!(
            choose(Strategy::RoundRobin, &[], &mut cursor, &mut rng),
            None
        );
    }

    #[test]
    fn least_connections_takes_the_emptiest_and_the_first_on_ties() {
        let (mut cursor, mut rng) = (0, Rng(1));
        let list = [
            cand(1, 5, 10, None),
            cand(2, 3, 10, None),
            cand(3, 3, 10, None),
        ];
        assert_eq!(
            choose(Strategy::LeastConnections, &list, &mut cursor, &mut rng),
            Some(shard(2))
        );
        assert_eq!(cursor, 0, "only round robin moves the cursor");
    }

    #[test]
    fn weighted_random_follows_the_capacity_weights() {
        let (mut cursor, mut rng) = (0, Rng(42));
        let list = [
            cand(1, 0, 1, None),
            cand(2, 0, 3, None),
            cand(3, 0, 6, None),
        ];
        let mut counts = [0u32; 3];
        for _ in 0..10_000 {
            let pick = choose(Strategy::WeightedRandom, &list, &mut cursor, &mut rng).unwrap();
            counts[list.iter().position(|c| c.shard == pick).unwrap()] += 1;
        }
        // Expected 1,000 / 3,000 / 6,000; allow 10 % either way.
        for (count, expected) in counts.iter().zip([1_000.0, 3_000.0, 6_000.0]) {
            let ratio = *count as f64 / expected;
            assert!((0.9..1.1).contains(&ratio), "{counts:?}");
        }
    }

    #[test]
    fn different_seeds_give_different_sequences() {
        let (mut a, mut b) = (Rng(0), Rng(0));
        b.mix(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let xs: Vec<_> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<_> = (0..4).map(|_| b.next_u64()).collect();
        assert_ne!(xs, ys);
        for bound in [1u128, 2, 3, 7, 1000] {
            assert!(b.below(bound) < bound);
        }
    }

    #[test]
    fn response_time_prefers_the_fastest_and_tries_unchecked_shards() {
        let (mut cursor, mut rng) = (0, Rng(1));
        let list = [
            cand(1, 0, 10, Some(900)),
            cand(2, 9, 10, Some(100)),
            cand(3, 0, 10, Some(500)),
        ];
        assert_eq!(
            choose(Strategy::ResponseTime, &list, &mut cursor, &mut rng),
            Some(shard(2))
        );
        let with_new = [cand(1, 0, 10, Some(900)), cand(4, 0, 10, None)];
        assert_eq!(
            choose(Strategy::ResponseTime, &with_new, &mut cursor, &mut rng),
            Some(shard(4))
        );
    }
}
