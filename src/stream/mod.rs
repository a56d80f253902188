//! The bounded-memory path for big runs. Instead of holding every trial in a Polars frame
//! (what [`crate::aggregate::Accumulator`] does, exact but about 1 KB per trial), each batch
//! is reduced as it arrives:
//!
//! - means, standard deviations and shares by exact counts and by Welford moments summed in
//!   fixed blocks of [`BLOCK`] trials, blocks combined in trial order, so the result does
//!   not depend on the thread count, the batch size or where shards were cut;
//! - percentiles, VaR, CVaR and the monthly bands from [`Sketch`]es, mergeable histograms
//!   whose bucket width bounds the error (stated in `summary.json`);
//! - the median payback month exactly, from a count per month;
//! - per-trial rows streamed to `trials.parquet` in row groups;
//! - the first [`HEAD_TRIALS`] trials kept whole, for the sensitivity measures and the
//!   charts that plot trials.
//!
//! Memory is then bounded by the sketches (a few MB per arm) and the head, whatever the
//! number of trials.

pub mod sketch;
pub mod state;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use crate::aggregate::{
    self, Accumulator, ArmSummary, BANDS, Channels, Frames, Interval, LEVELS, PairSummary,
    Quantiles, Stats, Summary,
};
use crate::engine::trial::Outcome;
use crate::engine::{Batch, CHANNELS, Model, NO_MONTH};
use crate::scenario::{NSYM, Scenario};
pub use sketch::Sketch;

/// Trials per block of moments. Shards of a streamed run are cut at multiples of it.
pub const BLOCK: u64 = 16_384;
/// Trials kept whole for the sensitivity measures and the per-trial charts.
pub const HEAD_TRIALS: u64 = crate::sensitivity::RUN_TRIALS_CAP as u64;
/// Mantissa bits of the headline sketches (ROI, NPV, net): relative error 2^-13.
pub const HEADLINE_BITS: u32 = 12;
/// Mantissa bits of the monthly-band sketches: relative error 2^-10.
pub const MONTHLY_BITS: u32 = 9;
/// Largest run that `--quantiles auto` aggregates exactly.
pub const EXACT_LIMIT: u64 = 250_000;
/// Batches buffered before their values go into the sketches.
const PENDING: usize = 16;
/// Rows per row group of a streamed `trials.parquet`.
pub const ROW_GROUP: usize = 1 << 18;

/// Moments per arm: ROI, NPV, net, revenue retained, incidents, final adoption, final KPI,
/// investment, then the channels.
const ARM_STATS: usize = 8 + CHANNELS.len();
/// Moments per pair of arms: NPV difference, ROI difference.
const PAIR_STATS: usize = 2;

/// Count, mean and sum of squared deviations of a stream of values (Welford), mergeable
/// (Chan et al.).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    pub m2: f64,
}

impl Moments {
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Adds the moments of values that come after this one's.
    pub fn merge(&mut self, o: &Moments) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        let (na, nb, nf) = (self.n as f64, o.n as f64, n as f64);
        self.mean += d * (nb / nf);
        self.m2 += o.m2 + d * d * (na * nb / nf);
        self.n = n;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// Sample standard deviation (n - 1 in the denominator).
    pub fn sd(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2.max(0.0) / (self.n - 1) as f64).sqrt())
    }

    /// Standard error of the mean.
    pub fn se(&self) -> Option<f64> {
        self.sd().map(|sd| sd / (self.n as f64).sqrt())
    }
}

/// Exact counts and sketches of one arm.
#[derive(Debug, Clone)]
pub struct ArmTally {
    pub rows: u64,
    pub roi_negative: u64,
    pub npv_negative: u64,
    pub paid_back: u64,
    pub dropped: u64,
    /// Trials by payback month `0..=H`, then the trials that never paid back.
    pub payback: Vec<u64>,
    pub roi: Sketch,
    pub npv: Sketch,
    pub net: Sketch,
}

impl ArmTally {
    fn new(horizon: usize) -> ArmTally {
        ArmTally {
            rows: 0,
            roi_negative: 0,
            npv_negative: 0,
            paid_back: 0,
            dropped: 0,
            payback: vec![0; horizon + 2],
            roi: Sketch::new(HEADLINE_BITS),
            npv: Sketch::new(HEADLINE_BITS),
            net: Sketch::new(HEADLINE_BITS),
        }
    }
}

/// Which rows of a streamed run go to `trials.parquet`.
pub enum TrialsOut {
    /// None (`--no-trials`).
    Skip,
    /// Every row, to this file.
    File(PathBuf),
}

