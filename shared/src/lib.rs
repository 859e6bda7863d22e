//! apigw-dr's library: every decision the binaries (cli, functions/*) need lives here.
//!
//! Pure parts (no I/O): [`model`], [`canonical`], [`events`] (classifying incoming events).
//! Adapters that touch AWS or the disk: [`capture`] (API Gateway reads, paced by [`pacing`]),
//! [`store`], [`catalog`], [`awsconf`]. [`point`] ties a snapshot to store and catalog: write,
//! read, verify, prune. [`pipeline`] is what the binaries call: one function per job.

pub mod awsconf;
pub mod canonical;
pub mod capture;
pub mod catalog;
pub mod check;
pub mod config;
pub mod debounce;
pub mod dns;
pub mod drill;
pub mod error;
pub mod events;
pub mod failback;
pub mod jobs;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod location;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod pacing;
pub mod pipeline;
pub mod point;
pub mod records;
pub mod region;
pub mod restore;
pub mod secret;
pub mod select;
pub mod standby;
pub mod store;
pub mod time;
pub mod translate;

pub use error::{Error, Result};
