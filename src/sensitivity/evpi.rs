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
//! independent of the simulation) is reported as the noise floor. Because one such draw
//! is itself noisy, and is zero whenever one option is far ahead, the analysis also states
//! the chance floor: the mean over [`CHANCE_DRAWS`] inputs that cannot matter of the same
//! estimate when every option is worth the same (each arm's npv moved to mean 0, like
//! doing nothing), which is the expected best of noisy bin means, the most that chance
//! alone shows. An input whose EVPI is not above the larger of the two floors is marked
//! as below the noise. Every EVPI carries a standard error from a Poisson bootstrap of
//! the trials ([`BOOTSTRAP`] replicates, the bins kept) and a 95 % interval of
//! +- 1.96 standard errors (not below 0).

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
/// Name of the keyed streams of the chance-floor inputs.
const CHANCE_STREAM: &str = "evpi.chance";
/// Name of the keyed stream of the bootstrap weights.
const BOOTSTRAP_STREAM: &str = "evpi.bootstrap";
/// Inputs that cannot matter averaged into the chance floor.
pub const CHANCE_DRAWS: usize = 20;
/// Bootstrap replicates behind each standard error.
pub const BOOTSTRAP: usize = 200;

/// The EVPI of one input.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputEvpi {
    pub path: String,
    pub name: String,
    /// In the currency.
    pub evpi: f64,
    /// Bins actually used (fewer when the input takes few distinct values).
    pub bins: usize,
    /// Bootstrap standard error of `evpi`, and its 95 % interval.
    #[serde(default)]
    pub se: f64,
    #[serde(default)]
    pub lo95: f64,
    #[serde(default)]
    pub hi95: f64,
    /// Whether `evpi` is not above the larger of the noise floor and the chance floor:
    /// what chance alone could show.
    #[serde(default)]
    pub below_noise: bool,
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
    /// Bootstrap standard error of `overall`.
    #[serde(default)]
    pub overall_se: f64,
    /// The expected EVPI of an input that cannot matter when every option is worth the
    /// same: what chance alone shows at this many trials (see the module documentation).
    #[serde(default)]
    pub chance_floor: f64,
}