/// The streaming reduction of a run's batches (see the module documentation).
pub struct Stream<'m> {
    model: &'m Model,
    has_kpi: bool,
    arms: Vec<ArmTally>,
    /// Trials where the first arm of each pair has the greater NPV.
    a_greater: Vec<u64>,
    /// Cumulative cash flow sketches, `arm * (H + 1) + month`.
    months: Vec<Sketch>,
    block: Option<u64>,
    current: Vec<Moments>,
    total: Vec<Moments>,
    /// Every closed block's moments, kept when the run is a shard.
    blocks: Option<Vec<(u64, Vec<Moments>)>>,
    adoption_sum: Vec<i128>,
    revenue_base_sum: Vec<i128>,
    clamped: Vec<u64>,
    n: u64,
    head: Accumulator<'m>,
    rows: Option<RowWriter<'m>>,
    /// The first write error; later batches are not written.
    error: Option<anyhow::Error>,
    /// Batches whose values are not yet in the sketches (at most [`PENDING`]).
    pending: Vec<Batch>,
    /// Head rows of absorbed shards, in trial order.
    extra_head: Vec<DataFrame>,
}

impl<'m> Stream<'m> {
    /// A streaming reduction writing every row to `trials` and keeping every block's
    /// moments when `keep_blocks` (for a shard).
    pub fn new(model: &'m Model, has_kpi: bool, trials: TrialsOut, keep_blocks: bool) -> Self {
        let (n_arms, h1) = (model.n_arms(), model.horizon + 1);
        let n_pairs = n_arms * n_arms.saturating_sub(1) / 2;
        let stats = n_arms * ARM_STATS + n_pairs * PAIR_STATS;
        Stream {
            model,
            has_kpi,
            arms: (0..n_arms).map(|_| ArmTally::new(model.horizon)).collect(),
            a_greater: vec![0; n_pairs],
            months: (0..n_arms * h1)
                .map(|_| Sketch::new(MONTHLY_BITS))
                .collect(),
            block: None,
            current: vec![Moments::default(); stats],
            total: vec![Moments::default(); stats],
            blocks: keep_blocks.then(Vec::new),
            adoption_sum: vec![0; n_arms * h1],
            revenue_base_sum: vec![0; n_arms * h1],
            clamped: vec![0; n_arms * NSYM],
            n: 0,
            head: Accumulator::rows_only(model, has_kpi),
            rows: match trials {
                TrialsOut::Skip => None,
                TrialsOut::File(path) => Some(RowWriter {
                    acc: Accumulator::rows_only(model, has_kpi),
                    path,
                    writer: None,
                }),
            },
            error: None,
            pending: Vec::with_capacity(PENDING),
            extra_head: Vec::new(),
        }
    }

