//! The one statistics core. Every command that reports on simulated trials (a run, a
//! merge of shards, every point of a sweep) summarises them here, into the one
//! [`ArmSummary`] / [`PairSummary`] of MODEL.md section 6.
//!
//! A summary has two parts:
//!
//! - [`tally`]: exact counts (shares, payback months, wins of one arm over another), kept
//!   the same way whatever else is kept, and mergeable across shards;
//! - the figures whose definition needs the values themselves (means, standard deviations,
//!   percentiles, CVaR), from one of two backends behind one shape, [`Figures`]:
//!   [`exact`] computes them with Polars from every trial's value (linear interpolation
//!   between order statistics, numpy's default), [`sketched`] from mergeable [`Moments`]
//!   and [`Sketch`]es whose bucket width bounds the error, in memory that does not grow
//!   with the trials.
//!
//! [`slices`] keeps, for a Latin hypercube run, the moments of each slice of the trials,
//! whose spread gives its standard errors.
//!
//! [`targets`] reads the targets a client cares about (`roi >= 0.5`), whose shares the
//! tally counts.
//!
//! [`summary`] joins the two into the serialisable types the outputs write, and
//! [`decision`] reads from them what the run recommends.

pub mod decision;
pub mod exact;
pub mod moments;
pub mod sketch;
pub mod sketched;
pub mod slices;
pub mod summary;
pub mod tally;
pub mod targets;

pub use moments::Moments;
pub use sketch::Sketch;
pub use summary::{
    ArmSummary, Channels, Choice, Decision, Figures, Interval, KpiInfo, MODEL_VERSION, PairFigures,
    PairSummary, Precision, Quantiles, StandardErrors, Stats, Summary, TargetResult,
};
pub use tally::{ArmTally, PairTally, Tally};
pub use targets::Target;

/// Quantile levels reported for each headline distribution.
pub const LEVELS: [(&str, f64); 7] = [
    ("p5", 0.05),
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p95", 0.95),
];
/// Quantile levels of the monthly bands.
pub const BANDS: [(&str, f64); 5] = [
    ("p5", 0.05),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p95", 0.95),
];
/// Mantissa bits of the headline sketches (ROI, NPV, net): relative error 2^-13.
pub const HEADLINE_BITS: u32 = 12;
/// Mantissa bits of the monthly-band sketches: relative error 2^-10.
pub const MONTHLY_BITS: u32 = 9;
/// Largest run that `--quantiles auto` (and a sweep point) summarises exactly.
pub const EXACT_LIMIT: u64 = 250_000;

/// Whether `--quantiles auto` summarises `trials` trials by sketch.
pub fn auto_sketch(trials: u64) -> bool {
    trials > EXACT_LIMIT
}

/// The payback month that stands for "never paid back" when a median is taken over every
/// trial: later than any month, so a mostly censored arm's median lands beyond the horizon.
pub const NEVER: f64 = 1e18;

/// `count` out of `of`, or `None` when there is nothing to count.
pub fn share(count: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| count as f64 / of as f64)
}

/// The binomial standard error of a share `p` of `n` trials.
pub fn binom_se(p: Option<f64>, n: f64) -> Option<f64> {
    p.filter(|_| n > 1.0).map(|p| (p * (1.0 - p) / n).sqrt())
}
