//! Aggregation with Polars: the engine's batches become one frame of per-trial results
//! (one row per trial and arm), the statistics of MODEL.md section 6 are computed by
//! group-by over that frame, paired statistics by joining arms on the trial number, and the
//! monthly bands by quantiles over the monthly paths. Everything the outputs need comes
//! back as one serialisable [`Summary`] plus the frames.

use std::collections::BTreeMap;
use std::mem::take;

use anyhow::Result;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::months::FIXED_ONE;
use crate::engine::{Batch, CHANNELS, Model, NO_MONTH};
use crate::scenario::{NSYM, PARAMS, Scenario};

/// Quantile levels reported for each headline distribution.
pub(crate) const LEVELS: [(&str, f64); 7] = [
    ("p5", 0.05),
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p95", 0.95),
];
/// Quantile levels of the monthly bands.
pub(crate) const BANDS: [(&str, f64); 5] = [
    ("p5", 0.05),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p95", 0.95),
];
/// Version of MODEL.md the engine implements.
pub const MODEL_VERSION: &str = "1";

/// Distribution statistics of one per-trial figure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// Monte Carlo standard error of the mean.
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
}

impl Channels {
    /// The channels as (name, mean) pairs in MODEL.md order.
    pub fn entries(&self) -> [(&'static str, Option<f64>); 8] {
        [
            ("uplift", self.uplift),
            ("customers_lost", self.customers_lost),
            ("labour", self.labour),
            ("kpi_value", self.kpi_value),
            ("running_cost", self.running_cost),
            ("incident_cost", self.incident_cost),
            ("upfront", self.upfront),
            ("scale_up", self.scale_up),
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
    pub npv_var5: Option<f64>,
    pub npv_cvar5: Option<f64>,
    pub p_payback: Option<f64>,
    pub payback_median: Option<f64>,
    pub p_dropped: Option<f64>,
    pub revenue_retained_mean: Option<f64>,
    pub incidents_mean: Option<f64>,
    pub adoption_final_mean: Option<f64>,
    pub kpi_final_mean: Option<f64>,
    pub channels: Channels,
    pub roi_nan: u64,
    pub clamped: BTreeMap<String, u64>,
    /// Standard errors of the headline probabilities (binomial).
    pub p_roi_negative_se: Option<f64>,
    pub p_npv_negative_se: Option<f64>,
    pub p_payback_se: Option<f64>,
    pub p_dropped_se: Option<f64>,
    pub investment_mean: Option<f64>,
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
    /// The `--precision` target and whether it was met, when the run used one.
    pub precision: Option<Precision>,
    /// Spearman correlations imposed between inputs: `[path a, path b, rho]`.
    pub correlations: Vec<(String, String, f64)>,
    /// How the quantiles were computed (exact, or a sketch with its error bound).
    #[serde(default)]
    pub quantiles: Quantiles,
}

impl Summary {
    /// A run's summary: the scenario's labels, the arms' and pairs' statistics over `n`
    /// trials and how its quantiles were computed.
    pub fn new(
        sc: &Scenario,
        model: &Model,
        n: u64,
        arms: Vec<ArmSummary>,
        pairs: Vec<PairSummary>,
        quantiles: Quantiles,
    ) -> Summary {
        Summary {
            scenario: sc.name.clone(),
            title: sc.title.clone(),
            currency: sc.currency.clone(),
            horizon_months: sc.horizon_months,
            trials: n,
            seed: sc.seed,
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
            correlations: correlation_pairs(sc),
            precision: None,
            quantiles,
        }
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

/// The frames behind a summary: per-trial rows and monthly bands.
pub struct Frames {
    pub trials: DataFrame,
    pub monthly: DataFrame,
}

/// Collects the engine's batches, in trial order, into columns. Each batch is reduced to
/// its rows as it arrives and can be dropped at once.
pub struct Accumulator<'m> {
    model: &'m Model,
    has_kpi: bool,
    n: u64,
    trial: Vec<u64>,
    arm: Vec<u32>,
    inputs: Vec<Vec<f64>>,
    net: Vec<f64>,
    npv: Vec<f64>,
    investment: Vec<f64>,
    roi: Vec<Option<f64>>,
    payback: Vec<Option<u32>>,
    dropped: Vec<bool>,
    dropped_month: Vec<Option<u32>>,
    go_live: Vec<u32>,
    retained: Vec<f64>,
    adoption_final: Vec<f64>,
    incidents: Vec<u64>,
    kpi: Vec<Option<f64>>,
    channels: Vec<Vec<f64>>,
    /// Cumulative cash flow after month `t`, one column per month.
    months: Vec<Vec<f64>>,
    adoption_sum: Vec<i128>,
    revenue_base_sum: Vec<i128>,
    /// Clamped draws per arm and parameter.
    clamped: Vec<u64>,
    /// Whether `months` is filled (the monthly paths are only needed for exact bands).
    keep_paths: bool,
}

impl<'m> Accumulator<'m> {
    pub fn new(model: &'m Model, has_kpi: bool) -> Self {
        let h1 = model.horizon + 1;
        let n_arms = model.n_arms();
        Accumulator {
            model,
            has_kpi,
            n: 0,
            trial: Vec::new(),
            arm: Vec::new(),
            inputs: vec![Vec::new(); model.varying.len()],
            net: Vec::new(),
            npv: Vec::new(),
            investment: Vec::new(),
            roi: Vec::new(),
            payback: Vec::new(),
            dropped: Vec::new(),
            dropped_month: Vec::new(),
            go_live: Vec::new(),
            retained: Vec::new(),
            adoption_final: Vec::new(),
            incidents: Vec::new(),
            kpi: Vec::new(),
            channels: vec![Vec::new(); CHANNELS.len()],
            months: vec![Vec::new(); h1],
            adoption_sum: vec![0; n_arms * h1],
            revenue_base_sum: vec![0; n_arms * h1],
            clamped: vec![0; n_arms * NSYM],
            keep_paths: true,
        }
    }

    /// An accumulator of per-trial rows only, without the monthly paths: what the
    /// streaming path ([`crate::stream`]) keeps of the first trials and buffers for Parquet.
    pub fn rows_only(model: &'m Model, has_kpi: bool) -> Self {
        let mut acc = Accumulator::new(model, has_kpi);
        acc.keep_paths = false;
        acc.months = Vec::new();
        acc
    }

    /// Number of rows (trials times arms) held.
    pub fn rows(&self) -> usize {
        self.arm.len()
    }

    /// Adds one batch; batches must arrive in trial order.
    pub fn push(&mut self, b: &Batch) {
        self.push_until(b, u64::MAX);
    }

    /// Adds the trials of a batch that come before trial `end`; batches must arrive in
    /// trial order.
    pub fn push_until(&mut self, b: &Batch, end: u64) {
        let n_arms = self.model.n_arms();
        let month = |m: u32| (m != NO_MONTH).then_some(m);
        let take = end.saturating_sub(b.first_trial).min(b.n as u64) as usize;
        if take == 0 {
            return;
        }
        for (row, o) in b.outcomes[..take * n_arms].iter().enumerate() {
            self.trial.push(b.first_trial + (row / n_arms) as u64);
            self.arm.push((row % n_arms) as u32);
            self.net.push(o.net);
            self.npv.push(o.npv);
            self.investment.push(o.investment);
            self.roi.push(o.roi.is_finite().then_some(o.roi));
            self.payback.push(month(o.payback_month));
            self.dropped.push(o.dropped);
            self.dropped_month.push(month(o.dropped_month));
            self.go_live.push(o.go_live_month);
            self.retained.push(o.revenue_retained);
            self.adoption_final.push(o.adoption_final);
            self.incidents.push(o.incidents);
            self.kpi.push(self.has_kpi.then_some(o.kpi_final));
            for (c, v) in self.channels.iter_mut().zip(o.channels) {
                c.push(v);
            }
        }
        if self.keep_paths {
            // Rows are trials, then arms.
            for (t, col) in self.months.iter_mut().enumerate() {
                let arms: Vec<&[f64]> = (0..n_arms).map(|ai| b.cum_cf(ai, t)).collect();
                col.extend((0..take).flat_map(|j| arms.iter().map(move |a| a[j])));
            }
        }
        let k = self.inputs.len();
        for (j, col) in self.inputs.iter_mut().enumerate() {
            let rows = &b.inputs[..take * n_arms * k];
            col.extend(rows.iter().skip(j).step_by(k.max(1)));
        }
        if take < b.n {
            // A part of a batch: its sums cover trials this accumulator does not hold.
            self.n += take as u64;
            return;
        }
        // Fixed-point sums: exact, so the same bits for any split of the trials.
        for (acc, x) in self.adoption_sum.iter_mut().zip(&b.adoption_sum) {
            *acc += x;
        }
        for (acc, x) in self.revenue_base_sum.iter_mut().zip(&b.revenue_base_sum) {
            *acc += x;
        }
        for (acc, x) in self.clamped.iter_mut().zip(&b.clamped) {
            *acc += x;
        }
        self.n += b.n as u64;
    }

    fn arm_names(&self) -> Vec<&'m str> {
        let names: Vec<&str> = self.model.arms.iter().map(|a| a.name.as_str()).collect();
        self.arm.iter().map(|&i| names[i as usize]).collect()
    }

    /// The monthly paths (cumulative cash flow after each month), one row per trial and
    /// arm, columns `m0..mH`: what a shard keeps so that a merge can compute exact bands.
    pub fn take_paths(&mut self) -> Result<DataFrame> {
        let rows = self.arm.len();
        let cols = self
            .months
            .iter_mut()
            .enumerate()
            .map(|(t, v)| Column::new(format!("m{t}").into(), take(v)))
            .collect();
        Ok(DataFrame::new(rows, cols)?)
    }

    /// The fixed-point monthly sums, clamp counts and trial count (see [`Accumulator::absorb`]).
    pub fn totals(&self) -> (Vec<i128>, Vec<i128>, Vec<u64>, u64) {
        (
            self.adoption_sum.clone(),
            self.revenue_base_sum.clone(),
            self.clamped.clone(),
            self.n,
        )
    }

    /// Adds a shard's results: its per-trial frame, monthly paths and totals, as written by
    /// a shard run. Shards must be absorbed in trial order.
    pub fn absorb(
        &mut self,
        trials: &DataFrame,
        paths: &DataFrame,
        totals: (&[i128], &[i128], &[u64], u64),
    ) -> Result<()> {
        let f = |name: &str| -> Result<Vec<f64>> {
            Ok(trials.column(name)?.f64()?.into_no_null_iter().collect())
        };
        let names: Vec<&str> = self.model.arms.iter().map(|a| a.name.as_str()).collect();
        for arm in trials.column("arm")?.str()?.iter().flatten() {
            let i = names
                .iter()
                .position(|n| *n == arm)
                .ok_or_else(|| anyhow::anyhow!("unknown arm {arm:?} in a shard"))?;
            self.arm.push(i as u32);
        }
        self.trial
            .extend(trials.column("trial")?.u64()?.into_no_null_iter());
        for (sym, col) in self.model.varying.iter().zip(&mut self.inputs) {
            col.extend(f(&PARAMS[*sym as usize].path())?);
        }
        self.net.extend(f("net")?);
        self.npv.extend(f("npv")?);
        self.investment.extend(f("investment")?);
        self.roi.extend(trials.column("roi")?.f64()?.iter());
        self.payback
            .extend(trials.column("payback_month")?.u32()?.iter());
        self.dropped.extend(
            trials
                .column("dropped")?
                .bool()?
                .iter()
                .map(|d| d == Some(true)),
        );
        self.dropped_month
            .extend(trials.column("dropped_month")?.u32()?.iter());
        self.go_live
            .extend(trials.column("go_live_month")?.u32()?.into_no_null_iter());
        self.retained.extend(f("revenue_retained")?);
        self.adoption_final.extend(f("adoption_final")?);
        self.incidents
            .extend(trials.column("incidents")?.u64()?.into_no_null_iter());
        self.kpi.extend(trials.column("kpi_final")?.f64()?.iter());
        for (name, col) in CHANNELS.iter().zip(&mut self.channels) {
            col.extend(f(&format!("channel_{name}"))?);
        }
        for (t, col) in self.months.iter_mut().enumerate() {
            col.extend(paths.column(&format!("m{t}"))?.f64()?.into_no_null_iter());
        }
        let (adoption, revenue, clamped, n) = totals;
        for (a, x) in self.adoption_sum.iter_mut().zip(adoption) {
            *a += x;
        }
        for (a, x) in self.revenue_base_sum.iter_mut().zip(revenue) {
            *a += x;
        }
        for (a, x) in self.clamped.iter_mut().zip(clamped) {
            *a += x;
        }
        self.n += n;
        Ok(())
    }

    /// The per-trial frame: one row per trial and arm.
    pub fn trials_frame(&mut self) -> Result<DataFrame> {
        let rows = self.trial.len();
        let mut cols = vec![
            Column::new("trial".into(), take(&mut self.trial)),
            Column::new("arm".into(), self.arm_names()),
        ];
        self.arm.clear();
        for (sym, vals) in self.model.varying.iter().zip(&mut self.inputs) {
            cols.push(Column::new(PARAMS[*sym as usize].path().into(), take(vals)));
        }
        cols.extend([
            Column::new("net".into(), take(&mut self.net)),
            Column::new("npv".into(), take(&mut self.npv)),
            Column::new("investment".into(), take(&mut self.investment)),
            Column::new("roi".into(), take(&mut self.roi)),
            Column::new("payback_month".into(), take(&mut self.payback)),
            Column::new("dropped".into(), take(&mut self.dropped)),
            Column::new("dropped_month".into(), take(&mut self.dropped_month)),
            Column::new("go_live_month".into(), take(&mut self.go_live)),
            Column::new("revenue_retained".into(), take(&mut self.retained)),
            Column::new("adoption_final".into(), take(&mut self.adoption_final)),
            Column::new("incidents".into(), take(&mut self.incidents)),
            Column::new("kpi_final".into(), take(&mut self.kpi)),
        ]);
        for (name, vals) in CHANNELS.iter().zip(&mut self.channels) {
            cols.push(Column::new(format!("channel_{name}").into(), take(vals)));
        }
        Ok(DataFrame::new(rows, cols).context("building the per-trial frame")?)
    }

    /// Aggregates everything pushed so far.
    pub fn finish(mut self, sc: &Scenario) -> Result<(Summary, Frames)> {
        let monthly = self.monthly_frame()?;
        let trials = self.trials_frame()?;
        let arms = arm_stats(sc, self.model, &self.clamped, &trials)?;
        let pairs = pair_stats(self.model, &trials)?;
        let summary = Summary::new(sc, self.model, self.n, arms, pairs, Quantiles::exact());
        Ok((summary, Frames { trials, monthly }))
    }

    /// Per arm and month: bands of cumulative cash flow, mean adoption and revenue base.
    fn monthly_frame(&mut self) -> Result<DataFrame> {
        let h1 = self.model.horizon + 1;
        let rows = self.arm.len();
        let mut cols = vec![Column::new("arm".into(), self.arm_names())];
        for (t, vals) in self.months.iter_mut().enumerate() {
            cols.push(Column::new(format!("m{t}").into(), std::mem::take(vals)));
        }
        let wide = DataFrame::new(rows, cols)?;
        let mut exprs = Vec::new();
        for t in 0..h1 {
            for (label, q) in BANDS {
                exprs.push(
                    col(format!("m{t}"))
                        .quantile(lit(q), QuantileMethod::Linear)
                        .alias(format!("{label}_{t}")),
                );
            }
        }
        let bands = wide
            .lazy()
            .group_by_stable([col("arm")])
            .agg(exprs)
            .collect()
            .context("computing monthly bands")?;
        let mut table = Vec::with_capacity(self.model.arms.len() * h1);
        for ai in 0..self.model.arms.len() {
            for t in 0..h1 {
                let mut row = [None; BANDS.len()];
                for (bi, (label, _)) in BANDS.iter().enumerate() {
                    row[bi] = bands.column(&format!("{label}_{t}"))?.f64()?.get(ai);
                }
                table.push(row);
            }
        }
        monthly_table(
            self.model,
            self.n,
            &table,
            &self.adoption_sum,
            &self.revenue_base_sum,
        )
    }
}

/// The monthly frame: per arm and month, the bands of cumulative cash flow (`bands`,
/// indexed `arm * (H + 1) + month`, in [`BANDS`] order) and the mean adoption and revenue
/// base from their fixed-point sums over `n` trials.
pub(crate) fn monthly_table(
    model: &Model,
    n: u64,
    bands: &[[Option<f64>; BANDS.len()]],
    adoption_sum: &[i128],
    revenue_base_sum: &[i128],
) -> Result<DataFrame> {
    let h1 = model.horizon + 1;
    let n = n as f64;
    let mut arm_col = Vec::new();
    let mut month = Vec::new();
    let mut band_vals: Vec<Vec<Option<f64>>> = vec![Vec::new(); BANDS.len()];
    let mut adoption = Vec::new();
    let mut revenue_base = Vec::new();
    for (ai, arm) in model.arms.iter().enumerate() {
        for t in 0..h1 {
            arm_col.push(arm.name.clone());
            month.push(t as u32);
            for (bi, vals) in band_vals.iter_mut().enumerate() {
                vals.push(bands[ai * h1 + t][bi]);
            }
            let mean = |sum: i128| sum as f64 / FIXED_ONE / n;
            adoption.push(mean(adoption_sum[ai * h1 + t]));
            revenue_base.push(mean(revenue_base_sum[ai * h1 + t]));
        }
    }
    let mut cols = vec![
        Column::new("arm".into(), arm_col),
        Column::new("month".into(), month),
    ];
    for ((label, _), vals) in BANDS.iter().zip(band_vals) {
        cols.push(Column::new((*label).into(), vals));
    }
    cols.push(Column::new("adoption_mean".into(), adoption));
    cols.push(Column::new("revenue_base_mean".into(), revenue_base));
    Ok(DataFrame::new(model.arms.len() * h1, cols).context("building the monthly frame")?)
}

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

/// Builds the per-trial frame from batches (a convenience for tests and tools).
pub fn trials_frame(model: &Model, batches: &[Batch], has_kpi: bool) -> Result<DataFrame> {
    let mut acc = Accumulator::new(model, has_kpi);
    batches.iter().for_each(|b| acc.push(b));
    acc.trials_frame()
}

/// Aggregates a run held in memory.
pub fn aggregate(sc: &Scenario, model: &Model, batches: &[Batch]) -> Result<(Summary, Frames)> {
    let mut acc = Accumulator::new(model, sc.kpi.is_some());
    batches.iter().for_each(|b| acc.push(b));
    acc.finish(sc)
}

fn f64col(name: &str) -> Expr {
    col(name).cast(DataType::Float64)
}

/// Mean, sd, se and quantiles of one column, aliased `{name}__{stat}`.
fn stats_exprs(name: &str) -> Vec<Expr> {
    let c = || f64col(name);
    let mut e = vec![
        c().mean().alias(format!("{name}__mean")),
        c().std(1).alias(format!("{name}__sd")),
        (c().std(1) / c().count().cast(DataType::Float64).sqrt()).alias(format!("{name}__se")),
    ];
    for (label, q) in LEVELS {
        e.push(
            c().quantile(lit(q), QuantileMethod::Linear)
                .alias(format!("{name}__{label}")),
        );
    }
    e
}

/// Share of rows (among non-null ones) where `pred` holds.
fn share(pred: Expr) -> Expr {
    pred.cast(DataType::Float64).mean()
}

fn arm_stats(
    sc: &Scenario,
    model: &Model,
    clamped_counts: &[u64],
    trials: &DataFrame,
) -> Result<Vec<ArmSummary>> {
    let h = f64::from(sc.horizon_months);
    let mut exprs = Vec::new();
    for name in ["roi", "npv", "net"] {
        exprs.extend(stats_exprs(name));
    }
    let npv = || col("npv");
    let var5 = || npv().quantile(lit(0.05), QuantileMethod::Linear);
    exprs.extend([
        share(col("roi").lt(lit(0.0))).alias("p_roi_negative"),
        col("roi")
            .count()
            .cast(DataType::Float64)
            .alias("roi_count"),
        share(npv().lt(lit(0.0))).alias("p_npv_negative"),
        var5().alias("npv_var5"),
        npv().filter(npv().lt_eq(var5())).mean().alias("npv_cvar5"),
        share(col("payback_month").is_not_null()).alias("p_payback"),
        f64col("payback_month")
            .fill_null(lit(1e18))
            .quantile(lit(0.5), QuantileMethod::Linear)
            .alias("payback_median"),
        share(col("dropped")).alias("p_dropped"),
        col("revenue_retained")
            .mean()
            .alias("revenue_retained_mean"),
        f64col("incidents").mean().alias("incidents_mean"),
        col("adoption_final").mean().alias("adoption_final_mean"),
        col("kpi_final").mean().alias("kpi_final_mean"),
        col("roi")
            .null_count()
            .cast(DataType::Float64)
            .alias("roi_nan"),
        col("investment").mean().alias("investment_mean"),
        len().cast(DataType::Float64).alias("n"),
    ]);
    for name in CHANNELS {
        exprs.push(
            col(format!("channel_{name}"))
                .mean()
                .alias(format!("ch__{name}")),
        );
    }
    let df = trials
        .clone()
        .lazy()
        .group_by_stable([col("arm")])
        .agg(exprs)
        .collect()
        .context("computing arm statistics")?;
    let mut out = Vec::new();
    for (i, arm) in model.arms.iter().enumerate() {
        let g = |name: &str| -> Result<Option<f64>> {
            Ok(df.column(name)?.f64()?.get(i).filter(|x| x.is_finite()))
        };
        let stats = |name: &str| -> Result<Stats> {
            let q = |l: &str| g(&format!("{name}__{l}"));
            Ok(Stats {
                mean: q("mean")?,
                sd: q("sd")?,
                se: q("se")?,
                p5: q("p5")?,
                p10: q("p10")?,
                p25: q("p25")?,
                p50: q("p50")?,
                p75: q("p75")?,
                p90: q("p90")?,
                p95: q("p95")?,
            })
        };
        let n = g("n")?.unwrap_or(0.0);
        let p_roi_negative = g("p_roi_negative")?;
        let p_npv_negative = g("p_npv_negative")?;
        let p_payback = g("p_payback")?;
        let p_dropped = g("p_dropped")?;
        let clamped = clamped_map(model, i, clamped_counts);
        let c = |name: &str| g(&format!("ch__{name}"));
        out.push(ArmSummary {
            name: arm.name.clone(),
            label: arm.label.clone(),
            roi: stats("roi")?,
            npv: stats("npv")?,
            net: stats("net")?,
            p_roi_negative,
            p_npv_negative,
            npv_var5: g("npv_var5")?,
            npv_cvar5: g("npv_cvar5")?,
            p_payback,
            payback_median: g("payback_median")?.filter(|m| *m <= h),
            p_dropped,
            revenue_retained_mean: g("revenue_retained_mean")?,
            incidents_mean: g("incidents_mean")?,
            adoption_final_mean: g("adoption_final_mean")?,
            kpi_final_mean: if sc.kpi.is_some() {
                g("kpi_final_mean")?
            } else {
                None
            },
            channels: Channels {
                uplift: c("uplift")?,
                customers_lost: c("customers_lost")?,
                labour: c("labour")?,
                kpi_value: c("kpi_value")?,
                running_cost: c("running_cost")?,
                incident_cost: c("incident_cost")?,
                upfront: c("upfront")?,
                scale_up: c("scale_up")?,
            },
            roi_nan: g("roi_nan")?.unwrap_or(0.0) as u64,
            clamped,
            p_roi_negative_se: binom_se(p_roi_negative, g("roi_count")?.unwrap_or(0.0)),
            p_npv_negative_se: binom_se(p_npv_negative, n),
            p_payback_se: binom_se(p_payback, n),
            p_dropped_se: binom_se(p_dropped, n),
            investment_mean: g("investment_mean")?,
        });
    }
    Ok(out)
}

/// Clamped draws of arm `i`, by the path of every parameter that varies in that arm.
pub(crate) fn clamped_map(model: &Model, i: usize, counts: &[u64]) -> BTreeMap<String, u64> {
    let arm = &model.arms[i];
    PARAMS
        .iter()
        .filter(|def| !model.slots[arm.slot[def.sym as usize]].dist.is_fixed())
        .map(|def| (def.path(), counts[i * NSYM + def.sym as usize]))
        .collect()
}

/// The binomial standard error of a share `p` of `n` trials.
pub(crate) fn binom_se(p: Option<f64>, n: f64) -> Option<f64> {
    p.filter(|_| n > 1.0).map(|p| (p * (1.0 - p) / n).sqrt())
}

fn pair_stats(model: &Model, trials: &DataFrame) -> Result<Vec<PairSummary>> {
    let mut out = Vec::new();
    let side = |name: &str, suffix: &str| {
        trials
            .clone()
            .lazy()
            .filter(col("arm").eq(lit(name.to_string())))
            .select([
                col("trial"),
                col("npv").alias(format!("npv_{suffix}")),
                col("roi").alias(format!("roi_{suffix}")),
            ])
    };
    for (i, a) in model.arms.iter().enumerate() {
        for b in &model.arms[i + 1..] {
            let joined = side(&a.name, "a").join(
                side(&b.name, "b"),
                [col("trial")],
                [col("trial")],
                JoinArgs::new(JoinType::Inner),
            );
            let interval = |d: fn() -> Expr, name: &str| {
                let se = d().std(1) / d().count().cast(DataType::Float64).sqrt();
                [
                    d().mean().alias(format!("{name}_mean")),
                    (d().mean() - lit(1.96) * se.clone()).alias(format!("{name}_lo")),
                    (d().mean() + lit(1.96) * se).alias(format!("{name}_hi")),
                ]
            };
            let mut exprs = vec![share(col("npv_a").gt(col("npv_b"))).alias("p_a_greater")];
            exprs.extend(interval(|| col("npv_a") - col("npv_b"), "npv"));
            exprs.extend(interval(|| col("roi_a") - col("roi_b"), "roi"));
            let df = joined
                .select(exprs)
                .collect()
                .with_context(|| format!("comparing arms {} and {}", a.name, b.name))?;
            let g = |name: &str| -> Result<Option<f64>> {
                Ok(df.column(name)?.f64()?.get(0).filter(|x| x.is_finite()))
            };
            out.push(PairSummary {
                a: a.name.clone(),
                b: b.name.clone(),
                p_a_npv_greater: g("p_a_greater")?,
                npv_diff: Interval {
                    mean: g("npv_mean")?,
                    lo95: g("npv_lo")?,
                    hi95: g("npv_hi")?,
                },
                roi_diff: Interval {
                    mean: g("roi_mean")?,
                    lo95: g("roi_lo")?,
                    hi95: g("roi_hi")?,
                },
            });
        }
    }
    Ok(out)
}