    /// The pairs of arms `(a, b)`, `a` before `b`, in summary order.
    fn pairs(&self) -> Vec<(usize, usize)> {
        let n = self.model.n_arms();
        (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect()
    }

    fn close_block(&mut self) {
        let Some(block) = self.block.take() else {
            return;
        };
        for (t, c) in self.total.iter_mut().zip(&self.current) {
            t.merge(c);
        }
        if let Some(blocks) = &mut self.blocks {
            blocks.push((block, self.current.clone()));
        }
        self.current.fill(Moments::default());
    }

    /// Adds one batch; batches must arrive in trial order.
    pub fn push(&mut self, b: Batch) {
        let n_arms = self.model.n_arms();
        let pairs = self.pairs();
        for j in 0..b.n {
            let block = (b.first_trial + j as u64) / BLOCK;
            if self.block != Some(block) {
                self.close_block();
                self.block = Some(block);
            }
            let rows = &b.outcomes[j * n_arms..(j + 1) * n_arms];
            for (ai, o) in rows.iter().enumerate() {
                let m = &mut self.current[ai * ARM_STATS..(ai + 1) * ARM_STATS];
                let tally = &mut self.arms[ai];
                tally.rows += 1;
                if o.roi.is_finite() {
                    m[0].push(o.roi);
                    tally.roi_negative += u64::from(o.roi < 0.0);
                }
                m[1].push(o.npv);
                m[2].push(o.net);
                m[3].push(o.revenue_retained);
                m[4].push(o.incidents as f64);
                m[5].push(o.adoption_final);
                if self.has_kpi {
                    m[6].push(o.kpi_final);
                }
                m[7].push(o.investment);
                for (mc, c) in m[8..].iter_mut().zip(o.channels) {
                    mc.push(c);
                }
                tally.npv_negative += u64::from(o.npv < 0.0);
                tally.dropped += u64::from(o.dropped);
                tally.paid_back += u64::from(o.payback_month != NO_MONTH);
                tally.payback[payback_slot(o.payback_month, self.model.horizon)] += 1;
            }
            let base = n_arms * ARM_STATS;
            for (pi, &(a, c)) in pairs.iter().enumerate() {
                let (oa, oc) = (&rows[a], &rows[c]);
                self.a_greater[pi] += u64::from(oa.npv > oc.npv);
                let m = &mut self.current[base + pi * PAIR_STATS..base + (pi + 1) * PAIR_STATS];
                m[0].push(oa.npv - oc.npv);
                if oa.roi.is_finite() && oc.roi.is_finite() {
                    m[1].push(oa.roi - oc.roi);
                }
            }
        }
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
        self.head.push_until(&b, HEAD_TRIALS);
        if self.error.is_none()
            && let Some(rows) = &mut self.rows
            && let Err(e) = rows.push(&b)
        {
            self.error = Some(e);
        }
        self.pending.push(b);
        if self.pending.len() == PENDING {
            self.sketch_pending();
        }
    }

    /// Adds the pending batches' values to the sketches. Sketches count, so the order of
    /// insertion is free: one sketch at a time over several batches keeps its buckets in
    /// cache.
    fn sketch_pending(&mut self) {
        let h1 = self.model.horizon + 1;
        let pending = std::mem::take(&mut self.pending);
        let mut column = Vec::new();
        for (ai, tally) in self.arms.iter_mut().enumerate() {
            for (sketch, f) in [
                (&mut tally.roi, (|o| o.roi) as fn(&Outcome) -> f64),
                (&mut tally.npv, |o| o.npv),
                (&mut tally.net, |o| o.net),
            ] {
                column.clear();
                for b in &pending {
                    column.extend(b.outcomes_of(ai).map(f));
                }
                sketch.extend_strided(&column, 0, 1);
            }
            for (t, sketch) in self.months[ai * h1..(ai + 1) * h1].iter_mut().enumerate() {
                for b in &pending {
                    sketch.extend_strided(b.cum_cf(ai, t), 0, 1);
                }
            }
        }
        self.pending = pending;
        self.pending.clear();
    }

    /// Finishes `trials.parquet` (if written) and aggregates everything pushed.
    ///
    /// # Errors
    /// A write error met while streaming rows, or a frame Polars cannot build.
    pub fn finish(self, sc: &Scenario) -> Result<(Summary, Frames)> {
        let (summary, frames, rows) = self.finish_deferred(sc)?;
        rows.join()?;
        Ok((summary, frames))
    }

    /// [`Stream::finish`], but with `trials.parquet` (if written) perhaps still being
    /// written: its last row groups are encoded by the writer thread while the caller goes
    /// on, and [`Pending::join`] waits for the file to be complete.
    ///
    /// # Errors
    /// A write error met so far, or a frame Polars cannot build.
    pub fn finish_deferred(mut self, sc: &Scenario) -> Result<(Summary, Frames, Pending)> {
        self.close_block();
        self.sketch_pending();
        let rows = self.close_rows()?;
        let summary = self.summary(sc);
        let mut head = self.head.trials_frame()?;
        for part in &self.extra_head {
            head.vstack_mut(part)
                .context("joining the shards' first trials")?;
        }
        let frames = Frames {
            monthly: self.monthly_frame()?,
            trials: head,
        };
        Ok((summary, frames, rows))
    }

    /// Sends the last rows to the writer thread, without waiting for it.
    fn close_rows(&mut self) -> Result<Pending> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match self.rows.take() {
            Some(rows) => rows.close().map(Pending),
            None => Ok(Pending(None)),
        }
    }

