//! The sketched backend: an arm's [`Figures`] in memory that does not grow with the trials.
//!
//! - Means, standard deviations and standard errors from Welford [`Moments`] summed in
//!   fixed blocks of [`BLOCK`] trials and combined in trial order, so the result does not
//!   depend on the thread count, the batch size or where shards were cut.
//! - Percentiles, VaR and CVaR of ROI, NPV and net from [`Sketch`]es, whose bucket width
//!   bounds the error (stated in `summary.json`).

use super::summary::{ArmSummary, Channels, Figures, Interval, PairFigures, PairSummary, Stats};
use super::tally::{self, Tally};
use super::{HEADLINE_BITS, LEVELS, Moments, Sketch};
use crate::engine::{Batch, CHANNELS, Model, Outcome};

/// Trials per block of moments. Shards of a streamed run are cut at multiples of it.
pub const BLOCK: u64 = 16_384;
/// Moments per arm: ROI, NPV, net, revenue retained, incidents, final adoption, final KPI,
/// investment, then the channels.
const ARM_STATS: usize = 8 + CHANNELS.len();
/// Moments per pair of arms: NPV difference, ROI difference.
const PAIR_STATS: usize = 2;

/// The moments and headline sketches of every arm and pair of a set of trials.
#[derive(Debug, Clone)]
pub struct Sketched {
    n_arms: usize,
    has_kpi: bool,
    /// Each arm's ROI, NPV and net sketches.
    pub headline: Vec<[Sketch; 3]>,
    block: Option<u64>,
    current: Vec<Moments>,
    /// The moments of every closed block, combined in trial order.
    pub total: Vec<Moments>,
    /// Every closed block's moments, kept for a shard.
    pub blocks: Option<Vec<(u64, Vec<Moments>)>>,
}

impl Sketched {
    /// Empty moments and sketches for `n_arms` arms, keeping every block's moments when
    /// `keep_blocks` (a shard's merge combines them in trial order).
    pub fn new(n_arms: usize, has_kpi: bool, keep_blocks: bool) -> Sketched {
        let n_pairs = tally::pairs(n_arms).count();
        let stats = n_arms * ARM_STATS + n_pairs * PAIR_STATS;
        Sketched {
            n_arms,
            has_kpi,
            headline: (0..n_arms)
                .map(|_| std::array::from_fn(|_| Sketch::new(HEADLINE_BITS)))
                .collect(),
            block: None,
            current: vec![Moments::default(); stats],
            total: vec![Moments::default(); stats],
            blocks: keep_blocks.then(Vec::new),
        }
    }

