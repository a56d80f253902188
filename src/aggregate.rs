//! Aggregation with Polars: the engine's batches become one frame of per-trial results
//! (one row per trial and arm), the statistics of MODEL.md section 6 are computed by
//! group-by over that frame, paired statistics by joining arms on the trial number, and the
//! monthly bands by quantiles over the monthly paths. Everything the outputs need comes
//! back as one serialisable [`Summary`] plus the frames.

use std::mem::take;

use anyhow::Result;
use polars::prelude::*;

use crate::engine::months::FIXED_ONE;
use crate::engine::{Batch, CHANNELS, DropCause, Model, NO_MONTH};
use crate::scenario::Scenario;
use crate::stats::slices::SliceRow;
use crate::stats::targets::Metrics;
use crate::stats::{self, Tally};
pub use crate::stats::{
    ArmSummary, BANDS, Channels, Interval, KpiInfo, LEVELS, MODEL_VERSION, PairSummary, Precision,
    Quantiles, Stats, Summary,
};

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
    dropped_by: Vec<DropCause>,
    discoveries: Vec<u32>,
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
            dropped_by: Vec::new(),
            discoveries: Vec::new(),
            go_live: Vec::new(),
            retained: Vec::new(),
            adoption_final: Vec::new(),
            incidents: Vec::new(),
            kpi: Vec::new(),
            channels: vec![Vec::new(); CHANNELS.len()],
            months: vec![Vec::new(); h1],
            adoption_sum: vec![0; n_arms * h1],
            revenue_base_sum: vec![0; n_arms * h1],
            clamped: vec![0; n_arms * model.clamp_stride()],
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

    /// An accumulator of what the summaries need, without the monthly paths or the input
    /// values: what a sweep point keeps until it is summarised.
    pub fn lean(model: &'m Model, has_kpi: bool) -> Self {
        let mut acc = Accumulator::rows_only(model, has_kpi);
        acc.inputs = Vec::new();
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
            self.dropped_by.push(o.dropped_by);
            self.discoveries.push(o.discoveries);
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
        for (v, col) in self.model.varying.iter().zip(&mut self.inputs) {
            col.extend(f(&v.path)?);
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
        for cause in trials.column("dropped_by")?.str()?.iter() {
            self.dropped_by.push(match cause {
                None => DropCause::None,
                Some(c) => DropCause::named(c)
                    .ok_or_else(|| anyhow::anyhow!("unknown drop cause {c:?} in a shard"))?,
            });
        }
        self.discoveries
            .extend(trials.column("discoveries")?.u32()?.into_no_null_iter());
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
        for (v, vals) in self.model.varying.iter().zip(&mut self.inputs) {
            cols.push(Column::new(v.path.as_str().into(), take(vals)));
        }
        cols.extend([
            Column::new("net".into(), take(&mut self.net)),
            Column::new("npv".into(), take(&mut self.npv)),
            Column::new("investment".into(), take(&mut self.investment)),
            Column::new("roi".into(), take(&mut self.roi)),
            Column::new("payback_month".into(), take(&mut self.payback)),
            Column::new("dropped".into(), take(&mut self.dropped)),
            Column::new("dropped_month".into(), take(&mut self.dropped_month)),
            Column::new(
                "dropped_by".into(),
                take(&mut self.dropped_by)
                    .into_iter()
                    .map(DropCause::name)
                    .collect::<Vec<_>>(),
            ),
            Column::new("discoveries".into(), take(&mut self.discoveries)),
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
        let (tally, arms, pairs, trials) = self.reduce()?;
        let summary = Summary::new(
            sc,
            self.model,
            self.n,
            &tally,
            arms,
            pairs,
            Quantiles::exact(),
        );
        Ok((summary, Frames { trials, monthly }))
    }

    /// The exact counts, the arms' and pairs' summaries and the per-trial frame of every
    /// row held.
    ///
    /// # Errors
    /// A frame Polars cannot build.
    pub fn reduce(&mut self) -> Result<(Tally, Vec<ArmSummary>, Vec<PairSummary>, DataFrame)> {
        let (tally, arms, trials) = self.reduce_rows()?;
        let pairs = stats::exact::pair_summaries(self.model, &tally, &trials)?;
        Ok((tally, arms, pairs, trials))
    }

    /// The exact counts and the arms' summaries of every row held, without the pairs:
    /// what a sweep point reports.
    ///
    /// # Errors
    /// A frame Polars cannot build.
    pub fn reduce_arms(&mut self) -> Result<(Tally, Vec<ArmSummary>)> {
        let (tally, arms, _) = self.reduce_rows()?;
        Ok((tally, arms))
    }

    fn reduce_rows(&mut self) -> Result<(Tally, Vec<ArmSummary>, DataFrame)> {
        let tally = self.tally();
        let trials = self.trials_frame()?;
        let arms =
            stats::exact::arm_summaries(self.model, self.has_kpi, &tally, &self.clamped, &trials)?;
        Ok((tally, arms, trials))
    }

    /// The exact counts of every row held (rows are trials, then arms), with the slice
    /// moments of a Latin hypercube run.
    fn tally(&self) -> Tally {
        let n_arms = self.model.n_arms();
        let targets = &self.model.targets;
        let mut t =
            Tally::new(n_arms, self.model.horizon, targets).sliced(self.model.sampling.slices());
        let roi = |i: usize| self.roi[i].unwrap_or(f64::NAN);
        for (i, &arm) in self.arm.iter().enumerate() {
            let payback = self.payback[i].unwrap_or(NO_MONTH);
            let slice = t.slice_of(self.trial[i]);
            let arm = &mut t.arms[arm as usize];
            arm.push(self.npv[i], roi(i), payback, self.dropped[i]);
            arm.push_end(self.dropped_by[i], self.discoveries[i]);
            let m = Metrics {
                npv: self.npv[i],
                roi: roi(i),
                net: self.net[i],
                investment: self.investment[i],
                payback_month: self.payback[i],
            };
            arm.push_targets(targets, &m);
            if let Some(s) = slice {
                let row = SliceRow {
                    npv: self.npv[i],
                    roi: roi(i),
                    net: self.net[i],
                    paid_back: payback != NO_MONTH,
                    dropped: self.dropped[i],
                };
                arm.push_slice(s, row, targets, &m);
            }
        }
        for (k, row) in self.npv.chunks(n_arms).enumerate() {
            let first = k * n_arms;
            let slice = t.slice_of(self.trial[first]);
            for (p, (a, b)) in t.pairs.iter_mut().zip(stats::tally::pairs(n_arms)) {
                p.push(row[a], row[b]);
                if let Some(s) = slice {
                    p.push_slice(s, (row[a], roi(first + a)), (row[b], roi(first + b)));
                }
            }
        }
        t
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
