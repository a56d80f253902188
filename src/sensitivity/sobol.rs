//! Variance-based sensitivity: Sobol first-order and total indices of each arm's npv, by
//! Saltelli's scheme with Jansen's estimators and bootstrap percentile intervals.
//!
//! Three kinds of trial matrices, all on trial numbers `0..N`:
//! - A: the model as it is;
//! - B: every input drawn from a fresh keyed stream (`sobol.B.<path>`), so B is
//!   independent of A;
//! - AB_i: A with only input i taken from B.
//!
//! The month-to-month noise of a trial (incidents, abandonment, the pilot's measurement
//! error) is keyed by the trial number alone, so it is the same in the A, B and AB_i rows of
//! one trial: the indices are those of the inputs with that noise held common. With
//! `V` the variance of npv over the A and B rows and `D(X, Y) = mean((f(X) - f(Y))^2) / 2`:
//!
//! - total `S_Ti = D(A, AB_i) / V`: the share of the variance that would go if input i
//!   alone were known, interactions included (Jansen);
//! - first-order `S_i = (D(A, B) - D(B, AB_i)) / V`: the share input i explains on its
//!   own. Without common noise `D(A, B)` estimates `V`, and this is Jansen's first-order
//!   form `(V - D(B, AB_i)) / V` (Saltelli et al. 2010). With the noise common to the rows,
//!   using `D(A, B)` keeps the noise's own share out of every input's index;
//! - luck `1 - D(A, B) / V`: the share of the month-to-month noise on its own.
//!
//! Intervals resample the trial numbers (rows of A, B and every AB_i together) with a
//! seeded, portable generator (xoshiro256++), and take the 2.5 and 97.5 percentiles.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::plain_name;
use crate::engine::{Model, Sampling, rng};

/// Default base sample size N.
pub const DEFAULT_N: u64 = 4096;
/// Bootstrap resamples.
pub const RESAMPLES: u32 = 200;

/// One index with its 95 % bootstrap interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Estimate {
    pub value: Option<f64>,
    pub lo95: Option<f64>,
    pub hi95: Option<f64>,
}

/// The indices of one input for one arm.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputIndices {
    pub path: String,
    pub name: String,
    pub first: Estimate,
    pub total: Estimate,
}

/// The indices of one arm's npv.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArmSobol {
    pub arm: String,
    /// Variance of npv over the A and B rows; `None` when npv does not vary.
    pub variance: Option<f64>,
    /// Share of the month-to-month noise on its own.
    pub luck: Estimate,
    /// Largest total index first.
    pub inputs: Vec<InputIndices>,
}

/// Variance-based indices of every arm.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sobol {
    /// Base sample size.
    pub n: u64,
    /// Trials simulated: `N * (k + 2)`.
    pub trials: u64,
    pub resamples: u32,
    pub arms: Vec<ArmSobol>,
    pub notes: Vec<String>,
}

/// The Saltelli models `[A, B, AB_0, ..., AB_{k-1}]`: clones of `model` with input keys
/// replaced. Plain Monte Carlo sampling (the estimators assume independent rows).
pub fn matrices(model: &Model) -> Vec<Model> {
    let mut a = model.clone();
    a.sampling = Sampling::MonteCarlo;
    let mut b = a.clone();
    for input in &mut b.inputs {
        input.key = rng::key(model.seed, &format!("sobol.B.{}", input.path));
    }
    let mut out = vec![a.clone(), b.clone()];
    for i in 0..a.inputs.len() {
        let mut ab = a.clone();
        ab.inputs[i].key = b.inputs[i].key;
        out.push(ab);
    }
    out
}

/// Every arm's npv in trials `0..n`: `[arm][trial]`.
fn npv_of(model: &Model, n: u64, progress: &(dyn Fn(u64) + Sync)) -> Vec<Vec<f64>> {
    let n_arms = model.n_arms();
    let mut out = vec![Vec::with_capacity(n as usize); n_arms];
    model.run_each(0..n, progress, |b| {
        for (row, o) in b.outcomes.iter().enumerate() {
            out[row % n_arms].push(o.npv);
        }
    });
    out
}

/// Runs the Saltelli matrices and estimates every arm's indices.
pub fn run(model: &Model, n: u64, resamples: u32, progress: &(dyn Fn(u64) + Sync)) -> Sobol {
    let models = matrices(model);
    let f: Vec<Vec<Vec<f64>>> = models.par_iter().map(|m| npv_of(m, n, progress)).collect();
    let key = rng::key(model.seed, "sobol.bootstrap");
    let paths: Vec<String> = model.inputs.iter().map(|i| i.path.clone()).collect();
    let arms = model
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let fab: Vec<&[f64]> = f[2..].iter().map(|m| m[a].as_slice()).collect();
            arm_sobol(&arm.name, &paths, &f[0][a], &f[1][a], &fab, resamples, key)
        })
        .collect();
    let mut notes = Vec::new();
    if model.copula.is_some() {
        notes.push(
            "Some inputs are correlated: the Sobol indices then belong to the independent \
             random sources behind them, and a correlated input's index also carries part of \
             its partners' effect."
                .to_string(),
        );
    }
    Sobol {
        n,
        trials: n * models.len() as u64,
        resamples,
        arms,
        notes,
    }
}

