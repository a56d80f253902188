//! The serialisable result of a run (`summary.json`): per arm, per pair of arms, and the
//! run's labels. [`ArmSummary::new`] and [`PairSummary::new`] are the only places an arm's or
//! a pair's statistics are put together, from the exact counts of a [`Tally`] and the
//! [`Figures`] of either backend.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::tally::{ArmTally, PairTally, Tally};
use super::{HEADLINE_BITS, MONTHLY_BITS, Sketch, binom_se, share, slices};
use crate::engine::{CHANNELS, Model};
use crate::scenario::{NSYM, PARAMS, Scenario, WorkField};

/// Version of MODEL.md the engine implements.
pub const MODEL_VERSION: &str = "2";

/// Distribution statistics of one per-trial figure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// Standard error of the mean: Monte Carlo `sd / sqrt(n)`, or from the slices of a
    /// Latin hypercube run (see [`Summary::standard_errors`]).
    pub se: Option<f64>,
    pub p5: Option<f64>,
    pub p10: Option<f64>,
    pub p25: Option<f64>,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
}

/// A mean with its 95 % interval (mean +- 1.96 standard errors).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Interval {
    pub mean: Option<f64>,
    pub lo95: Option<f64>,
    pub hi95: Option<f64>,
}

/// Mean contribution of each channel to net, in the currency.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Channels {
    pub uplift: Option<f64>,
    pub customers_lost: Option<f64>,
    pub labour: Option<f64>,
    pub kpi_value: Option<f64>,
    pub running_cost: Option<f64>,
    pub incident_cost: Option<f64>,
    pub upfront: Option<f64>,
    pub scale_up: Option<f64>,
    /// Model v2: what discoveries added, and the preparation's cost (negative).
    #[serde(default)]
    pub discoveries: Option<f64>,
    #[serde(default)]
    pub preparation: Option<f64>,
}

impl Channels {
    /// The channels of their means in [`CHANNELS`] order.
    pub fn of(m: [Option<f64>; CHANNELS.len()]) -> Channels {
        Channels {
            uplift: m[0],
            customers_lost: m[1],
            labour: m[2],
            kpi_value: m[3],
            running_cost: m[4],
            incident_cost: m[5],
            upfront: m[6],
            scale_up: m[7],
            discoveries: m[8],
            preparation: m[9],
        }
    }

    /// The channels as (name, mean) pairs in [`CHANNELS`] order.
    pub fn entries(&self) -> [(&'static str, Option<f64>); CHANNELS.len()] {
        [
            ("uplift", self.uplift),
            ("customers_lost", self.customers_lost),
            ("labour", self.labour),
            ("kpi_value", self.kpi_value),
            ("running_cost", self.running_cost),
            ("incident_cost", self.incident_cost),
            ("upfront", self.upfront),
            ("scale_up", self.scale_up),
            ("discoveries", self.discoveries),
            ("preparation", self.preparation),
        ]
    }
}

/// Everything reported about one arm.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArmSummary {
    pub name: String,
    pub label: String,
    pub roi: Stats,
    pub npv: Stats,
    pub net: Stats,
    pub p_roi_negative: Option<f64>,
    pub p_npv_negative: Option<f64>,
    /// P(npv > 0): the chance to beat doing nothing.
    #[serde(default)]
    pub p_npv_positive: Option<f64>,
    pub npv_var5: Option<f64>,
    pub npv_cvar5: Option<f64>,
    pub p_payback: Option<f64>,
    pub payback_median: Option<f64>,
    pub p_dropped: Option<f64>,
    /// Shares of the trials dropped at the gate, at a review and by the hazard; they add
    /// up to `p_dropped` (model v2).
    #[serde(default)]
    pub p_dropped_by: DroppedBy,
    /// Mean number of discoveries made (model v2).
    #[serde(default)]
    pub discoveries_mean: Option<f64>,
    /// The `[[work]]` packages the arm prepares before it starts (model v2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prepare: Vec<String>,
    pub revenue_retained_mean: Option<f64>,
    pub incidents_mean: Option<f64>,
    pub adoption_final_mean: Option<f64>,
    pub kpi_final_mean: Option<f64>,
    pub channels: Channels,
    pub roi_nan: u64,
    pub clamped: BTreeMap<String, u64>,
    /// Standard errors of the headline probabilities (binomial, or from the slices of a
    /// Latin hypercube run).
    pub p_roi_negative_se: Option<f64>,
    pub p_npv_negative_se: Option<f64>,
    #[serde(default)]
    pub p_npv_positive_se: Option<f64>,
    pub p_payback_se: Option<f64>,
    pub p_dropped_se: Option<f64>,
    pub investment_mean: Option<f64>,
}

