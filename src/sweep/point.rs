//! The figures a sweep reports for each point and arm: a projection of the run's own
//! [`ArmSummary`], so a point is summarised by the same code as a run (exactly up to
//! [`stats::EXACT_LIMIT`] trials, by sketch beyond) and the point at a scenario's own values
//! reproduces its run. A point keeps what its statistics need only until it is summarised.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::aggregate::Accumulator;
use crate::engine::{Model, Sampling};
use crate::job::Sim;
use crate::scenario::Scenario;
use crate::stats::{self, ArmSummary, ArmTally, TargetResult};

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
    /// The share of the arm's trials meeting each of the sweep's targets, in the order of
    /// [`super::Sweep::targets`]; empty (and absent from `sweep.json`) without targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetShare>,
}

/// The share of one arm's trials at one point that meet one target, as a run reports it
/// ([`TargetResult`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetShare {
    /// The target, normalised (`roi >= 0.5`).
    pub expr: String,
    pub p: Option<f64>,
    /// The binomial standard error of `p`.
    pub se: Option<f64>,
}

impl ArmPoint {
    /// The point's figures of one arm, from its summary, its counts and the shares of its
    /// trials meeting each target (`targets`, every arm's, as [`TargetResult::of`] lists
    /// them: the arm's own are picked by name).
    pub fn new(s: &ArmSummary, t: &ArmTally, targets: &[TargetResult]) -> ArmPoint {
        ArmPoint {
            arm: s.name.clone(),
            p_npv_negative: s.p_npv_negative,
            p_npv_positive: s.p_npv_positive,
            p_roi_negative: s.p_roi_negative,
            p_roi_positive: t.p_roi_positive(),
            npv_mean: s.npv.mean,
            npv_mean_se: s.npv.se,
            npv_p5: s.npv.p5,
            npv_p50: s.npv.p50,
            npv_p95: s.npv.p95,
            roi_mean: s.roi.mean,
            roi_p10: s.roi.p10,
            roi_p50: s.roi.p50,
            roi_p90: s.roi.p90,
            p_payback: s.p_payback,
            payback_median: s.payback_median,
            p_dropped: s.p_dropped,
            targets: targets
                .iter()
                .filter(|r| r.arm == s.name)
                .map(|r| TargetShare {
                    expr: r.expr.clone(),
                    p: r.p,
                    se: r.se,
                })
                .collect(),
        }
    }
}

/// Simulates `trials` trials of one scenario with `seed` and summarises each arm as a run
/// does, counting the scenario's targets.
///
/// # Errors
/// A frame Polars cannot build (exact points).
pub fn run_point(
    sc: &Scenario,
    trials: u64,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<ArmPoint>> {
    let sim = Sim {
        trials,
        seed,
        sampling: Sampling::MonteCarlo,
        sketch: stats::auto_sketch(trials),
    };
    let model = sim.model(sc);
    let (tally, arms) = summarise(&model, sc, &sim, progress)?;
    let targets = TargetResult::of(&model, &tally);
    Ok(arms
        .iter()
        .zip(&tally.arms)
        .map(|(s, t)| ArmPoint::new(s, t, &targets))
        .collect())
}

/// The counts and arm summaries of the simulation `sim`, exact or by sketch.
fn summarise(
    model: &Model,
    sc: &Scenario,
    sim: &Sim,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(stats::Tally, Vec<ArmSummary>)> {
    let has_kpi = sc.kpi.is_some();
    if sim.sketch {
        let mut r = stats::sketched::Reducer::new(model, has_kpi);
        model.run_each(0..sim.trials, progress, |b| r.push(&b));
        let (tally, arms, _) = r.finish(model);
        Ok((tally, arms))
    } else {
        let mut acc = Accumulator::lean(model, has_kpi);
        model.run_each(0..sim.trials, progress, |b| acc.push(&b));
        let (tally, arms) = acc.reduce_arms()?;
        Ok((tally, arms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{HEADLINE_BITS, Sketch};

    /// The points of `batches`, summarised exactly and by sketch.
    fn both(model: &Model, batches: &[crate::engine::Batch]) -> [Vec<ArmPoint>; 2] {
        let mut acc = Accumulator::lean(model, false);
        let mut r = stats::sketched::Reducer::new(model, false);
        for b in batches {
            acc.push(b);
            r.push(b);
        }
        let (te, ae) = acc.reduce_arms().unwrap();
        let (ts, as_, _) = r.finish(model);
        let points = |t: &stats::Tally, a: &[ArmSummary]| {
            let targets = TargetResult::of(model, t);
            a.iter()
                .zip(&t.arms)
                .map(|(s, t)| ArmPoint::new(s, t, &targets))
                .collect()
        };
        [points(&te, &ae), points(&ts, &as_)]
    }

    #[test]
    fn sketched_points_match_exact_ones_within_the_bound() {
        let text = include_str!("../../tests/fixtures/v1/bakery.toml");
        let sc = crate::scenario::parse("bakery.toml", "bakery", text).unwrap();
        let model = Model::new(&sc);
        let batches = model.run(0..20_000, &|_| {});
        let [exact, sketch] = both(&model, &batches);
        let eps = Sketch::new(HEADLINE_BITS).relative_error();
        for (ai, (e, s)) in exact.iter().zip(sketch).enumerate() {
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
}