/// The indices of one arm with bootstrap intervals.
pub fn arm_sobol(
    arm: &str,
    paths: &[String],
    fa: &[f64],
    fb: &[f64],
    fab: &[&[f64]],
    resamples: u32,
    key: u64,
) -> ArmSobol {
    let all: Vec<usize> = (0..fa.len()).collect();
    let point = estimate(fa, fb, fab, &all);
    let boots: Vec<Point> = (0..resamples)
        .into_par_iter()
        .map(|r| estimate(fa, fb, fab, &resample(key, r, fa.len())))
        .collect();
    let interval = |value: Option<f64>, pick: &dyn Fn(&Point) -> Option<f64>| {
        let mut v: Vec<f64> = boots.iter().filter_map(pick).collect();
        v.sort_by(f64::total_cmp);
        Estimate {
            value,
            lo95: value.and(percentile(&v, 0.025)),
            hi95: value.and(percentile(&v, 0.975)),
        }
    };
    let mut inputs: Vec<InputIndices> = paths
        .iter()
        .enumerate()
        .map(|(i, path)| InputIndices {
            path: path.clone(),
            name: plain_name(path),
            first: interval(point.first[i], &|p| p.first[i]),
            total: interval(point.total[i], &|p| p.total[i]),
        })
        .collect();
    inputs.sort_by(|a, b| key_of(b).total_cmp(&key_of(a)));
    ArmSobol {
        arm: arm.to_string(),
        variance: point.variance,
        luck: interval(point.luck, &|p| p.luck),
        inputs,
    }
}

fn key_of(i: &InputIndices) -> f64 {
    i.total.value.unwrap_or(f64::NEG_INFINITY)
}

/// Point estimates over the rows `idx`.
#[derive(Debug, Clone)]
pub struct Point {
    pub variance: Option<f64>,
    pub luck: Option<f64>,
    pub first: Vec<Option<f64>>,
    pub total: Vec<Option<f64>>,
}

/// Jansen estimates of every input's first-order and total index over rows `idx` of
/// `f(A)`, `f(B)` and each `f(AB_i)`; all `None` when the variance is zero.
pub fn estimate(fa: &[f64], fb: &[f64], fab: &[&[f64]], idx: &[usize]) -> Point {
    let k = fab.len();
    let none = Point {
        variance: None,
        luck: None,
        first: vec![None; k],
        total: vec![None; k],
    };
    let Some(v) = variance(fa, fb, idx) else {
        return none;
    };
    let half_msd = |x: &[f64], y: &[f64]| {
        idx.iter().map(|&t| (x[t] - y[t]).powi(2)).sum::<f64>() / (2.0 * idx.len() as f64)
    };
    let d_ab = half_msd(fa, fb);
    Point {
        variance: Some(v),
        luck: Some(1.0 - d_ab / v),
        first: fab
            .iter()
            .map(|ab| Some((d_ab - half_msd(fb, ab)) / v))
            .collect(),
        total: fab.iter().map(|ab| Some(half_msd(fa, ab) / v)).collect(),
    }
}

/// Sample variance of the A and B rows `idx` together; `None` when it is zero (up to
/// rounding) or there are too few rows.
fn variance(fa: &[f64], fb: &[f64], idx: &[usize]) -> Option<f64> {
    let m = 2 * idx.len();
    if m < 2 {
        return None;
    }
    let values = || idx.iter().flat_map(|&t| [fa[t], fb[t]]);
    let mean = values().sum::<f64>() / m as f64;
    let ss: f64 = values().map(|x| (x - mean).powi(2)).sum();
    let msq: f64 = values().map(|x| x * x).sum::<f64>() / m as f64;
    let v = ss / (m - 1) as f64;
    (v.is_finite() && v > 1e-12 * msq.max(f64::MIN_POSITIVE)).then_some(v)
}

/// Bootstrap resample `r`: `n` trial numbers drawn with replacement.
pub fn resample(key: u64, r: u32, n: usize) -> Vec<usize> {
    let mut g = Xoshiro256PlusPlus::seed_from_u64(rng::mix64(key ^ rng::mix64(u64::from(r) + 1)));
    // Multiply-high maps a 64-bit draw onto 0..n (bias below n / 2^64).
    (0..n)
        .map(|_| ((u128::from(g.next_u64()) * n as u128) >> 64) as usize)
        .collect()
}

/// Linear-interpolation percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - h.floor()) * (sorted[hi] - sorted[lo]))
}

/// One sentence naming what spreads an arm's npv most.
pub fn sentence(a: &ArmSobol) -> String {
    let pct =
        |x: Option<f64>| x.map_or_else(|| "-".into(), |v| format!("{:.0} %", 100.0 * v.max(0.0)));
    let top: Vec<String> = a
        .inputs
        .iter()
        .filter(|i| i.total.value.is_some())
        .take(3)
        .map(|i| {
            format!(
                "{} {} alone, {} with interactions",
                i.name,
                pct(i.first.value),
                pct(i.total.value)
            )
        })
        .collect();
    if top.is_empty() || a.variance.is_none() {
        return format!(
            "The {} arm's NPV does not vary, so there is no variance to share out.",
            a.arm
        );
    }
    format!(
        "What spreads the {} arm's NPV (share of its variance): {}; month-to-month luck {}.",
        a.arm,
        top.join("; "),
        pct(a.luck.value)
    )
}
