//! Exact counts of a set of trials: per arm the shares MODEL.md section 6 reports (loss,
//! payback, drop) and the trials by payback month, per pair of arms the trials in which
//! the first arm ends ahead, and per arm the trials that meet each target of
//! [`super::targets`]. Counts only add, so a tally does not depend on how the trials
//! were split into batches, threads or shards, and both backends share it. A Latin
//! hypercube run's tally also keeps the moments of each slice of the trials
//! ([`super::slices`]), for its standard errors.

use serde::{Deserialize, Serialize};

use super::slices::{self, SliceRow};
use super::targets::{Metrics, Target};
use super::{Moments, NEVER, share};
use crate::engine::{DropCause, NO_MONTH, Outcome};

/// The counts of one arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmTally {
    pub rows: u64,
    /// Trials with an ROI (a non-zero investment).
    #[serde(default)]
    pub roi_rows: u64,
    pub roi_negative: u64,
    #[serde(default)]
    pub roi_positive: u64,
    pub npv_negative: u64,
    #[serde(default)]
    pub npv_positive: u64,
    pub paid_back: u64,
    pub dropped: u64,
    /// Trials by payback month `0..=H`, then the trials that never paid back.
    pub payback: Vec<u64>,
    /// Dropped trials by cause, in [`DropCause::ALL`] order (model v2).
    #[serde(default)]
    pub dropped_by: [u64; 3],
    /// Discoveries made, summed over the trials (model v2).
    #[serde(default)]
    pub discoveries: u64,
    /// Trials that meet each target, in the tally's target order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<u64>,
    /// Under Latin hypercube sampling, per slice the moments of [`slices::ARM_FIGURES`]
    /// and of each target's indicator; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<Vec<Moments>>,
}

impl ArmTally {
    pub fn new(horizon: usize, n_targets: usize) -> ArmTally {
        ArmTally {
            rows: 0,
            roi_rows: 0,
            roi_negative: 0,
            roi_positive: 0,
            npv_negative: 0,
            npv_positive: 0,
            paid_back: 0,
            dropped: 0,
            payback: vec![0; horizon + 2],
            dropped_by: [0; 3],
            discoveries: 0,
            targets: vec![0; n_targets],
            slices: Vec::new(),
        }
    }

    /// Adds one trial of slice `slice` to the slice moments (a no-op without slices).
    #[inline]
    pub fn push_slice(&mut self, slice: usize, row: SliceRow, targets: &[Target], m: &Metrics) {
        if let Some(figures) = self.slices.get_mut(slice) {
            slices::push_arm(figures, row, targets.iter().map(|t| t.met(m)));
        }
    }

    /// Counts one trial: its NPV, ROI (NaN without an investment), payback month
    /// ([`NO_MONTH`] for never) and whether it was dropped.
    #[inline]
    pub fn push(&mut self, npv: f64, roi: f64, payback_month: u32, dropped: bool) {
        self.rows += 1;
        if roi.is_finite() {
            self.roi_rows += 1;
            self.roi_negative += u64::from(roi < 0.0);
            self.roi_positive += u64::from(roi > 0.0);
        }
        self.npv_negative += u64::from(npv < 0.0);
        self.npv_positive += u64::from(npv > 0.0);
        self.paid_back += u64::from(payback_month != NO_MONTH);
        self.dropped += u64::from(dropped);
        let horizon = self.payback.len() - 2;
        let slot = if payback_month == NO_MONTH {
            horizon + 1
        } else {
            (payback_month as usize).min(horizon)
        };
        self.payback[slot] += 1;
    }

    /// Counts how one trial ended: why it was dropped, if it was, and its discoveries.
    #[inline]
    pub fn push_end(&mut self, cause: DropCause, discoveries: u32) {
        if let Some(i) = cause.index() {
            self.dropped_by[i] += 1;
        }
        self.discoveries += u64::from(discoveries);
    }

    /// Counts the `targets` that one trial, with figures `m`, meets.
    #[inline]
    pub fn push_targets(&mut self, targets: &[Target], m: &Metrics) {
        for (count, t) in self.targets.iter_mut().zip(targets) {
            *count += u64::from(t.met(m));
        }
    }

    /// Adds the counts of other trials of the same arm.
    pub fn merge(&mut self, o: &ArmTally) {
        self.rows += o.rows;
        self.roi_rows += o.roi_rows;
        self.roi_negative += o.roi_negative;
        self.roi_positive += o.roi_positive;
        self.npv_negative += o.npv_negative;
        self.npv_positive += o.npv_positive;
        self.paid_back += o.paid_back;
        self.dropped += o.dropped;
        for (x, y) in self.dropped_by.iter_mut().zip(o.dropped_by) {
            *x += y;
        }
        self.discoveries += o.discoveries;
        for (x, y) in self.payback.iter_mut().zip(&o.payback) {
            *x += y;
        }
        for (x, y) in self.targets.iter_mut().zip(&o.targets) {
            *x += y;
        }
        slices::merge(&mut self.slices, &o.slices);
    }

    /// P(npv > 0): the share of futures in which the arm breaks even.
    pub fn p_npv_positive(&self) -> Option<f64> {
        share(self.npv_positive, self.rows)
    }

    /// P(roi > 0), among the trials with an investment.
    pub fn p_roi_positive(&self) -> Option<f64> {
        share(self.roi_positive, self.roi_rows)
    }

