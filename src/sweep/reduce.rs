//! The figures a sweep reports for each point and arm, reduced straight from the engine's
//! batches. A sweep of many points cannot keep every point's per-trial frame, so each
//! point keeps only what its statistics need and drops it once reduced: every trial's npv,
//! roi and payback month (24 bytes a trial and arm) up to the exact limit of a run
//! ([`crate::stream::EXACT_LIMIT`] trials), moments, counts and sketches beyond it, so that
//! memory does not grow with the trials. The definitions are those of a run's summary
//! (MODEL.md section 6, quantiles interpolating linearly between order statistics), so the
//! point at a scenario's own values reproduces its run.

use serde::{Deserialize, Serialize};

use crate::engine::{Batch, Model, NO_MONTH};
use crate::stream::{HEADLINE_BITS, Moments, Sketch};

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

/// What a point keeps of each arm until it is reduced.
pub struct Reducer {
    names: Vec<String>,
    horizon: f64,
    arms: Vec<Values>,
    dropped: Vec<u64>,
}

/// The values kept of one arm.
enum Values {
    /// Every trial's npv, roi and payback month (24 bytes a trial): exact quantiles.
    Exact {
        npv: Vec<f64>,
        roi: Vec<f64>,
        payback: Vec<f64>,
    },
    /// Moments, exact counts and sketches, as a sketched run keeps them
    /// ([`crate::stream`]): memory independent of the number of trials.
    Sketch(Box<Sketched>),
}

struct Sketched {
    npv: Moments,
    roi: Moments,
    npv_negative: u64,
    npv_positive: u64,
    roi_negative: u64,
    roi_positive: u64,
    /// Trials by payback month `0..=H`, then those that never paid back.
    payback: Vec<u64>,
    npv_q: Sketch,
    roi_q: Sketch,
}

impl Reducer {
    /// A reducer keeping every trial's values, or sketches when `sketch`.
    pub fn new(model: &Model, sketch: bool) -> Reducer {
        let n = model.n_arms();
        let values = || {
            if sketch {
                Values::Sketch(Box::new(Sketched {
                    npv: Moments::default(),
                    roi: Moments::default(),
                    npv_negative: 0,
                    npv_positive: 0,
                    roi_negative: 0,
                    roi_positive: 0,
                    payback: vec![0; model.horizon + 2],
                    npv_q: Sketch::new(HEADLINE_BITS),
                    roi_q: Sketch::new(HEADLINE_BITS),
                }))
            } else {
                Values::Exact {
                    npv: Vec::new(),
                    roi: Vec::new(),
                    payback: Vec::new(),
                }
            }
        };
        Reducer {
            names: model.arms.iter().map(|a| a.name.clone()).collect(),
            horizon: model.horizon as f64,
            arms: (0..n).map(|_| values()).collect(),
            dropped: vec![0; n],
        }
    }

    /// Adds one batch (rows ordered by trial, then arm).
    pub fn push(&mut self, b: &Batch) {
        let h = self.horizon as usize;
        for (a, values) in self.arms.iter_mut().enumerate() {
            let rows = || b.outcomes_of(a);
            self.dropped[a] += rows().filter(|o| o.dropped).count() as u64;
            match values {
                Values::Exact { npv, roi, payback } => {
                    for o in rows() {
                        npv.push(o.npv);
                        if o.roi.is_finite() {
                            roi.push(o.roi);
                        }
                        payback.push(if o.payback_month == NO_MONTH {
                            NEVER
                        } else {
                            f64::from(o.payback_month)
                        });
                    }
                }
                Values::Sketch(s) => {
                    for o in rows() {
                        s.npv.push(o.npv);
                        s.npv_negative += u64::from(o.npv < 0.0);
                        s.npv_positive += u64::from(o.npv > 0.0);
                        if o.roi.is_finite() {
                            s.roi.push(o.roi);
                            s.roi_negative += u64::from(o.roi < 0.0);
                            s.roi_positive += u64::from(o.roi > 0.0);
                        }
                        s.payback[crate::stream::payback_slot(o.payback_month, h)] += 1;
                    }
                    let column: Vec<f64> = rows().map(|o| o.npv).collect();
                    s.npv_q.extend_strided(&column, 0, 1);
                    let column: Vec<f64> = rows().map(|o| o.roi).collect();
                    s.roi_q.extend_strided(&column, 0, 1);
                }
            }
        }
    }

    /// The figures of every arm, in the scenario's arm order.
    pub fn finish(self) -> Vec<ArmPoint> {
        let Reducer {
            names,
            horizon,
            arms,
            dropped,
        } = self;
        names
            .into_iter()
            .zip(arms)
            .zip(dropped)
            .map(|((arm, values), dropped)| match values {
                Values::Exact { npv, roi, payback } => {
                    arm_point(arm, npv, roi, payback, dropped, horizon)
                }
                Values::Sketch(s) => sketched_point(arm, &s, dropped, horizon),
            })
            .collect()
    }
}

