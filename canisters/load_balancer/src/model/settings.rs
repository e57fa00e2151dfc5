//! The balancer's own configuration, strategy, shard health and owed-call records, as stored in
//! its state cell and shard map (Candid). Each has the Candid shape of the wire type it replaced
//! in the stored records (`BalancerConfig`, `Strategy`, `ShardHealth`, `FollowUp`: same field
//! and case names), so what layout 1 stored with the wire types reads as it is; the
//! conversions below are the boundary to `interfaces::load_balancer`.

use candid::{CandidType, Deserialize};
use interfaces::load_balancer as wire;
use interfaces::load_balancer::{ShardHealth as WireHealth, Strategy as WireStrategy};

/// How the balancer places a user it has not seen before (the rules are in `strategy.rs`).
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    RoundRobin,
    LeastConnections,
    WeightedRandom,
    ResponseTime,
}

/// The balancer's settings; `balancer/config.rs` says which values are valid.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub strategy: Strategy,
    pub default_capacity: u64,
    pub capacity_threshold_percent: u8,
    pub health_check_interval_seconds: u64,
    pub health_check_timeout_seconds: u32,
    pub unhealthy_after_failures: u32,
    pub healthy_after_successes: u32,
    pub scale_out_enabled: bool,
    pub new_shard_cycles: u128,
    pub max_shards: u32,
    pub max_new_shards_per_day: Option<u32>,
    pub min_cycles_after_scale_out: Option<u128>,
}

#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardHealth {
    Healthy,
    Unhealthy,
}

/// A call the balancer owes (an emergency backup, an operator alert) until it is answered.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum FollowUp {
    Pending {
        attempts: u32,
        last_error: Option<String>,
    },
    Done {
        id: u64,
        at_ns: u64,
    },
}

canister_kit::same_variants!(WireStrategy <-> Strategy:
    RoundRobin, LeastConnections, WeightedRandom, ResponseTime);
canister_kit::same_variants!(WireHealth <-> ShardHealth: Healthy, Unhealthy);

impl From<FollowUp> for wire::FollowUp {
    fn from(f: FollowUp) -> Self {
        match f {
            FollowUp::Pending {
                attempts,
                last_error,
            } => wire::FollowUp::Pending {
                attempts,
                last_error,
            },
            FollowUp::Done { id, at_ns } => wire::FollowUp::Done { id, at_ns },
        }
    }
}

impl From<Settings> for wire::BalancerConfig {
    fn from(s: Settings) -> Self {
        wire::BalancerConfig {
            strategy: s.strategy.into(),
            default_capacity: s.default_capacity,
            capacity_threshold_percent: s.capacity_threshold_percent,
            health_check_interval_seconds: s.health_check_interval_seconds,
            health_check_timeout_seconds: s.health_check_timeout_seconds,
            unhealthy_after_failures: s.unhealthy_after_failures,
            healthy_after_successes: s.healthy_after_successes,
            scale_out_enabled: s.scale_out_enabled,
            new_shard_cycles: s.new_shard_cycles,
            max_shards: s.max_shards,
            max_new_shards_per_day: s.max_new_shards_per_day,
            min_cycles_after_scale_out: s.min_cycles_after_scale_out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{decode_one, encode_one};

    /// Encodes `old` (the wire value layout 1 stored), decodes it as the own type, checks it
    /// is `expected` and encodes back to the same bytes.
    fn reads_as<W: CandidType, O>(old: W, expected: O)
    where
        O: CandidType + for<'a> Deserialize<'a> + PartialEq + std::fmt::Debug,
    {
        let bytes = encode_one(&old).unwrap();
        let own: O = decode_one(&bytes).unwrap();
        assert_eq!(own, expected);
        assert_eq!(encode_one(&own).unwrap(), bytes, "the same bytes back");
    }

    #[test]
    fn what_the_wire_types_stored_reads_as_the_own_types() {
        let settings = Settings {
            strategy: Strategy::WeightedRandom,
            default_capacity: 10,
            capacity_threshold_percent: 80,
            health_check_interval_seconds: 30,
            health_check_timeout_seconds: 10,
            unhealthy_after_failures: 3,
            healthy_after_successes: 2,
            scale_out_enabled: true,
            new_shard_cycles: 2_000_000_000_000,
            max_shards: 16,
            max_new_shards_per_day: Some(1),
            min_cycles_after_scale_out: None,
        };
        reads_as(wire::BalancerConfig::from(settings.clone()), settings);
        for s in [
            Strategy::RoundRobin,
            Strategy::LeastConnections,
            Strategy::WeightedRandom,
            Strategy::ResponseTime,
        ] {
            reads_as(wire::Strategy::from(s), s);
            assert_eq!(Strategy::from(wire::Strategy::from(s)), s);
        }
        for h in [ShardHealth::Healthy, ShardHealth::Unhealthy] {
            reads_as(wire::ShardHealth::from(h), h);
            assert_eq!(ShardHealth::from(wire::ShardHealth::from(h)), h);
        }
        for f in [
            FollowUp::Pending {
                attempts: 2,
                last_error: Some("down".into()),
            },
            FollowUp::Done { id: 4, at_ns: 9 },
        ] {
            reads_as(wire::FollowUp::from(f.clone()), f);
        }
    }
}
