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

/// What the analyses keep of each outcome, in flight at once (trials times variants): a
/// few tens of megabytes, however many variants a group holds. Each batch's outcomes are
/// dropped as soon as the thread that simulated it has picked these out.
const IN_FLIGHT: u64 = 256 * CHUNK;

/// Simulates the variants `arms` of `model` over `trials` and hands what `pick` takes of
/// every outcome to `f(variant, trial, picked)`: variants in groups, and within a group
/// trials in order. `pick` runs on the threads that simulate, batch by batch; `f` on the
/// caller's. `progress` is told how many trial-variants each finished batch held.
///
/// # Errors
/// The run was interrupted (Ctrl-C) before every trial was simulated.
pub fn each_outcome<T: Copy + Send>(
    model: &Model,
    arms: &[ArmModel],
    trials: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
    pick: impl Fn(&Outcome) -> T + Sync,
    mut f: impl FnMut(usize, u64, T) + Send,
) -> Result<()> {
    for (g, group) in arms.chunks(GROUP).enumerate() {
        let variant = model.variant(group.to_vec());
        let k = group.len();
        // Whole batches, at least one per thread.
        let batches = (IN_FLIGHT / BATCH / k as u64).max(rayon::current_num_threads() as u64);
        // A batch's picks, variant by variant: `k` runs of its trials.
        let picked = |b: crate::engine::Batch| {
            let mut values = Vec::with_capacity(k * b.n);
            for a in 0..k {
                values.extend(b.outcomes_of(a).map(&pick));
            }
            (b.first_trial, b.n, values)
        };
        let mut chunk = trials.start;
        while chunk < trials.end {
            let end = (chunk + batches * BATCH).min(trials.end);
            variant.run_map(
                chunk..end,
                &|n| progress(n * k as u64),
                picked,
                |(first, n, values)| {
                    for (a, run) in values.chunks_exact(n.max(1)).enumerate() {
                        for (j, &x) in run.iter().enumerate() {
                            f(g * GROUP + a, first + j as u64, x);
                        }
                    }
                },
            );
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
