//! The tornado: for each arm, how strongly each random input moves with the arm's `npv`
//! and `roi`, measured by Spearman's rank correlation over a run's trials. A rank
//! correlation catches any monotone influence (linear or not) and is untroubled by the
//! heavy tails of cost overruns. It is a ranking of drivers, not a decomposition: inputs
//! that act only together, or in opposite directions in different futures, can score low.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::rank::{pearson, ranks, spearman};
use super::{Samples, plain_name};

/// How many drivers the sentence names.
const TOP: usize = 3;

/// One random input of one arm.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Driver {
    /// Parameter path, e.g. `initiative.upfront_cost`.
    pub path: String,
    /// Plain name, e.g. `upfront cost`.
    pub name: String,
    /// Spearman correlation with npv; `None` when npv does not vary.
    pub rho_npv: Option<f64>,
    /// Spearman correlation with roi, over the trials with a defined roi.
    pub rho_roi: Option<f64>,
}

/// The tornado of one arm: its random inputs, strongest npv driver first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArmTornado {
    pub arm: String,
    pub label: String,
    pub drivers: Vec<Driver>,
    /// "What drives the aligned arm's NPV most: upfront cost (rho -0.62), ..."
    pub sentence: String,
}

/// The tornado of every arm.
pub fn analyse(s: &Samples) -> Vec<ArmTornado> {
    let inputs = InputRanks::of(s);
    (0..s.arms.len())
        .map(|arm| {
            let drivers = drivers(s, arm, &inputs);
            ArmTornado {
                arm: s.arms[arm].clone(),
                label: s.labels[arm].clone(),
                sentence: sentence(&s.arms[arm], &drivers),
                drivers,
            }
        })
        .collect()
}

/// The ranks of every input that varies in an arm, computed once for the columns that
/// arms share (the same bits in every trial: an input with the same distribution in them).
struct InputRanks {
    ranks: Vec<Vec<f64>>,
    /// `of[arm][input]`: the place of its ranks in `ranks`, `None` when it does not vary.
    of: Vec<Vec<Option<usize>>>,
}

impl InputRanks {
    fn of(s: &Samples) -> InputRanks {
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
        // The (arm, input) of each distinct column.
        let mut columns: Vec<(usize, usize)> = Vec::new();
        let of = (0..s.arms.len())
            .map(|arm| {
                (0..s.paths.len())
                    .map(|i| {
                        let x = &s.x[arm][i];
                        s.varies(arm, i).then(|| {
                            let found = columns.iter().position(|&(a, j)| same(&s.x[a][j], x));
                            found.unwrap_or_else(|| {
                                columns.push((arm, i));
                                columns.len() - 1
                            })
                        })
                    })
                    .collect()
            })
            .collect();
        let ranks = columns
            .par_iter()
            .map(|&(a, i)| ranks(&s.x[a][i]))
            .collect();
        InputRanks { ranks, of }
    }
}

/// The inputs that vary in `arm`, ranked by the size of their npv correlation (inputs
/// without one last, then in table order).
fn drivers(s: &Samples, arm: usize, inputs: &InputRanks) -> Vec<Driver> {
    let npv_ranks = all_finite(&s.npv[arm]).then(|| ranks(&s.npv[arm]));
    let roi_ranks = all_finite(&s.roi[arm]).then(|| ranks(&s.roi[arm]));
    let rho = |x: &[f64], rx: &[f64], y: &[f64], ry: &Option<Vec<f64>>| match ry {
        Some(ry) => pearson(rx, ry),
        None => spearman(x, y),
    };
    let mut out: Vec<Driver> = (0..s.paths.len())
        .into_par_iter()
        .filter_map(|i| inputs.of[arm][i].map(|r| (i, &inputs.ranks[r])))
        .map(|(i, rx)| {
            let x = &s.x[arm][i];
            Driver {
                path: s.paths[i].clone(),
                name: plain_name(&s.paths[i]),
                rho_npv: rho(x, rx, &s.npv[arm], &npv_ranks),
                rho_roi: rho(x, rx, &s.roi[arm], &roi_ranks),
            }
        })
        .collect();
    out.sort_by(|a, b| strength(b.rho_npv).total_cmp(&strength(a.rho_npv)));
    out
}

fn all_finite(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// Sort key: the absolute correlation, -1 when there is none.
fn strength(rho: Option<f64>) -> f64 {
    rho.map_or(-1.0, f64::abs)
}

/// One sentence naming the top drivers of an arm's npv.
pub fn sentence(arm: &str, drivers: &[Driver]) -> String {
    let top: Vec<String> = drivers
        .iter()
        .filter_map(|d| d.rho_npv.map(|r| (d, r)))
        .take(TOP)
        .enumerate()
        .map(|(k, (d, r))| {
            let prefix = if k == 0 { "rho " } else { "" };
            format!("{} ({prefix}{})", d.name, signed(r))
        })
        .collect();
    if top.is_empty() {
        return format!("No uncertain input moves the {arm} arm's NPV.");
    }
    format!("What drives the {arm} arm's NPV most: {}.", top.join(", "))
}

/// A correlation with its sign and two decimals, e.g. `+0.41`, `-0.62`.
pub fn signed(r: f64) -> String {
    let r = (r * 100.0).round() / 100.0 + 0.0;
    format!("{r:+.2}")
}
