//! Expected value of perfect information (EVPI) for the decision "which arm, or none".
//!
//! Each option is worth its npv; doing nothing is worth 0. Deciding now, a risk-neutral
//! owner takes the option with the highest mean npv: `max_a E[npv_a]` (with 0 among the
//! options). Knowing input X before deciding, the owner could pick the best option for
//! each value of X: `E_X[max_a E[npv_a | X]]`. The difference is the EVPI of X, an amount in
//! the currency: the most it is worth paying (for a pilot, a quote, a survey) to learn X
//! first. It is never negative, and it is zero when the same option is best whatever X is.
//!
//! `E[npv_a | X]` is estimated by cutting the run's trials into bins of equal count by
//! the value of X (ties are never split across bins) and averaging each arm's npv inside
//! each bin. The overall EVPI (perfect information about every uncertainty, luck
//! included) is `E[max_a npv_a] - max_a E[npv_a]`, trial by trial.
//!
//! Averages over a few thousand trials are noisy, and the best of noisy means is biased
//! upward; the same estimate for an input that cannot matter (a keyed random number
//! independent of the simulation) is reported as the noise floor.

use rand::Rng;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Samples, plain_name};
use crate::engine::rng;
use crate::plot::fmt_money;

/// Bins per input, when there are enough trials.
pub const BINS: usize = 50;
/// Fewest trials per bin.
pub const MIN_PER_BIN: usize = 20;
/// Name of the keyed stream of the noise-floor input.
const NOISE_STREAM: &str = "evpi.noise";

/// The EVPI of one input.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputEvpi {
    pub path: String,
    pub name: String,
    /// In the currency.
    pub evpi: f64,
    /// Bins actually used (fewer when the input takes few distinct values).
    pub bins: usize,
}

/// The value of information of a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Evpi {
    /// The option chosen without more information: an arm name, or `none`.
    pub decision: String,
    /// Its mean npv (0 for none).
    pub value_now: f64,
    /// Mean npv of each arm, in scenario order.
    pub mean_npv: Vec<(String, f64)>,
    /// Perfect information about everything, luck included: an upper bound.
    pub overall: f64,
    /// EVPI estimated the same way for an input that cannot matter.
    pub noise_floor: f64,
    /// Target bins per input.
    pub bins: usize,
    /// Per input, largest first.
    pub inputs: Vec<InputEvpi>,
}

/// The EVPI of every input of a run, and overall.
pub fn analyse(s: &Samples, seed: u64) -> Evpi {
    let mean_npv: Vec<f64> = s.npv.iter().map(|v| mean(v)).collect();
    let (best, value_now) = best_option(&mean_npv);
    let bins = bins_for(s.n);
    let mut inputs: Vec<InputEvpi> = (0..s.paths.len())
        .into_par_iter()
        .filter_map(|i| {
            let arm = (0..s.arms.len()).find(|&a| s.varies(a, i))?;
            let (evpi, used) = of_input(&s.x[arm][i], &s.npv, bins);
            Some(InputEvpi {
                path: s.paths[i].clone(),
                name: plain_name(&s.paths[i]),
                evpi,
                bins: used,
            })
        })
        .collect();
    inputs.sort_by(|a, b| b.evpi.total_cmp(&a.evpi));
    Evpi {
        decision: best.map_or_else(|| "none".to_string(), |a| s.arms[a].clone()),
        value_now,
        mean_npv: s.arms.iter().cloned().zip(mean_npv).collect(),
        overall: overall(&s.npv),
        noise_floor: of_input(&noise(s.n, seed), &s.npv, bins).0,
        bins,
        inputs,
    }
}

