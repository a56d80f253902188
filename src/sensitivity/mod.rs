//! Sensitivity and value of information: which uncertain inputs drive each arm's result,
//! and which uncertainty would be worth resolving (by a pilot, a quote, a survey) before
//! choosing an arm.
//!
//! Three measures, each in its own file:
//! - [`tornado`]: Spearman rank correlation of every random input with `npv` and `roi`,
//!   per arm, from a run's own trials (cheap, in every run).
//! - [`sobol`]: first-order and total Sobol indices of `npv` per arm, from Saltelli's
//!   matrices A, B and AB_i with Jansen's estimators and bootstrap intervals (a dedicated
//!   `alignsim sensitivity` run of `N * (k + 2)` trials).
//! - [`evpi`]: the expected value of perfect information about each input for the decision
//!   "which arm, or none", by binning a run's own trials (cheap, in every run).
//!
//! The measures read plain per-trial vectors ([`Samples`]); Polars stays in
//! [`Samples::from_frame`].

pub mod command;
pub mod evpi;
pub mod rank;
pub mod report;
pub mod sobol;
pub mod tornado;

use anyhow::{Context, Result};
use polars::prelude::{DataFrame, DataType};
use serde::{Deserialize, Serialize};

use crate::engine::{Batch, Model};
use crate::scenario::Scenario;

pub use evpi::Evpi;
pub use sobol::Sobol;
pub use tornado::ArmTornado;

/// File name of the sensitivity results inside a run or sensitivity folder.
pub const JSON_FILE: &str = "sensitivity.json";

/// Everything the sensitivity analysis reports, as written to `sensitivity.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sensitivity {
    pub scenario: String,
    pub title: String,
    pub currency: String,
    pub horizon_months: u32,
    pub seed: u64,
    /// Trials behind the tornado and EVPI.
    pub trials: u64,
    /// Per arm, in the order the scenario lists them.
    pub tornado: Vec<ArmTornado>,
    /// Variance-based indices; only from `alignsim sensitivity`.
    pub sobol: Option<Sobol>,
    pub evpi: Evpi,
    /// Plain-language findings: the top drivers per arm, then the value of information.
    pub sentences: Vec<String>,
    /// Caveats that apply to this scenario (correlated inputs, few trials).
    pub notes: Vec<String>,
}

impl Sensitivity {
    /// The tornado and EVPI of a run's trials (no extra simulation), simulated with `seed`.
    pub fn of_samples(sc: &Scenario, seed: u64, s: &Samples) -> Sensitivity {
        let (tornado, evpi) = rayon::join(|| tornado::analyse(s), || evpi::analyse(s, seed));
        let mut sentences: Vec<String> = tornado.iter().map(|t| t.sentence.clone()).collect();
        sentences.push(evpi::sentence(&evpi, &sc.currency));
        let mut notes = Vec::new();
        if sc.correlation.is_some() {
            notes.push(
                "Some inputs are correlated: a rank correlation then also carries the effect of \
                 the inputs it moves with."
                    .to_string(),
            );
        }
        Sensitivity {
            scenario: sc.name.clone(),
            title: sc.title.clone(),
            currency: sc.currency.clone(),
            horizon_months: sc.horizon_months,
            seed,
            trials: s.n as u64,
            tornado,
            sobol: None,
            evpi,
            sentences,
            notes,
        }
    }

    /// Adds variance-based indices and their findings.
    pub fn with_sobol(mut self, sobol: Sobol) -> Sensitivity {
        let at = self.tornado.len();
        for (i, arm) in sobol.arms.iter().enumerate() {
            self.sentences.insert(at + i, sobol::sentence(arm));
        }
        self.notes.extend(sobol.notes.iter().cloned());
        self.sobol = Some(sobol);
        self
    }
}

/// The per-trial values the measures need, arm by arm, trials in order.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    /// Arm names and labels, in scenario order.
    pub arms: Vec<String>,
    pub labels: Vec<String>,
    /// Paths of the parameters that vary between trials in at least one arm.
    pub paths: Vec<String>,
    /// Number of trials.
    pub n: usize,
    /// `x[arm][input][trial]`: the value the arm used.
    pub x: Vec<Vec<Vec<f64>>>,
    /// `npv[arm][trial]`.
    pub npv: Vec<Vec<f64>>,
    /// `roi[arm][trial]`, NaN where the investment was zero.
    pub roi: Vec<Vec<f64>>,
}