    /// The median payback month over every trial, those that never paid back counting as
    /// later than any month ([`NEVER`]), interpolated between order statistics like every
    /// other quantile; `None` when that median is beyond the horizon.
    pub fn payback_median(&self) -> Option<f64> {
        let horizon = self.payback.len() - 2;
        let runs: Vec<(f64, u64)> = self
            .payback
            .iter()
            .enumerate()
            .map(|(m, &c)| (if m > horizon { NEVER } else { m as f64 }, c))
            .filter(|r| r.1 > 0)
            .collect();
        super::sketch::quantile_of(&runs, self.rows, 0.5).filter(|m| *m <= horizon as f64)
    }
}

/// The counts of a pair of arms on the same trials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PairTally {
    pub rows: u64,
    /// Trials where the first arm's NPV is strictly greater.
    pub a_greater: u64,
    /// Under Latin hypercube sampling, per slice the moments of the NPV difference and of
    /// the ROI difference (trials where both have one); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<Vec<Moments>>,
}

impl PairTally {
    #[inline]
    pub fn push(&mut self, npv_a: f64, npv_b: f64) {
        self.rows += 1;
        self.a_greater += u64::from(npv_a > npv_b);
    }

    /// Adds one trial's differences `a - b` to slice `slice` (a no-op without slices).
    #[inline]
    pub fn push_slice(
        &mut self,
        slice: usize,
        (npv_a, roi_a): (f64, f64),
        (npv_b, roi_b): (f64, f64),
    ) {
        if let Some(m) = self.slices.get_mut(slice) {
            m[0].push(npv_a - npv_b);
            if roi_a.is_finite() && roi_b.is_finite() {
                m[1].push(roi_a - roi_b);
            }
        }
    }

    pub fn merge(&mut self, o: &PairTally) {
        self.rows += o.rows;
        self.a_greater += o.a_greater;
        slices::merge(&mut self.slices, &o.slices);
    }
}

/// The counts of every arm and every pair of arms (`a` before `b`, in the scenario's
/// order) of a set of trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub arms: Vec<ArmTally>,
    pub pairs: Vec<PairTally>,
    /// The targets counted by [`Tally::push`]; not saved with the counts (whoever reads
    /// saved counts knows the targets they were counted for).
    #[serde(skip)]
    pub targets: Vec<Target>,
    /// The number of slices kept (0 for none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub slice_count: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Tally {
    /// Empty counts of `n_arms` arms over `horizon` months, counting `targets`.
    pub fn new(n_arms: usize, horizon: usize, targets: &[Target]) -> Tally {
        Tally {
            arms: (0..n_arms)
                .map(|_| ArmTally::new(horizon, targets.len()))
                .collect(),
            pairs: vec![PairTally::default(); pairs(n_arms).count()],
            targets: targets.to_vec(),
            slice_count: 0,
        }
    }

    /// The same counts, also keeping the moments of `slices` slices of the trials (for a
    /// Latin hypercube run, [`crate::engine::Sampling::slices`]; none for 0).
    pub fn sliced(mut self, slices: u64) -> Tally {
        let n = slices as usize;
        let figures = slices::ARM_FIGURES.len() + self.targets.len();
        for a in &mut self.arms {
            a.slices = vec![vec![Moments::default(); figures]; n];
        }
        for p in &mut self.pairs {
            p.slices = vec![vec![Moments::default(); 2]; n];
        }
        self.slice_count = slices;
        self
    }

    /// The slice of trial `trial`, when the tally keeps slices.
    #[inline]
    pub fn slice_of(&self, trial: u64) -> Option<usize> {
        (self.slice_count > 0).then(|| (trial % self.slice_count) as usize)
    }

    /// Counts trial `trial`, given its outcome in every arm.
    #[inline]
    pub fn push(&mut self, trial: u64, rows: &[Outcome]) {
        let slice = self.slice_of(trial);
        for (t, o) in self.arms.iter_mut().zip(rows) {
            t.push(o.npv, o.roi, o.payback_month, o.dropped);
            t.push_end(o.dropped_by, o.discoveries);
            let m = metrics(o);
            t.push_targets(&self.targets, &m);
            if let Some(s) = slice {
                t.push_slice(s, slice_row(o), &self.targets, &m);
            }
        }
        let mut pair = self.pairs.iter_mut();
        for (a, oa) in rows.iter().enumerate() {
            for (ob, t) in rows[a + 1..].iter().zip(pair.by_ref()) {
                t.push(oa.npv, ob.npv);
                if let Some(s) = slice {
                    t.push_slice(s, (oa.npv, oa.roi), (ob.npv, ob.roi));
                }
            }
        }
    }

    /// Adds the counts of other trials of the same arms.
    pub fn merge(&mut self, o: &Tally) {
        self.arms
            .iter_mut()
            .zip(&o.arms)
            .for_each(|(x, y)| x.merge(y));
        self.pairs
            .iter_mut()
            .zip(&o.pairs)
            .for_each(|(x, y)| x.merge(y));
    }
}

/// The figures of an outcome that targets read.
#[inline]
fn metrics(o: &Outcome) -> Metrics {
    Metrics {
        npv: o.npv,
        roi: o.roi,
        net: o.net,
        investment: o.investment,
        payback_month: (o.payback_month != NO_MONTH).then_some(o.payback_month),
    }
}

/// The figures of an outcome that the slices keep.
#[inline]
fn slice_row(o: &Outcome) -> SliceRow {
    SliceRow {
        npv: o.npv,
        roi: o.roi,
        net: o.net,
        paid_back: o.payback_month != NO_MONTH,
        dropped: o.dropped,
    }
}

/// The pairs of `n` arms `(a, b)`, `a` before `b`, in summary order.
pub fn pairs(n: usize) -> impl Iterator<Item = (usize, usize)> + Clone {
    (0..n).flat_map(move |a| (a + 1..n).map(move |b| (a, b)))
}