/// Shares of the trials dropped by each cause.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct DroppedBy {
    pub gate: Option<f64>,
    pub review: Option<f64>,
    pub hazard: Option<f64>,
}

/// Paired comparison of two arms on the same trials.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PairSummary {
    pub a: String,
    pub b: String,
    /// P(npv of a > npv of b), strict.
    pub p_a_npv_greater: Option<f64>,
    pub npv_diff: Interval,
    pub roi_diff: Interval,
}

/// What a run recommends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Start the arm named in `Decision::arm`.
    Arm,
    /// Do not start: no arm's mean NPV is above 0.
    #[default]
    DoNothing,
    /// Too close to call: see `Decision::reason`.
    TooClose,
}

/// The recommended choice, why, and the sentence the terminal and the report lead with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub choice: Choice,
    /// The recommended arm; `None` unless `choice` is `arm`.
    pub arm: Option<String>,
    pub reason: String,
    pub sentence: String,
}

/// A `--precision` run's target (see [`crate::convergence`]) and outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Precision {
    pub target: f64,
    pub converged: bool,
}

/// The labels of the scenario's KPI.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KpiInfo {
    pub name: String,
    pub unit: String,
}

/// The whole result of a run, as written to `summary.json`. It holds no timings, so the
/// same inputs give the same bytes on any machine and thread count.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub title: String,
    pub currency: String,
    pub horizon_months: u32,
    pub trials: u64,
    pub seed: u64,
    pub arms: Vec<ArmSummary>,
    pub pairs: Vec<PairSummary>,
    pub model_version: String,
    pub discount_rate_annual: f64,
    pub kpi: Option<KpiInfo>,
    /// `monte_carlo` or `latin_hypercube`.
    pub sampling: String,
    /// How a Latin hypercube run's standard errors were computed; absent for plain Monte
    /// Carlo, whose standard errors are `sd / sqrt(n)` and binomial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_errors: Option<StandardErrors>,
    /// The `--precision` target and whether it was met, when the run used one.
    pub precision: Option<Precision>,
    /// What +0.1 of each alignment score is worth, per arm (MODEL.md 8.4), on the run's
    /// first trials (`--levers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levers: Option<crate::analysis::levers::Levers>,
    /// The number of trials the levers were computed on (the run's first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levers_trials: Option<u64>,
    /// Spearman correlations imposed between inputs: `[path a, path b, rho]`.
    pub correlations: Vec<(String, String, f64)>,
    /// How the quantiles were computed (exact, or a sketch with its error bound).
    #[serde(default)]
    pub quantiles: Quantiles,
    /// What the run recommends (`Decision::of`, in [`super::decision`]); an older summary without one gets it
    /// when it is read back ([`Summary::decided`]).
    #[serde(default)]
    pub decision: Decision,
    /// The share of each arm's trials that meet each target, by target then arm in the
    /// scenario's order; absent without targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetResult>,
}

impl Summary {
    /// A run's summary: the scenario's labels, the arms' and pairs' statistics over `n`
    /// trials, the share of them meeting each of the model's targets (from `tally`), how
    /// its quantiles were computed, and the decision they lead to.
    pub fn new(
        sc: &Scenario,
        model: &Model,
        n: u64,
        tally: &Tally,
        arms: Vec<ArmSummary>,
        pairs: Vec<PairSummary>,
        quantiles: Quantiles,
    ) -> Summary {
        let summary = Summary {
            scenario: sc.name.clone(),
            title: sc.title.clone(),
            currency: sc.currency.clone(),
            horizon_months: sc.horizon_months,
            trials: n,
            seed: model.seed,
            arms,
            pairs,
            model_version: MODEL_VERSION.to_string(),
            discount_rate_annual: sc.discount_rate_annual,
            kpi: sc.kpi.as_ref().map(|k| KpiInfo {
                name: k.name.clone(),
                unit: k.unit.clone(),
            }),
            sampling: match model.sampling {
                crate::engine::Sampling::MonteCarlo => "monte_carlo".into(),
                crate::engine::Sampling::LatinHypercube { .. } => "latin_hypercube".into(),
            },
            standard_errors: StandardErrors::of(model.sampling),
            correlations: correlation_pairs(sc),
            precision: None,
            levers: None,
            levers_trials: None,
            quantiles,
            decision: Decision::default(),
            targets: TargetResult::of(model, tally),
        };
        summary.decided()
    }

    /// The summary with its [`Decision`] computed from its arms and pairs (for a summary
    /// read from a `summary.json` written before runs stated one).
    pub fn decided(mut self) -> Summary {
        self.decision = Decision::of(&self);
        self
    }
}

