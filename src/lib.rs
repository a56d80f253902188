//! alignsim: a Monte Carlo simulator of what an AI-automation project returns to a small
//! business, aligned versus misaligned with its strategy, people, data and metrics.
//!
//! The data flow is the module list: [`scenario`] reads and validates a TOML file,
//! [`engine`] simulates trials in parallel, [`aggregate`] turns them into statistics with
//! Polars, [`output`] writes the run folder.

pub mod aggregate;
pub mod betaq;
pub mod cli;
pub mod console;
pub mod convergence;
pub mod dist;
pub mod engine;
pub mod error;
pub mod interrupt;
pub mod job;
pub mod math;
pub mod output;
pub mod plot;
pub mod report;
pub mod run;
pub mod run_folder;
pub mod scenario;
pub mod scheduler;
pub mod sensitivity;
pub mod shard;
pub mod special;
pub mod stats;
pub mod stream;
pub mod sweep;
