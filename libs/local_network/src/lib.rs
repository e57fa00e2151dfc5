//! Runs the calendar suite on this machine without dfx. [`deploy`] is the suite's deployment
//! plan against the in-process runtime; the `local-network` binary drives it.

pub mod deploy;