    fn summary(&self, sc: &Scenario) -> Summary {
        let h = self.model.horizon;
        let arms = self
            .model
            .arms
            .iter()
            .enumerate()
            .map(|(i, arm)| {
                let m = &self.total[i * ARM_STATS..(i + 1) * ARM_STATS];
                let t = &self.arms[i];
                let n = t.rows as f64;
                let share = |count: u64, of: u64| (of > 0).then(|| count as f64 / of as f64);
                let p_roi_negative = share(t.roi_negative, m[0].n);
                let p_npv_negative = share(t.npv_negative, t.rows);
                let p_payback = share(t.paid_back, t.rows);
                let p_dropped = share(t.dropped, t.rows);
                let npv = stats(&m[1], &t.npv);
                let var5 = npv.p5;
                ArmSummary {
                    name: arm.name.clone(),
                    label: arm.label.clone(),
                    roi: stats(&m[0], &t.roi),
                    npv,
                    net: stats(&m[2], &t.net),
                    p_roi_negative,
                    p_npv_negative,
                    npv_var5: var5,
                    npv_cvar5: cvar5(&t.npv),
                    p_payback,
                    payback_median: payback_median(&t.payback, h),
                    p_dropped,
                    revenue_retained_mean: m[3].mean(),
                    incidents_mean: m[4].mean(),
                    adoption_final_mean: m[5].mean(),
                    kpi_final_mean: if sc.kpi.is_some() { m[6].mean() } else { None },
                    channels: channels(&m[8..]),
                    roi_nan: t.rows - m[0].n,
                    clamped: aggregate::clamped_map(self.model, i, &self.clamped),
                    p_roi_negative_se: aggregate::binom_se(p_roi_negative, m[0].n as f64),
                    p_npv_negative_se: aggregate::binom_se(p_npv_negative, n),
                    p_payback_se: aggregate::binom_se(p_payback, n),
                    p_dropped_se: aggregate::binom_se(p_dropped, n),
                    investment_mean: m[7].mean(),
                }
            })
            .collect();
        let base = self.model.n_arms() * ARM_STATS;
        let pairs = self
            .pairs()
            .into_iter()
            .enumerate()
            .map(|(pi, (a, b))| {
                let m = &self.total[base + pi * PAIR_STATS..base + (pi + 1) * PAIR_STATS];
                let rows = self.arms[a].rows;
                PairSummary {
                    a: self.model.arms[a].name.clone(),
                    b: self.model.arms[b].name.clone(),
                    p_a_npv_greater: (rows > 0).then(|| self.a_greater[pi] as f64 / rows as f64),
                    npv_diff: interval(&m[0]),
                    roi_diff: interval(&m[1]),
                }
            })
            .collect();
        Summary::new(sc, self.model, self.n, arms, pairs, sketch_quantiles())
    }

    fn monthly_frame(&self) -> Result<DataFrame> {
        let levels: Vec<f64> = BANDS.iter().map(|b| b.1).collect();
        let bands: Vec<[Option<f64>; BANDS.len()]> = self
            .months
            .iter()
            .map(|s| {
                let q = s.quantiles(&levels);
                std::array::from_fn(|i| q[i])
            })
            .collect();
        aggregate::monthly_table(
            self.model,
            self.n,
            &bands,
            &self.adoption_sum,
            &self.revenue_base_sum,
        )
    }
}

/// A figure's statistics: moments for the mean, sd and se, the sketch for the percentiles.
fn stats(m: &Moments, s: &Sketch) -> Stats {
    let levels: Vec<f64> = LEVELS.iter().map(|l| l.1).collect();
    let q = s.quantiles(&levels);
    let finite = |x: Option<f64>| x.filter(|v| v.is_finite());
    Stats {
        mean: finite(m.mean()),
        sd: finite(m.sd()),
        se: finite(m.se()),
        p5: q[0],
        p10: q[1],
        p25: q[2],
        p50: q[3],
        p75: q[4],
        p90: q[5],
        p95: q[6],
    }
}

fn interval(m: &Moments) -> Interval {
    let mean = m.mean();
    let se = m.se();
    Interval {
        mean,
        lo95: mean.zip(se).map(|(x, s)| x - 1.96 * s),
        hi95: mean.zip(se).map(|(x, s)| x + 1.96 * s),
    }
}

fn channels(m: &[Moments]) -> Channels {
    let c = |i: usize| m[i].mean();
    Channels {
        uplift: c(0),
        customers_lost: c(1),
        labour: c(2),
        kpi_value: c(3),
        running_cost: c(4),
        incident_cost: c(5),
        upfront: c(6),
        scale_up: c(7),
    }
}

/// The mean of the NPVs at or below VaR 5 %: the exact path takes every value at or below
/// the interpolated 5th percentile, which (without ties) are the `floor(0.05 (n - 1)) + 1`
/// smallest.
fn cvar5(npv: &Sketch) -> Option<f64> {
    let n = npv.len();
    (n > 0)
        .then(|| (0.05 * (n - 1) as f64).floor() as u64 + 1)
        .and_then(|k| npv.lowest_mean(k))
}

/// The slot of a payback month in a count per month `0..=H`, then "never" at `H + 1`.
pub(crate) fn payback_slot(month: u32, horizon: usize) -> usize {
    if month == NO_MONTH {
        horizon + 1
    } else {
        (month as usize).min(horizon)
    }
}