/// An arm's figures from its sketches: percentiles within the sketch's stated error,
/// everything else exact.
fn sketched_point(arm: String, s: &Sketched, dropped: u64, horizon: f64) -> ArmPoint {
    let n: u64 = s.payback.iter().sum();
    let share = |count: u64, of: u64| (of > 0).then(|| count as f64 / of as f64);
    let npv = s.npv_q.quantiles(&[0.05, 0.5, 0.95]);
    let roi = s.roi_q.quantiles(&[0.10, 0.5, 0.90]);
    let h = horizon as usize;
    ArmPoint {
        arm,
        p_npv_negative: share(s.npv_negative, n),
        p_npv_positive: share(s.npv_positive, n),
        p_roi_negative: share(s.roi_negative, s.roi.n),
        p_roi_positive: share(s.roi_positive, s.roi.n),
        npv_mean: s.npv.mean(),
        npv_mean_se: s.npv.se(),
        npv_p5: npv[0],
        npv_p50: npv[1],
        npv_p95: npv[2],
        roi_mean: s.roi.mean(),
        roi_p10: roi[0],
        roi_p50: roi[1],
        roi_p90: roi[2],
        p_payback: share(n - s.payback[h + 1], n),
        payback_median: crate::stream::payback_median(&s.payback, h),
        p_dropped: share(dropped, n),
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
    fn sketched_points_match_exact_ones_within_the_bound() {
        let text = include_str!("../../scenarios/bakery.toml");
        let sc = crate::scenario::parse("bakery.toml", "bakery", text).unwrap();
        let model = Model::new(&sc);
        let batches = model.run(0..20_000, &|_| {});
        let (mut exact, mut sketch) = (Reducer::new(&model, false), Reducer::new(&model, true));
        for b in &batches {
            exact.push(b);
            sketch.push(b);
        }
        let eps = Sketch::new(HEADLINE_BITS).relative_error();
        for (ai, (e, s)) in exact.finish().iter().zip(sketch.finish()).enumerate() {
            assert_eq!(e.p_npv_negative, s.p_npv_negative);
            assert_eq!(e.p_npv_positive, s.p_npv_positive);
            assert_eq!(e.p_roi_negative, s.p_roi_negative);
            assert_eq!(e.p_roi_positive, s.p_roi_positive);
            assert_eq!(e.p_payback, s.p_payback);
            assert_eq!(e.payback_median, s.payback_median);
            assert_eq!(e.p_dropped, s.p_dropped);
            for (a, b) in [
                (e.npv_mean, s.npv_mean),
                (e.npv_mean_se, s.npv_mean_se),
                (e.roi_mean, s.roi_mean),
            ] {
                let (a, b) = (a.unwrap(), b.unwrap());
                assert!((a - b).abs() <= 1e-9 * a.abs(), "{a} vs {b}");
            }
            // Percentiles: within eps of the larger magnitude of the two order statistics
            // the exact value interpolates.
            let sorted = |f: fn(&crate::engine::trial::Outcome) -> f64| {
                let mut v: Vec<f64> = batches
                    .iter()
                    .flat_map(|b| b.outcomes_of(ai))
                    .map(f)
                    .filter(|x| x.is_finite())
                    .collect();
                v.sort_by(f64::total_cmp);
                v
            };
            let (npv, roi) = (sorted(|o| o.npv), sorted(|o| o.roi));
            for (a, b, values, q) in [
                (e.npv_p5, s.npv_p5, &npv, 0.05),
                (e.npv_p50, s.npv_p50, &npv, 0.5),
                (e.npv_p95, s.npv_p95, &npv, 0.95),
                (e.roi_p10, s.roi_p10, &roi, 0.10),
                (e.roi_p50, s.roi_p50, &roi, 0.5),
                (e.roi_p90, s.roi_p90, &roi, 0.90),
            ] {
                let pos = q * (values.len() - 1) as f64;
                let (lo, hi) = (values[pos.floor() as usize], values[pos.ceil() as usize]);
                let bound = eps * lo.abs().max(hi.abs());
                let (a, b) = (a.unwrap(), b.unwrap());
                assert!((a - b).abs() <= bound * (1.0 + 1e-9), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn moments_of_a_small_sample() {
        let (m, sd) = mean_sd(&[1.0, 2.0, 3.0]);
        assert_eq!(m, Some(2.0));
        assert_eq!(sd, Some(1.0));
    }
}