impl Samples {
    fn empty(model: &Model) -> Samples {
        let n_arms = model.n_arms();
        let k = model.varying.len();
        Samples {
            arms: model.arms.iter().map(|a| a.name.clone()).collect(),
            labels: model.arms.iter().map(|a| a.label.clone()).collect(),
            paths: model.varying.iter().map(|v| v.path.clone()).collect(),
            n: 0,
            x: vec![vec![Vec::new(); k]; n_arms],
            npv: vec![Vec::new(); n_arms],
            roi: vec![Vec::new(); n_arms],
        }
    }

    /// Collects the engine's batches (in trial order).
    pub fn from_batches(model: &Model, batches: &[Batch]) -> Samples {
        let mut s = Samples::empty(model);
        batches.iter().for_each(|b| s.push(b));
        s
    }

    /// Adds one batch; batches must arrive in trial order.
    pub fn push(&mut self, b: &Batch) {
        let n_arms = self.arms.len();
        let k = self.paths.len();
        for (row, o) in b.outcomes.iter().enumerate() {
            let arm = row % n_arms;
            self.npv[arm].push(o.npv);
            self.roi[arm].push(o.roi);
            for (i, col) in self.x[arm].iter_mut().enumerate() {
                col.push(b.inputs[row * k + i]);
            }
        }
        self.n += b.n;
    }

    /// Reads a run's per-trial frame (`trials.parquet`'s columns: `trial`, `arm`, one
    /// column per varying parameter path, `npv`, `roi`).
    pub fn from_frame(model: &Model, df: &DataFrame) -> Result<Samples> {
        let mut s = Samples::empty(model);
        let arm_col = df.column("arm").context("the trials have no arm column")?;
        let arm_of: Vec<usize> = arm_col
            .str()?
            .iter()
            .map(|a| {
                s.arms
                    .iter()
                    .position(|n| Some(n.as_str()) == a)
                    .unwrap_or(usize::MAX)
            })
            .collect();
        let route = |name: &str, out: &mut dyn FnMut(usize, f64)| -> Result<()> {
            let c = df
                .column(name)
                .with_context(|| format!("the trials have no column {name}"))?;
            let c = c.cast(&DataType::Float64)?;
            for (v, &a) in c.f64()?.iter().zip(&arm_of) {
                if a != usize::MAX {
                    out(a, v.unwrap_or(f64::NAN));
                }
            }
            Ok(())
        };
        route("npv", &mut |a, v| s.npv[a].push(v))?;
        route("roi", &mut |a, v| s.roi[a].push(v))?;
        for i in 0..s.paths.len() {
            let path = s.paths[i].clone();
            route(&path, &mut |a, v| s.x[a][i].push(v))?;
        }
        s.n = s.npv.first().map_or(0, Vec::len);
        Ok(s)
    }

    /// Whether input `i` takes more than one value in arm `arm`.
    pub fn varies(&self, arm: usize, i: usize) -> bool {
        let col = &self.x[arm][i];
        col.first().is_some_and(|f| col.iter().any(|v| v != f))
    }
}

/// A parameter path in plain words: `initiative.upfront_cost` -> `upfront cost`,
/// `alignment.culture` -> `culture alignment`, `effects.trust` -> `trust effect weight`.
pub fn plain_name(path: &str) -> String {
    let (section, key) = path.split_once('.').unwrap_or(("", path));
    let key = key.replace('_', " ");
    match section {
        "alignment" => format!("{key} alignment"),
        "effects" => format!("{key} effect weight"),
        "kpi" => format!("KPI {key}"),
        _ => key,
    }
}

/// Most trials a run's own tornado and EVPI use (see [`of_run`]).
pub const RUN_TRIALS_CAP: usize = 200_000;

/// The run's sensitivity, from its per-trial frame (at most its first [`RUN_TRIALS_CAP`]
/// trials): what `alignsim run` writes.
pub fn of_run(sc: &Scenario, model: &Model, trials: &DataFrame) -> Result<Sensitivity> {
    // Rank correlations and binned EVPI settle long before a million trials; the first
    // RUN_TRIALS_CAP trials (a fixed, seed-determined subset) keep big runs fast.
    let rows = (RUN_TRIALS_CAP * model.n_arms()).min(trials.height());
    let trials = trials.head(Some(rows));
    let samples =
        Samples::from_frame(model, &trials).context("reading the trials for sensitivity")?;
    Ok(Sensitivity::of_samples(sc, model.seed, &samples))
}
