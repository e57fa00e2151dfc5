//! Stored records: the frontend canister's own types. It stores one: the configuration
//! ([`config`]); the assets are part of the module.

pub mod config;

pub use config::StoredConfig;