/// Bins for `n` trials: [`BINS`], fewer so that each holds [`MIN_PER_BIN`], at least 1.
pub fn bins_for(n: usize) -> usize {
    (n / MIN_PER_BIN).clamp(1, BINS)
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// The best option given mean values: `(Some(arm), value)`, or `(None, 0)` when no arm's
/// mean is above zero. Ties go to the first arm listed.
pub fn best_option(means: &[f64]) -> (Option<usize>, f64) {
    means.iter().enumerate().fold(
        (None, 0.0),
        |(b, v), (a, &m)| if m > v { (Some(a), m) } else { (b, v) },
    )
}

/// `E[max(0, max_a npv_a)] - max(0, max_a E[npv_a])` over the trials.
pub fn overall(npv: &[Vec<f64>]) -> f64 {
    let n = npv.first().map_or(0, Vec::len);
    if n == 0 {
        return 0.0;
    }
    let per_trial: f64 = (0..n)
        .map(|t| npv.iter().fold(0.0f64, |m, a| m.max(a[t])))
        .sum::<f64>()
        / n as f64;
    let means: Vec<f64> = npv.iter().map(|v| mean(v)).collect();
    gain(per_trial, best_option(&means).1)
}

/// The EVPI of an input with values `x` (one per trial) and the bins used: the
/// count-weighted mean over bins of the best option's mean npv in the bin, minus the best
/// option's mean npv overall.
pub fn of_input(x: &[f64], npv: &[Vec<f64>], bins: usize) -> (f64, usize) {
    let n = x.len();
    if n == 0 || npv.is_empty() {
        return (0.0, 0);
    }
    // The trials by value, equal values by trial: a total order.
    let order = super::rank::order(x);
    let mut total = 0.0;
    let mut used = 0;
    let mut start = 0;
    for b in 1..=bins {
        let mut end = (b * n / bins).max(start);
        while end > start && end < n && x[order[end]] == x[order[end - 1]] {
            end += 1;
        }
        if end > start {
            let means: Vec<f64> = npv
                .iter()
                .map(|a| {
                    order[start..end].iter().map(|&t| a[t]).sum::<f64>() / (end - start) as f64
                })
                .collect();
            total += best_option(&means).1 * (end - start) as f64;
            used += 1;
            start = end;
        }
    }
    let means: Vec<f64> = npv.iter().map(|v| mean(v)).collect();
    (gain(total / n as f64, best_option(&means).1), used)
}

/// `informed - now`, with rounding noise (a relative 1e-12) shown as the zero it is.
fn gain(informed: f64, now: f64) -> f64 {
    let g = informed - now;
    if g <= 1e-12 * (informed.abs() + now.abs() + 1.0) {
        0.0
    } else {
        g
    }
}

/// A keyed input independent of the simulation: one uniform per trial.
fn noise(n: usize, seed: u64) -> Vec<f64> {
    let mut g = Xoshiro256PlusPlus::seed_from_u64(rng::key(seed, NOISE_STREAM));
    (0..n).map(|_| g.next_u64() as f64).collect()
}

/// One sentence on the value of information.
pub fn sentence(e: &Evpi, currency: &str) -> String {
    let now = if e.decision == "none" {
        "Deciding now, the best choice is not to start the project".to_string()
    } else {
        format!(
            "Deciding now, the best choice is the {} arm (mean NPV {} {currency})",
            e.decision,
            fmt_money(e.value_now)
        )
    };
    let top: Vec<String> = e
        .inputs
        .iter()
        .filter(|i| i.evpi > e.noise_floor)
        .take(3)
        .map(|i| format!("{} ({} {currency})", i.name, fmt_money(i.evpi)))
        .collect();
    let learn = if top.is_empty() {
        " and no single uncertainty is worth resolving first: perfect knowledge of any one input \
         would not change the choice by more than the simulation's noise"
            .to_string()
    } else {
        format!(
            "; knowing before deciding would be worth most for {}",
            top.join(", ")
        )
    };
    format!(
        "{now}{learn}. Perfect knowledge of everything, luck included, would be worth \
         {} {currency}.",
        fmt_money(e.overall)
    )
}
