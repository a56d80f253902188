//! The gap between two arms, attributed (MODEL.md 8.4): the players are the six alignment
//! dimensions, `initiative` (all its keys), `rollout` (all its keys) and `prepare`. A set S
//! of players makes the hybrid arm that takes S from arm A and everything else from arm B;
//! each player's share is its exact Shapley value over the 2^9 hybrids, all simulated on
//! the same trials. The shares add up to the mean paired difference of A and B.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{CHUNK, each_outcome, mean_se};
use crate::engine::{ArmModel, Model};
use crate::scenario::{ALIGNMENT, NSYM, PARAMS, Section, Sym};

/// The players, in output order.
pub const PLAYERS: [&str; 9] = [
    "strategic",
    "fit",
    "culture",
    "measurement",
    "integration",
    "ethics",
    "initiative",
    "rollout",
    "prepare",
];
const N: usize = PLAYERS.len();
const PREPARE: usize = 8;

/// One player's share of the gap, and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub share: f64,
    pub se: f64,
}

/// The attribution of the gap between arms `a` and `b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    pub a: String,
    pub b: String,
    /// Mean NPV of `a` minus mean NPV of `b` on the same trials, and its standard error.
    pub gap: f64,
    pub gap_se: f64,
    /// Shares by player name (see [`PLAYERS`]).
    pub shares: BTreeMap<String, Share>,
}

/// The player a parameter belongs to, `None` for parameters every arm shares.
fn player(sym: Sym) -> Option<usize> {
    match sym.def().section {
        Section::Alignment => ALIGNMENT.iter().position(|d| *d == sym),
        Section::Initiative => Some(6),
        Section::Rollout => Some(7),
        _ => None,
    }
}

/// The hybrid of `a` and `b` that takes the players of `mask` from `a`.
fn hybrid(a: &ArmModel, b: &ArmModel, mask: usize) -> ArmModel {
    let mut slot = [0usize; NSYM];
    for def in PARAMS {
        let s = def.sym as usize;
        let from_a = player(def.sym).is_some_and(|p| mask & (1 << p) != 0);
        slot[s] = if from_a { a.slot[s] } else { b.slot[s] };
    }
    let from_a = mask & (1 << PREPARE) != 0;
    ArmModel {
        name: format!("{}+{}#{mask}", a.name, b.name),
        label: String::new(),
        slot,
        prepare: if from_a { &a.prepare } else { &b.prepare }.clone(),
        shift: None,
    }
}

/// The players in which `a` and `b` are the same: a hybrid does not depend on them.
fn same_players(model: &Model, a: &ArmModel, b: &ArmModel) -> usize {
    let mut differs = [false; N];
    for def in PARAMS {
        let s = def.sym as usize;
        if let Some(p) = player(def.sym)
            && model.slots[a.slot[s]].dist != model.slots[b.slot[s]].dist
        {
            differs[p] = true;
        }
    }
    differs[PREPARE] = a.prepare != b.prepare;
    (0..N).filter(|&p| !differs[p]).map(|p| 1 << p).sum()
}

/// `|S|! (n - |S| - 1)! / n!` for `|S| = k`.
fn weight(k: usize) -> f64 {
    let f = |m: usize| (1..=m).map(|x| x as f64).product::<f64>();
    f(k) * f(N - k - 1) / f(N)
}

/// One trial's Shapley value of each player, then the gap, from the NPV `values[mask]` of
/// every coalition's hybrid and the weights of [`weight`].
fn in_trial(values: &[f64; 1 << N], weights: &[f64; N]) -> [f64; N + 1] {
    let mut row = [0.0; N + 1];
    row[N] = values[(1 << N) - 1] - values[0];
    for (p, x) in row[..N].iter_mut().enumerate() {
        let bit = 1 << p;
        let mut sum = 0.0;
        for s in (0..1usize << N).filter(|s| s & bit == 0) {
            sum += weights[s.count_ones() as usize] * (values[s | bit] - values[s]);
        }
        *x = sum;
    }
    row
}

/// The attribution of the gap between arms `a` and `b` of `model` over trials `0..trials`.
///
/// # Errors
/// An unknown arm name, or the run was interrupted.
pub fn attribute(
    model: &Model,
    (a, b): (&str, &str),
    trials: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Attribution> {
    let arm = |name: &str| model.arms.iter().find(|x| x.name == name).cloned();
    let (Some(arm_a), Some(arm_b)) = (arm(a), arm(b)) else {
        bail!("no arm named {a:?} or {b:?}");
    };
    // Hybrids that differ only in players A and B share are the same arm: simulate one.
    let same = same_players(model, &arm_a, &arm_b);
    let masks: Vec<usize> = (0..1usize << N).filter(|m| m & same == 0).collect();
    let index: Vec<usize> = (0..1usize << N)
        .map(|m| masks.binary_search(&(m & !same)).expect("canonical mask"))
        .collect();
    let arms: Vec<ArmModel> = masks.iter().map(|&m| hybrid(&arm_a, &arm_b, m)).collect();
    // The Shapley weight of a coalition of each size short of all players, computed once
    // rather than in every trial.
    let weights: [f64; N] = std::array::from_fn(weight);
    let (mut phi, mut gap) = (vec![Vec::new(); N], Vec::new());
    let mut start = 0;
    while start < trials {
        let end = (start + CHUNK).min(trials);
        let len = (end - start) as usize;
        let mut npv = vec![vec![0.0; len]; arms.len()];
        each_outcome(
            model,
            &arms,
            start..end,
            progress,
            |o| o.npv,
            |v, t, x| {
                npv[v][(t - start) as usize] = x;
            },
        )?;
        // Trial `j` of the chunk reads every hybrid's NPV in that trial: its gap and each
        // player's Shapley value, the trials side by side, kept in trial order.
        let per_trial: Vec<[f64; N + 1]> = (0..len)
            .into_par_iter()
            .map(|j| {
                // Every coalition's NPV in this trial, read once.
                let values: [f64; 1 << N] = std::array::from_fn(|mask| npv[index[mask]][j]);
                in_trial(&values, &weights)
            })
            .collect();
        for row in per_trial {
            gap.push(row[N]);
            for (phi, x) in phi.iter_mut().zip(row) {
                phi.push(x);
            }
        }
        start = end;
    }
    let (gap, gap_se) = mean_se(&gap);
    let shares = PLAYERS
        .iter()
        .zip(&phi)
        .map(|(name, x)| {
            let (share, se) = mean_se(x);
            (name.to_string(), Share { share, se })
        })
        .collect();
    Ok(Attribution {
        a: a.to_string(),
        b: b.to_string(),
        gap,
        gap_se,
        shares,
    })
}
