//! Analyses that simulate variants of a scenario's arms on the same trials (common random
//! numbers, MODEL.md section 8.4): what a step of alignment is worth ([`levers`]), which
//! differences between two arms explain the gap between them ([`shapley`]), and which
//! preparation packages to do first ([`plan`]). Every variant is an arm of the scenario's
//! model with some slots, shifts or packages swapped ([`Model::variant`]), so it draws the
//! same values as the arms it is made of, and the engine simulates it like any arm.

pub mod command;
pub mod explained;
pub mod levers;
pub mod plan;
pub mod shapley;

use std::ops::Range;

use anyhow::Result;

use crate::engine::{ArmModel, BATCH, Model, Outcome};

/// Variants simulated together: each trial's draws, and the months of the variants whose
/// adoption curves are the same, are made once for the whole group.
const GROUP: usize = 128;

/// Trials the analyses collect at once.
pub const CHUNK: u64 = 16 * BATCH;

/// Outcomes in flight in the engine at once (trials times variants): their batches stay
/// under a hundred megabytes, however many variants a group holds.
const IN_FLIGHT: u64 = 32 * CHUNK;

/// Simulates the variants `arms` of `model` over `trials` and hands every outcome to
/// `f(variant, trial, outcome)`: variants in groups, and within a group trials in order.
/// `progress` is told how many trial-variants each finished batch held.
///
/// # Errors
/// The run was interrupted (Ctrl-C) before every trial was simulated.
pub fn each_outcome(
    model: &Model,
    arms: &[ArmModel],
    trials: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
    mut f: impl FnMut(usize, u64, &Outcome) + Send,
) -> Result<()> {
    for (g, group) in arms.chunks(GROUP).enumerate() {
        let variant = model.variant(group.to_vec());
        let k = group.len();
        // Whole batches, at least one per thread.
        let batches = (IN_FLIGHT / BATCH / k as u64).max(rayon::current_num_threads() as u64);
        let mut chunk = trials.start;
        while chunk < trials.end {
            let end = (chunk + batches * BATCH).min(trials.end);
            variant.run_each(chunk..end, &|n| progress(n * k as u64), |b| {
                for a in 0..k {
                    for (j, o) in b.outcomes_of(a).enumerate() {
                        f(g * GROUP + a, b.first_trial + j as u64, o);
                    }
                }
            });
            crate::interrupt::check()?;
            chunk = end;
        }
    }
    Ok(())
}

/// Mean and standard error of the mean of `x`.
pub fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    if x.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = x.iter().sum::<f64>() / n;
    if x.len() < 2 {
        return (mean, f64::NAN);
    }
    let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1.0) / n).sqrt())
}
