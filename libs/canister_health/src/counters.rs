//! Request and error counters, kept apart from the system calls so they can be unit-tested.

/// Counts update calls since the code started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub started_at_ns: u64,
    pub requests: u64,
    pub errors: u64,
}

impl Counters {
    pub fn new(started_at_ns: u64) -> Self {
        Counters {
            started_at_ns,
            ..Default::default()
        }
    }

    pub fn record(&mut self, ok: bool) {
        self.requests = self.requests.saturating_add(1);
        if !ok {
            self.errors = self.errors.saturating_add(1);
        }
    }

    /// Time since start; zero if the clock reads earlier than the start (it never should).
    pub fn uptime_ns(&self, now_ns: u64) -> u64 {
        now_ns.saturating_sub(self.started_at_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_and_errors() {
        let mut c = Counters::new(100);
        c.record(true);
        c.record(false);
        c.record(true);
        assert_eq!((c.requests, c.errors), (3, 1));
    }

    #[test]
    fn uptime_is_time_since_start_and_never_negative() {
        let c = Counters::new(1_000);
        assert_eq!(c.uptime_ns(1_500), 500);
        assert_eq!(c.uptime_ns(900), 0);
    }
}