/// The median payback month over every trial, those that never paid back counting as
/// later than any month (as the exact path does), or `None` when that median is "never".
pub(crate) fn payback_median(counts: &[u64], horizon: usize) -> Option<f64> {
    let n: u64 = counts.iter().sum();
    let runs: Vec<(f64, u64)> = counts
        .iter()
        .enumerate()
        .map(|(m, &c)| (if m > horizon { 1e18 } else { m as f64 }, c))
        .filter(|r| r.1 > 0)
        .collect();
    sketch::quantile_of(&runs, n, 0.5).filter(|m| *m <= horizon as f64)
}

/// Buffers per-trial rows and hands them, a row group at a time, to a writer thread that
/// encodes and writes the Parquet file while the engine goes on simulating. At most one
/// row group waits for the writer, so memory stays bounded.
struct RowWriter<'m> {
    acc: Accumulator<'m>,
    path: PathBuf,
    writer: Option<Writer>,
}

/// A Parquet file written by a thread from the frames sent to it, in order.
pub(crate) struct Writer {
    frames: std::sync::mpsc::SyncSender<DataFrame>,
    thread: std::thread::JoinHandle<Result<()>>,
}

impl RowWriter<'_> {
    fn push(&mut self, b: &Batch) -> Result<()> {
        self.acc.push(b);
        if self.acc.rows() >= ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let df = self.acc.trials_frame()?;
        Writer::send(&mut self.writer, &self.path, df)
    }

    /// Sends the rows not yet sent; the writer, if any, goes on writing them.
    fn close(mut self) -> Result<Option<Writer>> {
        if self.acc.rows() > 0 || self.writer.is_none() {
            self.flush()?;
        }
        Ok(self.writer.take())
    }
}

/// A `trials.parquet` whose last row groups may still be being written by its thread (see
/// [`Stream::finish_deferred`]). Dropped without [`Pending::join`] (a run failing in
/// between), it still waits for the thread, so nothing writes into a folder being removed.
pub struct Pending(Option<Writer>);

impl Pending {
    /// Nothing left to write.
    pub fn none() -> Pending {
        Pending(None)
    }

    /// Waits for the file to be complete.
    ///
    /// # Errors
    /// The write error that stopped the writer.
    pub fn join(mut self) -> Result<()> {
        match self.0.take() {
            Some(w) => w.join(),
            None => Ok(()),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            let _ = w.join();
        }
    }
}

impl Writer {
    /// Sends `df` to the writer in `slot`, starting one for `path` (with `df`'s schema)
    /// if there is none yet. When the writer has stopped on an error, that error.
    pub(crate) fn send(slot: &mut Option<Writer>, path: &Path, df: DataFrame) -> Result<()> {
        let writer = match slot {
            Some(w) => w,
            None => slot.insert(Writer::start(path, &df)?),
        };
        if writer.frames.send(df).is_err()
            && let Some(w) = slot.take()
        {
            return w.join();
        }
        Ok(())
    }

    /// Creates the file and a thread writing the frames sent to it, with `first`'s schema.
    fn start(path: &Path, first: &DataFrame) -> Result<Writer> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut batched = crate::output::parquet_writer(file).batched(first.schema())?;
        let (frames, rx) = std::sync::mpsc::sync_channel::<DataFrame>(1);
        let path = path.to_path_buf();
        let thread = std::thread::spawn(move || -> Result<()> {
            let context = || format!("cannot write {}", path.display());
            for df in rx {
                Context::with_context(batched.write_batch(&df), context)?;
            }
            Context::with_context(batched.finish(), context)?;
            Ok(())
        });
        Ok(Writer { frames, thread })
    }

    /// Closes the channel and waits for the file to be complete.
    pub(crate) fn join(self) -> Result<()> {
        drop(self.frames);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the Parquet writer thread panicked"))?
    }
}

/// The quantile note of a sketched summary: the method and its error bounds.
pub fn sketch_quantiles() -> Quantiles {
    Quantiles {
        method: "sketch".into(),
        relative_error: Some(Sketch::new(HEADLINE_BITS).relative_error()),
        monthly_relative_error: Some(Sketch::new(MONTHLY_BITS).relative_error()),
    }
}

/// Whether a run of `trials` trials is aggregated by sketch under `--quantiles auto`.
pub fn auto_sketch(trials: u64) -> bool {
    trials > EXACT_LIMIT
}

/// Path of the streamed per-trial file inside a staging folder.
pub fn trials_path(dir: &Path) -> PathBuf {
    dir.join("trials.parquet")
}
