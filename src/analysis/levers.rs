//! Alignment levers (MODEL.md 8.4): for each arm and alignment dimension, what +0.1 of
//! the drawn score is worth in mean NPV and in the chance of losing money, on the same
//! trials. Each trial's score is moved half a step up and half a step down (clamped to
//! [0, 1]) before any preparation; the difference is rescaled to a full step by the mean
//! width the clamped step actually had.

use std::collections::BTreeMap;

use anyhow::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::each_outcome;
use crate::engine::{ArmModel, Model};
use crate::scenario::{ALIGNMENT, Sym};

/// The step of alignment a lever is the value of.
pub const STEP: f64 = 0.1;

/// Trials the levers of a run are computed on, unless told otherwise: the first ones.
pub const TRIALS: u64 = 20_000;

/// The value of a step of one alignment score in one arm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lever {
    /// Change of the mean NPV, and its standard error.
    pub npv: f64,
    pub npv_se: f64,
    /// Change of P(NPV < 0) (negative: the step makes a loss less likely).
    pub p_loss: f64,
    pub p_loss_se: f64,
}

/// Levers by arm name, then by alignment key (`strategic` ... `ethics`).
pub type Levers = BTreeMap<String, BTreeMap<String, Lever>>;

/// The shifted variants: for every arm and dimension, half a step up then half down.
fn variants(model: &Model) -> Vec<ArmModel> {
    let mut out = Vec::new();
    for arm in &model.arms {
        for dim in ALIGNMENT {
            for step in [STEP / 2.0, -STEP / 2.0] {
                out.push(ArmModel {
                    shift: Some((dim, step)),
                    ..arm.clone()
                });
            }
        }
    }
    out
}

/// The width `min(1, a + h) - max(0, a - h)` of the clamped step of each trial, for every
/// arm and dimension (`[arm * 6 + dim][trial]`); fixed scores give a constant.
fn widths(model: &Model, trials: u64) -> Vec<Vec<f64>> {
    let h = STEP / 2.0;
    let width = |a: f64| (a + h).min(1.0) - (a - h).max(0.0);
    let slots: Vec<usize> = model
        .arms
        .iter()
        .flat_map(|arm| ALIGNMENT.map(|d| arm.slot[d as usize]))
        .collect();
    let random = slots.iter().any(|&s| !model.slots[s].dist.is_fixed());
    if !random {
        // Fixed scores: every trial draws what the first does.
        let values = model.drawn(0);
        return slots
            .iter()
            .map(|&s| vec![width(values[s]); trials as usize])
            .collect();
    }
    let drawn: Vec<Vec<f64>> = (0..trials)
        .into_par_iter()
        .map(|t| {
            let values = model.drawn(t);
            slots.iter().map(|&s| width(values[s])).collect()
        })
        .collect();
    (0..slots.len())
        .map(|k| drawn.iter().map(|row| row[k]).collect())
        .collect()
}

/// The lever of one arm and dimension from the per-trial differences `d` (high minus low)
/// and widths `w`: `STEP * mean(d) / mean(w)`, with the delta-method standard error of
/// the ratio.
fn ratio(d: &[f64], w: &[f64]) -> (f64, f64) {
    let n = d.len() as f64;
    let (md, mw) = (d.iter().sum::<f64>() / n, w.iter().sum::<f64>() / n);
    let r = md / mw;
    let resid: Vec<f64> = d.iter().zip(w).map(|(d, w)| d - r * w).collect();
    let ss: f64 = resid.iter().map(|x| x * x).sum();
    let se = (ss / (n - 1.0).max(1.0) / n).sqrt() / mw;
    (STEP * r, STEP * se)
}

/// Every arm's levers on trials `0..trials` of `model`.
///
/// # Errors
/// The run was interrupted.
pub fn compute(model: &Model, trials: u64, progress: &(dyn Fn(u64) + Sync)) -> Result<Levers> {
    let arms = variants(model);
    let n = trials as usize;
    let mut npv = vec![vec![0.0; n]; arms.len()];
    each_outcome(
        model,
        &arms,
        0..trials,
        progress,
        |o| o.npv,
        |v, t, x| {
            npv[v][t as usize] = x;
        },
    )?;
    let widths = widths(model, trials);
    let mut out = Levers::new();
    for (i, arm) in model.arms.iter().enumerate() {
        let mut dims = BTreeMap::new();
        for (k, dim) in ALIGNMENT.into_iter().enumerate() {
            let at = (i * ALIGNMENT.len() + k) * 2;
            let (hi, lo) = (&npv[at], &npv[at + 1]);
            let d: Vec<f64> = hi.iter().zip(lo).map(|(h, l)| h - l).collect();
            let loss = |x: f64| f64::from(u8::from(x < 0.0));
            let dl: Vec<f64> = hi
                .iter()
                .zip(lo)
                .map(|(h, l)| loss(*h) - loss(*l))
                .collect();
            let w = &widths[i * ALIGNMENT.len() + k];
            let (npv, npv_se) = ratio(&d, w);
            let (p_loss, p_loss_se) = ratio(&dl, w);
            dims.insert(
                key(dim).to_string(),
                Lever {
                    npv,
                    npv_se,
                    p_loss,
                    p_loss_se,
                },
            );
        }
        out.insert(arm.name.clone(), dims);
    }
    Ok(out)
}

/// The levers a run reports, computed on its first `trials` trials, and that number of
/// trials: `(None, None)` for none.
///
/// # Errors
/// The run was interrupted.
pub fn of_run(model: &Model, trials: u64) -> Result<(Option<Levers>, Option<u64>)> {
    if trials == 0 {
        return Ok((None, None));
    }
    Ok((Some(compute(model, trials, &|_| {})?), Some(trials)))
}

/// The scenario key of an alignment dimension.
pub fn key(dim: Sym) -> &'static str {
    dim.def().key
}
