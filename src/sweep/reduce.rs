//! The figures a sweep reports for each point and arm, reduced straight from the engine's
//! batches. A sweep of many points cannot keep every point's per-trial frame, so each
//! point keeps only what its statistics need (npv, roi, payback month per trial and arm)
//! and drops it once reduced. The definitions are those of a run's summary (MODEL.md
//! section 6, quantiles interpolating linearly between order statistics), so the point at
//! a scenario's own values reproduces its run.

use serde::{Deserialize, Serialize};

use crate::engine::{Batch, Model, NO_MONTH};

/// Payback month standing in for "never", so that the median of a mostly censored arm
/// lands beyond the horizon (as in a run's summary).
const NEVER: f64 = 1e18;

/// One arm at one sweep point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmPoint {
    pub arm: String,
    /// P(npv < 0).
    pub p_npv_negative: Option<f64>,
    /// P(npv > 0): the share of futures in which the arm breaks even.
    pub p_npv_positive: Option<f64>,
    /// P(roi < 0), among trials with an investment.
    pub p_roi_negative: Option<f64>,
    /// P(roi > 0), among trials with an investment.
    pub p_roi_positive: Option<f64>,
    pub npv_mean: Option<f64>,
    /// Monte Carlo standard error of `npv_mean`.
    pub npv_mean_se: Option<f64>,
    pub npv_p5: Option<f64>,
    pub npv_p50: Option<f64>,
    pub npv_p95: Option<f64>,
    pub roi_mean: Option<f64>,
    pub roi_p10: Option<f64>,
    pub roi_p50: Option<f64>,
    pub roi_p90: Option<f64>,
    /// Share of futures that pay back within the horizon.
    pub p_payback: Option<f64>,
    /// Median payback month; `None` when fewer than half pay back.
    pub payback_median: Option<f64>,
    pub p_dropped: Option<f64>,
}

/// Per-trial figures of one point, per arm, until the point is reduced.
pub struct Reducer {
    names: Vec<String>,
    horizon: f64,
    npv: Vec<Vec<f64>>,
    roi: Vec<Vec<f64>>,
    payback: Vec<Vec<f64>>,
    dropped: Vec<u64>,
}

impl Reducer {
    pub fn new(model: &Model) -> Reducer {
        let n = model.n_arms();
        Reducer {
            names: model.arms.iter().map(|a| a.name.clone()).collect(),
            horizon: model.horizon as f64,
            npv: vec![Vec::new(); n],
            roi: vec![Vec::new(); n],
            payback: vec![Vec::new(); n],
            dropped: vec![0; n],
        }
    }

    /// Adds one batch (rows ordered by trial, then arm).
    pub fn push(&mut self, b: &Batch) {
        let n_arms = self.names.len();
        for (row, o) in b.outcomes.iter().enumerate() {
            let a = row % n_arms;
            self.npv[a].push(o.npv);
            if o.roi.is_finite() {
                self.roi[a].push(o.roi);
            }
            let pb = if o.payback_month == NO_MONTH {
                NEVER
            } else {
                f64::from(o.payback_month)
            };
            self.payback[a].push(pb);
            self.dropped[a] += u64::from(o.dropped);
        }
    }

    /// The figures of every arm, in the scenario's arm order.
    pub fn finish(self) -> Vec<ArmPoint> {
        let Reducer {
            names,
            horizon,
            npv,
            roi,
            payback,
            dropped,
        } = self;
        names
            .into_iter()
            .zip(npv)
            .zip(roi)
            .zip(payback)
            .zip(dropped)
            .map(|((((arm, npv), roi), payback), dropped)| {
                arm_point(arm, npv, roi, payback, dropped, horizon)
            })
            .collect()
    }
}

fn arm_point(
    arm: String,
    mut npv: Vec<f64>,
    mut roi: Vec<f64>,
    mut payback: Vec<f64>,
    dropped: u64,
    horizon: f64,
) -> ArmPoint {
    let n = npv.len();
    let share = |count: usize, of: usize| (of > 0).then(|| count as f64 / of as f64);
    let count = |v: &[f64], pred: fn(f64) -> bool| v.iter().filter(|x| pred(**x)).count();
    let (npv_mean, npv_sd) = mean_sd(&npv);
    let p_npv_negative = share(count(&npv, |x| x < 0.0), n);
    let p_npv_positive = share(count(&npv, |x| x > 0.0), n);
    let p_roi_negative = share(count(&roi, |x| x < 0.0), roi.len());
    let p_roi_positive = share(count(&roi, |x| x > 0.0), roi.len());
    let p_payback = share(count(&payback, |x| x < NEVER), n);
    let roi_mean = mean_sd(&roi).0;
    npv.sort_by(f64::total_cmp);
    roi.sort_by(f64::total_cmp);
    payback.sort_by(f64::total_cmp);
    ArmPoint {
        arm,
        p_npv_negative,
        p_npv_positive,
        p_roi_negative,
        p_roi_positive,
        npv_mean,
        npv_mean_se: npv_sd.map(|sd| sd / (n as f64).sqrt()),
        npv_p5: quantile(&npv, 0.05),
        npv_p50: quantile(&npv, 0.5),
        npv_p95: quantile(&npv, 0.95),
        roi_mean,
        roi_p10: quantile(&roi, 0.10),
        roi_p50: quantile(&roi, 0.5),
        roi_p90: quantile(&roi, 0.90),
        p_payback,
        payback_median: quantile(&payback, 0.5).filter(|m| *m <= horizon),
        p_dropped: share(dropped as usize, n),
    }
}

/// Mean and sample standard deviation (two passes).
fn mean_sd(v: &[f64]) -> (Option<f64>, Option<f64>) {
    if v.is_empty() {
        return (None, None);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.len() > 1)
        .then(|| (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    (Some(mean), sd)
}

/// The `q` quantile of sorted values, interpolating linearly between order statistics
/// (numpy's default), computed exactly as the run summary's quantiles are.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let float_idx = (n as f64 - 1.0) * q;
    let idx = (float_idx as usize).min(n - 1);
    let top = float_idx.ceil() as usize;
    let lower = sorted[idx];
    if idx == top || top >= n {
        return Some(lower);
    }
    let upper = sorted[idx + 1];
    if lower == upper {
        Some(lower)
    } else {
        Some((float_idx - idx as f64) * (upper - lower) + lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 1.0), Some(4.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn moments_of_a_small_sample() {
        let (m, sd) = mean_sd(&[1.0, 2.0, 3.0]);
        assert_eq!(m, Some(2.0));
        assert_eq!(sd, Some(1.0));
    }
}
