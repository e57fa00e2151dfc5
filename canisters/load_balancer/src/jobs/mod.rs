//! The balancer's timers and awaiting flows: the health round (`health_round`, on a timer at the
//! configured interval) and the scale-out (`scale_out`, started by a round or by an assignment
//! that found every shard full). Timers do not survive an upgrade: [`arm`] runs from the
//! lifecycle path.

pub mod health_round;
pub mod scale_out;

/// Arms every timer (the health round; a scale-out cut short resumes on its first round).
pub fn arm() {
    health_round::arm();
}