/// How the standard errors of a Latin hypercube run were computed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StandardErrors {
    /// `sliced_lhs`: from the spread of the means of the run's slices (MODEL.md 6.3a).
    pub method: String,
    /// The number of slices.
    pub slices: u64,
}

impl StandardErrors {
    /// The method for `sampling`; `None` for plain Monte Carlo.
    pub fn of(sampling: crate::engine::Sampling) -> Option<StandardErrors> {
        let slices = sampling.slices();
        (slices > 0).then(|| StandardErrors {
            method: "sliced_lhs".into(),
            slices,
        })
    }
}

/// The share of one arm's trials that meet one target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetResult {
    /// The target, normalised (`roi >= 0.5`).
    pub expr: String,
    pub arm: String,
    /// The share of the arm's trials that meet the target, `None` without trials.
    pub p: Option<f64>,
    /// The binomial standard error of `p`.
    pub se: Option<f64>,
}

impl TargetResult {
    /// Every target of `model` in every arm, from the counts of `tally`.
    pub fn of(model: &Model, tally: &Tally) -> Vec<TargetResult> {
        let mut out = Vec::new();
        for (ti, target) in model.targets.iter().enumerate() {
            for (arm, t) in model.arms.iter().zip(&tally.arms) {
                let p = share(t.targets[ti], t.rows);
                let sliced = (!t.slices.is_empty())
                    .then(|| slices::se(&t.slices, slices::ARM_FIGURES.len() + ti));
                out.push(TargetResult {
                    expr: target.expr.clone(),
                    arm: arm.name.clone(),
                    p,
                    se: sliced.unwrap_or_else(|| binom_se(p, t.rows as f64)),
                });
            }
        }
        out
    }
}

/// How a summary's quantiles (percentiles, VaR, CVaR, monthly bands) were computed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Quantiles {
    /// `exact` (from every trial's value) or `sketch` (from a mergeable histogram whose
    /// buckets bound the error, for runs too large to hold every trial in memory).
    pub method: String,
    /// For a sketch: the largest error of a reported percentile, VaR or CVaR, relative to
    /// the magnitude of the values it lies between.
    pub relative_error: Option<f64>,
    /// For a sketch: the same bound for the monthly bands.
    pub monthly_relative_error: Option<f64>,
}

impl Quantiles {
    pub fn exact() -> Quantiles {
        Quantiles {
            method: "exact".into(),
            relative_error: None,
            monthly_relative_error: None,
        }
    }
}

impl Default for Quantiles {
    fn default() -> Quantiles {
        Quantiles::exact()
    }
}

impl Quantiles {
    /// A sketched summary's method and error bounds.
    pub fn sketch() -> Quantiles {
        Quantiles {
            method: "sketch".into(),
            relative_error: Some(Sketch::new(HEADLINE_BITS).relative_error()),
            monthly_relative_error: Some(Sketch::new(MONTHLY_BITS).relative_error()),
        }
    }

    /// The method of a summary of `trials` trials, exact or sketched.
    pub fn of(sketch: bool) -> Quantiles {
        if sketch {
            Quantiles::sketch()
        } else {
            Quantiles::exact()
        }
    }
}

/// The figures of one arm that need its values, not only counts: what each backend
/// ([`super::exact`], [`super::sketched`]) computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub roi: Stats,
    pub npv: Stats,
    pub net: Stats,
    /// Mean of the NPVs at or below VaR 5 %.
    pub npv_cvar5: Option<f64>,
    pub revenue_retained_mean: Option<f64>,
    pub incidents_mean: Option<f64>,
    pub adoption_final_mean: Option<f64>,
    pub kpi_final_mean: Option<f64>,
    pub investment_mean: Option<f64>,
    pub channels: Channels,
}

/// The figures of a pair of arms that need the values: the mean paired differences.
#[derive(Debug, Clone, PartialEq)]
pub struct PairFigures {
    pub npv_diff: Interval,
    pub roi_diff: Interval,
}

