//! alignsim: a Monte Carlo simulator of what an AI-automation project returns to a small
//! business, aligned versus misaligned with its strategy, people, data and metrics.
//!
//! The data flow: [`scenario`] reads and validates a TOML file, [`job`] resolves a command's
//! settings once, [`engine`] simulates trials in parallel, [`stats`] summarises them (with
//! Polars through [`aggregate`] for exact runs, by sketch through [`stream`] for big ones),
//! [`run_folder`] and [`output`] write the results; [`compare`] sets two run folders side by side. `docs/architecture.md` is the map.

pub mod aggregate;
pub mod analysis;
pub mod betaq;
pub mod cli;
pub mod compare;
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
pub mod xlsx;
