//! The balancer's configuration rules: every value in range, checked before anything changes.

use interfaces::{Error, InputProblem};

use super::MAX_SHARDS;
use crate::model::Settings;
use crate::scale_out_guard;

pub fn in_range(field: &str, value: u64, min: u64, max: u64) -> Result<(), Error> {
    if value < min {
        return Err(Error::invalid(
            field,
            InputProblem::Malformed {
                reason: format!("must be at least {min}"),
            },
        ));
    }
    if value > max {
        return Err(Error::invalid(
            field,
            InputProblem::TooMany { max, actual: value },
        ));
    }
    Ok(())
}

pub fn validate_config(c: &Settings) -> Result<(), Error> {
    in_range("default_capacity", c.default_capacity, 1, u64::MAX / 2)?;
    in_range(
        "capacity_threshold_percent",
        c.capacity_threshold_percent as u64,
        1,
        100,
    )?;
    in_range(
        "health_check_interval_seconds",
        c.health_check_interval_seconds,
        1,
        24 * 60 * 60,
    )?;
    in_range(
        "health_check_timeout_seconds",
        c.health_check_timeout_seconds as u64,
        1,
        300,
    )?;
    in_range(
        "unhealthy_after_failures",
        c.unhealthy_after_failures as u64,
        1,
        100,
    )?;
    in_range(
        "healthy_after_successes",
        c.healthy_after_successes as u64,
        1,
        100,
    )?;
    in_range("max_shards", c.max_shards as u64, 1, MAX_SHARDS as u64)?;
    in_range(
        "max_new_shards_per_day",
        scale_out_guard::max_per_day(c) as u64,
        0,
        MAX_SHARDS as u64,
    )?;
    if scale_out_guard::min_cycles_after(c) > 1_000_000_000_000_000 {
        return Err(Error::invalid(
            "min_cycles_after_scale_out",
            InputProblem::Malformed {
                reason: "more than 1,000 T cycles".into(),
            },
        ));
    }
    if c.new_shard_cycles > 1_000_000_000_000_000 {
        return Err(Error::invalid(
            "new_shard_cycles",
            InputProblem::Malformed {
                reason: "more than 1,000 T cycles".into(),
            },
        ));
    }
    Ok(())
}