    /// Adds one trial's outcome in every arm to the moments (the sketches take values a
    /// batch at a time, [`Sketched::sketch`]); trials must arrive in order.
    #[inline]
    pub fn push(&mut self, trial: u64, rows: &[Outcome]) {
        let block = trial / BLOCK;
        if self.block != Some(block) {
            self.close_block();
            self.block = Some(block);
        }
        for (ai, o) in rows.iter().enumerate() {
            let m = &mut self.current[ai * ARM_STATS..(ai + 1) * ARM_STATS];
            if o.roi.is_finite() {
                m[0].push(o.roi);
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
        }
        let base = self.n_arms * ARM_STATS;
        let mut pair = self.current[base..].chunks_exact_mut(PAIR_STATS);
        for (a, oa) in rows.iter().enumerate() {
            for (ob, m) in rows[a + 1..].iter().zip(pair.by_ref()) {
                m[0].push(oa.npv - ob.npv);
                if oa.roi.is_finite() && ob.roi.is_finite() {
                    m[1].push(oa.roi - ob.roi);
                }
            }
        }
    }

    /// Adds the open block's moments to the total (at the end, or before a new block).
    pub fn close_block(&mut self) {
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

    /// Adds the ROI, NPV and net of every trial of `batches` to the sketches. Sketches
    /// count, so the order is free: one sketch at a time over several batches keeps its
    /// buckets in cache.
    pub fn sketch(&mut self, batches: &[Batch], column: &mut Vec<f64>) {
        for (ai, sketches) in self.headline.iter_mut().enumerate() {
            for (sketch, f) in
                sketches
                    .iter_mut()
                    .zip([(|o| o.roi) as fn(&Outcome) -> f64, |o| o.npv, |o| o.net])
            {
                column.clear();
                for b in batches {
                    column.extend(b.outcomes_of(ai).map(f));
                }
                sketch.extend_strided(column, 0, 1);
            }
        }
    }

    /// Every arm's figures and every pair's, from the closed blocks.
    pub fn figures(&self) -> (Vec<Figures>, Vec<PairFigures>) {
        let arms = (0..self.n_arms)
            .map(|i| {
                let m = &self.total[i * ARM_STATS..(i + 1) * ARM_STATS];
                let [roi, npv, net] = &self.headline[i];
                Figures {
                    roi: stats(&m[0], roi),
                    npv: stats(&m[1], npv),
                    net: stats(&m[2], net),
                    npv_cvar5: cvar5(npv),
                    revenue_retained_mean: m[3].mean(),
                    incidents_mean: m[4].mean(),
                    adoption_final_mean: m[5].mean(),
                    kpi_final_mean: if self.has_kpi { m[6].mean() } else { None },
                    investment_mean: m[7].mean(),
                    channels: channels(&m[8..]),
                }
            })
            .collect();
        let base = self.n_arms * ARM_STATS;
        let pairs = (0..tally::pairs(self.n_arms).count())
            .map(|pi| {
                let m = &self.total[base + pi * PAIR_STATS..base + (pi + 1) * PAIR_STATS];
                PairFigures {
                    npv_diff: Interval::of(m[0].mean(), m[0].se()),
                    roi_diff: Interval::of(m[1].mean(), m[1].se()),
                }
            })
            .collect();
        (arms, pairs)
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

fn channels(m: &[Moments]) -> Channels {
    Channels::of(std::array::from_fn(|i| m[i].mean()))
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

/// The summary reduction of a set of trials by sketch alone: exact counts, moments and
/// headline sketches, nothing per trial or per month (what a sweep point keeps).
pub struct Reducer {
    tally: Tally,
    sketched: Sketched,
    clamped: Vec<u64>,
    column: Vec<f64>,
}

impl Reducer {
    pub fn new(model: &Model, has_kpi: bool) -> Reducer {
        Reducer {
            tally: Tally::new(model.n_arms(), model.horizon, &model.targets)
                .sliced(model.sampling.slices()),
            sketched: Sketched::new(model.n_arms(), has_kpi, false),
            clamped: vec![0; model.n_arms() * model.clamp_stride()],
            column: Vec::new(),
        }
    }

    /// Adds one batch; batches must arrive in trial order.
    pub fn push(&mut self, b: &Batch) {
        let n_arms = self.tally.arms.len();
        for (j, rows) in b.outcomes.chunks(n_arms).take(b.n).enumerate() {
            let trial = b.first_trial + j as u64;
            self.tally.push(trial, rows);
            self.sketched.push(trial, rows);
        }
        self.sketched
            .sketch(std::slice::from_ref(b), &mut self.column);
        for (acc, x) in self.clamped.iter_mut().zip(&b.clamped) {
            *acc += x;
        }
    }

    /// The counts and the summaries of every arm and pair.
    pub fn finish(mut self, model: &Model) -> (Tally, Vec<ArmSummary>, Vec<PairSummary>) {
        self.sketched.close_block();
        let (arms, pairs) = self.sketched.summarise(model, &self.tally, &self.clamped);
        (self.tally, arms, pairs)
    }
}

impl Sketched {
    /// Every arm's and every pair's summary from the closed blocks and the counts `tally`
    /// of the same trials; `clamped` counts clamped draws per arm and parameter.
    pub fn summarise(
        &self,
        model: &Model,
        tally: &Tally,
        clamped: &[u64],
    ) -> (Vec<ArmSummary>, Vec<PairSummary>) {
        let (arms, pairs) = self.figures();
        let arms = arms
            .into_iter()
            .enumerate()
            .map(|(i, f)| ArmSummary::new(model, i, &tally.arms[i], f, clamped))
            .collect();
        let pairs = pairs
            .into_iter()
            .zip(tally::pairs(model.n_arms()))
            .enumerate()
            .map(|(pi, (f, ab))| PairSummary::new(model, ab, &tally.pairs[pi], f))
            .collect();
        (arms, pairs)
    }
}