impl ArmSummary {
    /// Arm `i` of `model`: its exact counts, its figures from either backend and its
    /// clamped draws (`clamped`, per arm and parameter as the engine counts them).
    pub fn new(model: &Model, i: usize, t: &ArmTally, f: Figures, clamped: &[u64]) -> ArmSummary {
        let arm = &model.arms[i];
        let n = t.rows as f64;
        let p_roi_negative = share(t.roi_negative, t.roi_rows);
        let p_npv_negative = share(t.npv_negative, t.rows);
        let p_npv_positive = t.p_npv_positive();
        let p_payback = share(t.paid_back, t.rows);
        let p_dropped = share(t.dropped, t.rows);
        let [gate, review, hazard] = t.dropped_by.map(|c| share(c, t.rows));
        let summary = ArmSummary {
            p_dropped_by: DroppedBy {
                gate,
                review,
                hazard,
            },
            discoveries_mean: share(t.discoveries, t.rows),
            prepare: arm
                .prepare
                .iter()
                .map(|&w| model.work[w].name.clone())
                .collect(),
            name: arm.name.clone(),
            label: arm.label.clone(),
            p_roi_negative,
            p_npv_negative,
            p_npv_positive,
            npv_var5: f.npv.p5,
            npv_cvar5: f.npv_cvar5,
            p_payback,
            payback_median: t.payback_median(),
            p_dropped,
            revenue_retained_mean: f.revenue_retained_mean,
            incidents_mean: f.incidents_mean,
            adoption_final_mean: f.adoption_final_mean,
            kpi_final_mean: f.kpi_final_mean,
            channels: f.channels,
            roi_nan: t.rows - t.roi_rows,
            clamped: clamped_map(model, i, clamped),
            p_roi_negative_se: binom_se(p_roi_negative, t.roi_rows as f64),
            p_npv_negative_se: binom_se(p_npv_negative, n),
            p_npv_positive_se: binom_se(p_npv_positive, n),
            p_payback_se: binom_se(p_payback, n),
            p_dropped_se: binom_se(p_dropped, n),
            investment_mean: f.investment_mean,
            roi: f.roi,
            npv: f.npv,
            net: f.net,
        };
        summary.sliced(t)
    }

    /// The summary with the standard errors of a Latin hypercube run's slices (`t`'s),
    /// when it has slices.
    fn sliced(mut self, t: &ArmTally) -> ArmSummary {
        if t.slices.is_empty() {
            return self;
        }
        let se = |f: usize| slices::se(&t.slices, f);
        self.npv.se = se(slices::NPV);
        self.roi.se = se(slices::ROI);
        self.net.se = se(slices::NET);
        self.p_npv_negative_se = se(slices::NPV_NEGATIVE);
        self.p_roi_negative_se = se(slices::ROI_NEGATIVE);
        self.p_npv_positive_se = se(slices::NPV_POSITIVE);
        self.p_payback_se = se(slices::PAID_BACK);
        self.p_dropped_se = se(slices::DROPPED);
        self
    }
}

impl PairSummary {
    /// Arms `a` and `b` of `model` on the same trials.
    pub fn new(
        model: &Model,
        (a, b): (usize, usize),
        t: &PairTally,
        f: PairFigures,
    ) -> PairSummary {
        let sliced = |i: usize, d: Interval| {
            if t.slices.is_empty() {
                d
            } else {
                Interval::of(d.mean, slices::se(&t.slices, i))
            }
        };
        PairSummary {
            a: model.arms[a].name.clone(),
            b: model.arms[b].name.clone(),
            p_a_npv_greater: share(t.a_greater, t.rows),
            npv_diff: sliced(0, f.npv_diff),
            roi_diff: sliced(1, f.roi_diff),
        }
    }
}

impl Interval {
    /// The 95 % interval of a mean with standard error `se`: mean +- 1.96 se.
    pub fn of(mean: Option<f64>, se: Option<f64>) -> Interval {
        Interval {
            mean,
            lo95: mean.zip(se).map(|(x, s)| x - 1.96 * s),
            hi95: mean.zip(se).map(|(x, s)| x + 1.96 * s),
        }
    }
}

/// Clamped draws of arm `i`, by the path of every parameter that varies in that arm.
fn clamped_map(model: &Model, i: usize, counts: &[u64]) -> BTreeMap<String, u64> {
    let arm = &model.arms[i];
    let counts = &counts[i * model.clamp_stride()..][..model.clamp_stride()];
    let params = PARAMS
        .iter()
        .filter(|def| !model.slots[arm.slot[def.sym as usize]].dist.is_fixed())
        .map(|def| (def.path(), counts[def.sym as usize]));
    let work = arm.prepare.iter().flat_map(|&wi| {
        let w = &model.work[wi];
        WorkField::ALL
            .into_iter()
            .filter(|f| !model.slots[w.slot[*f as usize]].dist.is_fixed())
            .map(move |f| (f.path(&w.name), counts[NSYM + 3 * wi + f as usize]))
    });
    params.chain(work).collect()
}

/// The Spearman correlations a scenario imposes: `[path a, path b, rho]` for every pair
/// with a non-zero coefficient.
fn correlation_pairs(sc: &Scenario) -> Vec<(String, String, f64)> {
    let Some(c) = &sc.correlation else {
        return Vec::new();
    };
    let n = c.paths.len();
    let mut out = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if c.spearman[i * n + j] != 0.0 {
                out.push((
                    c.paths[i].clone(),
                    c.paths[j].clone(),
                    c.spearman[i * n + j],
                ));
            }
        }
    }
    out
}
