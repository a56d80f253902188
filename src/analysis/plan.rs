//! A preparation plan for one arm (MODEL.md 8.4): every subset of the scenario's `[[work]]`
//! catalogue simulated as that arm preparing exactly that subset, on the same trials, and
//! the best subset for an objective within a budget on the mean preparation cost. Up to
//! [`EXHAUSTIVE`] packages every subset is simulated; beyond, a greedy search adds one
//! package at a time while the objective improves.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::{each_outcome, mean_se};
use crate::engine::{ArmModel, Model};

/// File name of a plan search's result, which a run folder may hold too (its summary
/// then quotes it).
pub const FILE: &str = "plan.json";

/// Most packages searched exhaustively (1,024 subsets).
pub const EXHAUSTIVE: usize = 10;

/// What a plan optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// The highest mean NPV.
    MeanNpv,
    /// The lowest chance of losing money, P(NPV < 0).
    PLoss,
    /// The highest CVaR 5 %: the mean of the worst 5 % of futures.
    Cvar5,
}

/// One subset of the catalogue, simulated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Package names, in catalogue order.
    pub packages: Vec<String>,
    pub cost_mean: f64,
    pub npv_mean: f64,
    pub npv_se: f64,
    pub p_npv_negative: f64,
    pub npv_cvar5: f64,
}

/// The whole search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    pub arm: String,
    pub objective: Objective,
    pub budget: Option<f64>,
    /// Whether every subset was simulated (`false`: greedy search).
    pub exhaustive: bool,
    pub trials: u64,
    pub plans: Vec<Plan>,
    /// The best plan within the budget (the empty plan when nothing else fits).
    pub best: Plan,
}

impl Plan {
    /// The objective as a number to maximise.
    fn score(&self, objective: Objective) -> f64 {
        match objective {
            Objective::MeanNpv => self.npv_mean,
            Objective::PLoss => -self.p_npv_negative,
            Objective::Cvar5 => self.npv_cvar5,
        }
    }

    fn fits(&self, budget: Option<f64>) -> bool {
        budget.is_none_or(|b| self.cost_mean <= b)
    }
}

/// The figures of one subset from its trials' NPVs and preparation costs.
fn figures(packages: Vec<String>, npv: &mut [f64], cost: &[f64]) -> Plan {
    let (npv_mean, npv_se) = mean_se(npv);
    let n = npv.len();
    let p_npv_negative = npv.iter().filter(|x| **x < 0.0).count() as f64 / n as f64;
    npv.sort_unstable_by(f64::total_cmp);
    // As the run's CVaR: the `floor(0.05 (n - 1)) + 1` smallest.
    let k = (0.05 * (n - 1) as f64).floor() as usize + 1;
    let npv_cvar5 = npv[..k].iter().sum::<f64>() / k as f64;
    Plan {
        packages,
        cost_mean: cost.iter().sum::<f64>() / n as f64,
        npv_mean,
        npv_se,
        p_npv_negative,
        npv_cvar5,
    }
}

/// Simulates `arm` of `model` preparing each of `subsets` (package indices) over trials
/// `0..trials`.
fn simulate(
    model: &Model,
    arm: &ArmModel,
    subsets: &[Vec<usize>],
    trials: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Plan>> {
    let arms: Vec<ArmModel> = subsets
        .iter()
        .map(|s| ArmModel {
            prepare: s.clone(),
            ..arm.clone()
        })
        .collect();
    let n = trials as usize;
    let mut npv = vec![vec![0.0; n]; arms.len()];
    let mut cost = vec![vec![0.0; n]; arms.len()];
    // The preparation channel is minus its cost.
    let pick = |o: &crate::engine::Outcome| (o.npv, 0.0 - o.channels[9]);
    each_outcome(model, &arms, 0..trials, progress, pick, |v, t, (x, c)| {
        npv[v][t as usize] = x;
        cost[v][t as usize] = c;
    })?;
    Ok(subsets
        .iter()
        .zip(npv.iter_mut().zip(&cost))
        .map(|(s, (npv, cost))| {
            let names = s.iter().map(|&w| model.work[w].name.clone()).collect();
            figures(names, npv, cost)
        })
        .collect())
}

/// The best of `plans` within the budget: the highest objective, then the lowest cost.
fn best(plans: &[Plan], objective: Objective, budget: Option<f64>) -> Option<&Plan> {
    best_index(plans, objective, budget).map(|i| &plans[i])
}

/// Where in `plans` the best of [`best`] is.
fn best_index(plans: &[Plan], objective: Objective, budget: Option<f64>) -> Option<usize> {
    (0..plans.len())
        .filter(|&i| plans[i].fits(budget))
        .max_by(|&a, &b| {
            let (a, b) = (&plans[a], &plans[b]);
            a.score(objective)
                .total_cmp(&b.score(objective))
                .then(b.cost_mean.total_cmp(&a.cost_mean))
        })
}

/// Searches the preparation plans of arm `arm_name`.
///
/// # Errors
/// No such arm, a scenario without packages, or an interrupted run.
pub fn search(
    model: &Model,
    arm_name: &str,
    (objective, budget): (Objective, Option<f64>),
    trials: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Search> {
    let Some(arm) = model.arms.iter().find(|a| a.name == arm_name) else {
        bail!("no arm named {arm_name:?}");
    };
    let k = model.work.len();
    if k == 0 {
        bail!("the scenario has no [[work]] packages to plan with");
    }
    let exhaustive = k <= EXHAUSTIVE;
    let plans = if exhaustive {
        let subsets: Vec<Vec<usize>> = (0..1usize << k)
            .map(|m| (0..k).filter(|i| m & (1 << i) != 0).collect())
            .collect();
        simulate(model, arm, &subsets, trials, progress)?
    } else {
        greedy(model, arm, (objective, budget), trials, progress)?
    };
    let best = best(&plans, objective, budget).unwrap_or(&plans[0]).clone();
    Ok(Search {
        arm: arm_name.to_string(),
        objective,
        budget,
        exhaustive,
        trials,
        plans,
        best,
    })
}

/// Greedy search: from no preparation, add the package that improves the objective most
/// within the budget, until none does. Returns every plan simulated, the empty one first.
fn greedy(
    model: &Model,
    arm: &ArmModel,
    (objective, budget): (Objective, Option<f64>),
    trials: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Plan>> {
    let mut plans = simulate(model, arm, &[Vec::new()], trials, progress)?;
    let mut current: Vec<usize> = Vec::new();
    loop {
        let candidates: Vec<Vec<usize>> = (0..model.work.len())
            .filter(|i| !current.contains(i))
            .map(|i| {
                let mut s = current.clone();
                s.push(i);
                s.sort_unstable();
                s
            })
            .collect();
        if candidates.is_empty() {
            return Ok(plans);
        }
        let tried = simulate(model, arm, &candidates, trials, progress)?;
        let now = best(&plans, objective, budget).map(|p| p.score(objective));
        let step = best_index(&tried, objective, budget)
            .filter(|&i| now.is_none_or(|s| tried[i].score(objective) > s));
        plans.extend(tried);
        match step {
            // `tried` holds the candidates' plans in their order.
            Some(i) => current = candidates[i].clone(),
            None => return Ok(plans),
        }
    }
}