/// The EVPI of every input of a run, and overall, with their standard errors and the
/// floors below which an EVPI is noise.
pub fn analyse(s: &Samples, seed: u64) -> Evpi {
    let mean_npv: Vec<f64> = s.npv.iter().map(|v| mean(v)).collect();
    let (best, value_now) = best_option(&mean_npv);
    let bins = bins_for(s.n);
    let boot = rng::key(seed, BOOTSTRAP_STREAM);
    let noise_floor = of_input(&noise(s.n, seed), &s.npv, bins).0;
    let chance_floor = chance_floor(&s.npv, bins, seed);
    let floor = noise_floor.max(chance_floor);
    // Each varying input's bins, in input order.
    let binned: Vec<(usize, Binned)> = (0..s.paths.len())
        .into_par_iter()
        .filter_map(|i| {
            let arm = (0..s.arms.len()).find(|&a| s.varies(a, i))?;
            Some((i, Binned::new(&s.x[arm][i], bins)))
        })
        .collect();
    let (replicates, overall_replicates) = bootstrap(boot, &s.npv, &binned);
    let mut inputs: Vec<InputEvpi> = binned
        .par_iter()
        .zip(replicates.par_iter())
        .map(|((i, binned), replicates)| {
            let evpi = binned.value(&s.npv, value_now);
            let se = std_dev(replicates);
            InputEvpi {
                path: s.paths[*i].clone(),
                name: plain_name(&s.paths[*i]),
                evpi,
                bins: binned.ranges.len(),
                se,
                lo95: (evpi - 1.96 * se).max(0.0),
                hi95: evpi + 1.96 * se,
                below_noise: evpi <= floor,
            }
        })
        .collect();
    inputs.sort_by(|a, b| b.evpi.total_cmp(&a.evpi));
    Evpi {
        decision: best.map_or_else(|| "none".to_string(), |a| s.arms[a].clone()),
        value_now,
        mean_npv: s.arms.iter().cloned().zip(mean_npv).collect(),
        overall: overall(&s.npv),
        noise_floor,
        bins,
        inputs,
        overall_se: std_dev(&overall_replicates),
        chance_floor,
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

/// The best option's mean npv, `max(0, max_a E[npv_a])`.
fn best_mean(npv: &[Vec<f64>]) -> f64 {
    let means: Vec<f64> = npv.iter().map(|v| mean(v)).collect();
    best_option(&means).1
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
    gain(per_trial, best_mean(npv))
}

/// The EVPI of an input with values `x` (one per trial) and the bins used: the
/// count-weighted mean over bins of the best option's mean npv in the bin, minus the best
/// option's mean npv overall.
pub fn of_input(x: &[f64], npv: &[Vec<f64>], bins: usize) -> (f64, usize) {
    if x.is_empty() || npv.is_empty() {
        return (0.0, 0);
    }
    let binned = Binned::new(x, bins);
    (binned.value(npv, best_mean(npv)), binned.ranges.len())
}

/// The trials sorted by an input's value and cut into bins of equal count (ties never
/// split across bins).
struct Binned {
    /// Trial numbers in 32 bits, half the memory of `usize`: a run's sensitivity analysis
    /// reads at most [`super::RUN_TRIALS_CAP`] trials, and 2^32 trials' values of every
    /// input and arm would take terabytes.
    order: Vec<u32>,
    /// `start..end` of each non-empty bin in `order`.
    ranges: Vec<(usize, usize)>,
}

impl Binned {
    fn new(x: &[f64], bins: usize) -> Binned {
        let n = x.len();
        // The trials by value, equal values by trial: a total order.
        let order: Vec<u32> = super::rank::order(x)
            .into_iter()
            .map(|t| t as u32)
            .collect();
        let mut ranges = Vec::with_capacity(bins);
        let mut start = 0;
        for b in 1..=bins {
            let mut end = (b * n / bins).max(start);
            let at = |k: usize| x[order[k] as usize];
            while end > start && end < n && at(end) == at(end - 1) {
                end += 1;
            }
            if end > start {
                ranges.push((start, end));
                start = end;
            }
        }
        Binned { order, ranges }
    }

    /// The EVPI over these bins, every trial counted once, the best option's mean npv
    /// being `now` ([`best_mean`]).
    fn value(&self, npv: &[Vec<f64>], now: f64) -> f64 {
        if self.order.is_empty() || npv.is_empty() {
            return 0.0;
        }
        let mut total = 0.0;
        let mut count = 0.0;
        let mut means = vec![0.0; npv.len()];
        for &(start, end) in &self.ranges {
            let trials = &self.order[start..end];
            let size = (end - start) as f64;
            for (m, a) in means.iter_mut().zip(npv) {
                *m = trials.iter().map(|&t| a[t as usize]).sum::<f64>() / size;
            }
            total += best_option(&means).1 * size;
            count += size;
        }
        gain(total / count, now)
    }

    /// The EVPI over these bins in each replicate `j` of a block of `width` bootstrap
    /// replicates, in which trial `t` counts `counts[t * width + j]` times and the best
    /// option's weighted mean npv is `now[j]`: for each replicate, what one pass over the
    /// trials with its weights gives (every sum in the bins' order), the block's replicates
    /// computed side by side.
    fn replicates(&self, npv: &[Vec<f64>], counts: &[u8], width: usize, now: &[f64]) -> Vec<f64> {
        #[cfg(target_arch = "x86_64")]
        if crate::engine::simd() != crate::engine::Simd::Baseline {
            // SAFETY: `simd` picks a vector path only when the CPU has AVX2.
            return unsafe { self.replicates_avx2(npv, counts, width, now) };
        }
        self.replicates_any(npv, counts, width, now)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn replicates_avx2(
        &self,
        npv: &[Vec<f64>],
        counts: &[u8],
        width: usize,
        now: &[f64],
    ) -> Vec<f64> {
        self.replicates_any(npv, counts, width, now)
    }

    #[inline(always)]
    fn replicates_any(
        &self,
        npv: &[Vec<f64>],
        counts: &[u8],
        width: usize,
        now: &[f64],
    ) -> Vec<f64> {
        if self.order.is_empty() || npv.is_empty() {
            return vec![0.0; width];
        }
        let (mut total, mut count) = (vec![0.0; width], vec![0.0; width]);
        let mut size = vec![0.0; width];
        // `sums[a * width + j]`: arm `a`'s weighted npv in the bin, replicate `j`.
        let mut sums = vec![0.0; npv.len() * width];
        let mut means = vec![0.0; npv.len()];
        for &(start, end) in &self.ranges {
            size.fill(0.0);
            sums.fill(0.0);
            let mut w = [0.0; BLOCK];
            for &t in &self.order[start..end] {
                let t = t as usize;
                let w = &mut w[..width];
                for (w, &c) in w.iter_mut().zip(&counts[t * width..][..width]) {
                    *w = f64::from(c);
                }
                for (s, &w) in size.iter_mut().zip(&*w) {
                    *s += w;
                }
                for (a, sums) in npv.iter().zip(sums.chunks_exact_mut(width)) {
                    let x = a[t];
                    for (s, &w) in sums.iter_mut().zip(&*w) {
                        *s += w * x;
                    }
                }
            }
            for j in 0..width {
                if size[j] == 0.0 {
                    continue;
                }
                for (m, sums) in means.iter_mut().zip(sums.chunks_exact(width)) {
                    *m = sums[j] / size[j];
                }
                total[j] += best_option(&means).1 * size[j];
                count[j] += size[j];
            }
        }
        (0..width)
            .map(|j| gain(total[j] / count[j], now[j]))
            .collect()
    }
}

/// The mean of `v`, trial `t` counted `w[t]` times.
fn weighted_mean(v: &[f64], w: &[f64]) -> f64 {
    let total: f64 = w.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    v.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / total
}

/// [`overall`] with every trial counted `weights[t]` times, `now` being the best option's
/// weighted mean npv (which the caller has already).
fn overall_weighted(npv: &[Vec<f64>], weights: &[f64], now: f64) -> f64 {
    let total: f64 = weights.iter().sum();
    if npv.is_empty() || total == 0.0 {
        return 0.0;
    }
    let per_trial: f64 = weights
        .iter()
        .enumerate()
        .map(|(t, w)| w * npv.iter().fold(0.0f64, |m, a| m.max(a[t])))
        .sum::<f64>()
        / total;
    gain(per_trial, now)
}

/// Bootstrap replicates drawn and evaluated together: a block's Poisson weights of every
/// trial take a byte each, `n * BLOCK` bytes in all.
const BLOCK: usize = 64;

/// The EVPI of every binned input (one column per input, in the order of `binned`) and the
/// overall EVPI in each of [`BOOTSTRAP`] Poisson bootstrap replicates of the trials,
/// replicates in order. In replicate `r`, trial `t` counts a keyed Poisson(1) number of
/// times, the same for every input: so each block of [`BLOCK`] replicates draws its
/// weights once, and every input evaluates the block's replicates side by side. Empty
/// columns for fewer than two trials.
fn bootstrap(key: u64, npv: &[Vec<f64>], binned: &[(usize, Binned)]) -> (Vec<Vec<f64>>, Vec<f64>) {
    let n = npv.first().map_or(0, Vec::len);
    let mut columns = vec![Vec::with_capacity(BOOTSTRAP); binned.len()];
    let mut overall = Vec::with_capacity(BOOTSTRAP);
    if n < 2 {
        return (columns, overall);
    }
    for first in (0..BOOTSTRAP).step_by(BLOCK) {
        let reps = first..(first + BLOCK).min(BOOTSTRAP);
        let width = reps.len();
        // `counts[t * width + j]`: trial `t`'s weight in replicate `first + j`.
        let mut counts = vec![0u8; n * width];
        counts
            .par_chunks_mut(width)
            .enumerate()
            .for_each(|(t, row)| {
                for (c, r) in row.iter_mut().zip(reps.clone()) {
                    *c = poisson1(rng::stream(key, ((r as u64) << 40) | t as u64).next_u64());
                }
            });
        // Each replicate's best option without information, and its overall EVPI.
        let (now, all): (Vec<f64>, Vec<f64>) = (0..width)
            .into_par_iter()
            .map(|j| {
                let w: Vec<f64> = (0..n).map(|t| f64::from(counts[t * width + j])).collect();
                let means: Vec<f64> = npv.iter().map(|v| weighted_mean(v, &w)).collect();
                let now = best_option(&means).1;
                (now, overall_weighted(npv, &w, now))
            })
            .unzip();
        let values: Vec<Vec<f64>> = binned
            .par_iter()
            .map(|(_, b)| b.replicates(npv, &counts, width, &now))
            .collect();
        for (column, v) in columns.iter_mut().zip(values) {
            column.extend(v);
        }
        overall.extend(all);
    }
    (columns, overall)
}

/// The standard deviation of bootstrap replicates (0 without any, or with one).
fn std_dev(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    let ss: f64 = values.iter().map(|v| (v - m).powi(2)).sum();
    (ss / (values.len() - 1) as f64).sqrt()
}

/// A Poisson(1) count from 64 random bits, by inversion (at most 20).
fn poisson1(bits: u64) -> u8 {
    let u = crate::dist::open01(bits);
    let cdf = poisson1_cdf();
    let mut k = 0;
    while k < 20 && u > cdf[k] {
        k += 1;
    }
    k as u8
}

/// `P(N <= k)` for `N ~ Poisson(1)` and `k = 0..=20`, summed term by term as an inversion
/// would (`p_k = p_(k-1) / k`), computed once.
fn poisson1_cdf() -> &'static [f64; 21] {
    static CDF: std::sync::OnceLock<[f64; 21]> = std::sync::OnceLock::new();
    CDF.get_or_init(|| {
        let mut cdf = [0.0; 21];
        let mut p = (-1.0f64).exp();
        cdf[0] = p;
        for k in 1..21 {
            p /= k as f64;
            cdf[k] = cdf[k - 1] + p;
        }
        cdf
    })
}

/// The chance floor: the mean EVPI of [`CHANCE_DRAWS`] keyed inputs that cannot matter,
/// on each arm's npv moved to mean 0 so that every option, doing nothing included, is
/// worth the same.
fn chance_floor(npv: &[Vec<f64>], bins: usize, seed: u64) -> f64 {
    let n = npv.first().map_or(0, Vec::len);
    if n == 0 {
        return 0.0;
    }
    let centred: Vec<Vec<f64>> = npv
        .iter()
        .map(|a| {
            let m = mean(a);
            a.iter().map(|v| v - m).collect()
        })
        .collect();
    let now = best_mean(&centred);
    let draws: Vec<f64> = (0..CHANCE_DRAWS)
        .into_par_iter()
        .map(|k| {
            let key = rng::key(seed, CHANCE_STREAM) ^ rng::mix64(k as u64);
            let mut g = Xoshiro256PlusPlus::seed_from_u64(key);
            let x: Vec<f64> = (0..n).map(|_| g.next_u64() as f64).collect();
            Binned::new(&x, bins).value(&centred, now)
        })
        .collect();
    mean(&draws)
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
        .filter(|i| !i.below_noise)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The inversion term by term, as [`poisson1`] was first written.
    fn poisson1_by_terms(bits: u64) -> u8 {
        let u = crate::dist::open01(bits);
        let (mut k, mut p) = (0u32, (-1.0f64).exp());
        let mut cdf = p;
        while u > cdf && k < 20 {
            k += 1;
            p /= f64::from(k);
            cdf += p;
        }
        k as u8
    }

    #[test]
    fn poisson_counts_match_the_inversion_by_terms() {
        let cdf = poisson1_cdf();
        // Keyed draws, and the bits of every CDF step and its neighbours.
        let mut cases: Vec<u64> = (0..200_000).map(|t| rng::stream(9, t).next_u64()).collect();
        for &c in cdf {
            // `open01(b) = ((b >> 12) + 0.5) / 2^52`: the bits whose uniform is next to `c`.
            let m = (c * (1u64 << 52) as f64) as u64;
            for d in m.saturating_sub(2)..m + 3 {
                cases.push(d << 12);
            }
        }
        let mut seen = [0usize; 21];
        for bits in cases {
            let k = poisson1(bits);
            assert_eq!(k, poisson1_by_terms(bits), "{bits:#x}");
            seen[k as usize] += 1;
        }
        // Counts 0 to 5 all occur; their shares are about e^-1 / k!.
        assert!(seen[..6].iter().all(|&n| n > 0), "{seen:?}");
    }
}
