//! Break-even: the value of a varied parameter at which an arm starts (or stops) breaking
//! even in half of the futures, `P(npv > 0) = 0.5`.
//!
//! Over a sweep's grid it is found by linear interpolation between the two neighbouring
//! points where `P(npv > 0)` crosses one half. `alignsim breakeven` finds it by bisection
//! on the value itself: with common random numbers every evaluation sees the same futures,
//! so the metric is a step function of the value that moves only where the value changes
//! a future's outcome, and bisection converges on its crossing. Its Monte Carlo
//! uncertainty comes from solving again for the target plus and minus 1.96 standard
//! errors of the metric: the values at which a result one standard error away from the
//! target would have been seen.

use std::fmt;
use std::str::FromStr;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{ArmPoint, Sweep};

/// The level a sweep's break-even line looks for.
pub const HALF: f64 = 0.5;

/// A sweep's break-even finding for one arm (and one value of the second axis): data
/// only. Its sentence is rendered by [`super::report::break_even_sentence`], which
/// `sweep.json` carries beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub arm: String,
    /// The second axis' value held fixed, for two-dimensional sweeps.
    pub given: Option<f64>,
    /// Where `P(npv > 0)` first crosses one half along the first axis, interpolated.
    pub value: Option<f64>,
    /// `rising` when the arm breaks even from `value` on, `falling` when only below it.
    pub direction: Option<Direction>,
    /// How many times the curve crosses one half within the range.
    pub crossings: usize,
    pub p_min: Option<f64>,
    pub p_max: Option<f64>,
}

/// Which way a metric crosses its target as the value grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Rising,
    Falling,
}

/// The break-even findings of a sweep: one per arm, or one per arm and value of the
/// second axis.
pub fn findings(sweep: &Sweep) -> Vec<Finding> {
    let Some(first) = sweep.axes.first() else {
        return Vec::new();
    };
    let givens: Vec<Option<f64>> = match sweep.axes.get(1) {
        Some(second) => second.values.iter().map(|v| Some(*v)).collect(),
        None => vec![None],
    };
    let mut out = Vec::new();
    for (ai, arm) in sweep.arms.iter().enumerate() {
        for (j, given) in givens.iter().enumerate() {
            let curve: Vec<(f64, f64)> = first
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, x)| {
                    let p = sweep.points[sweep.index(i, j)].arms[ai].p_npv_positive?;
                    Some((*x, p))
                })
                .collect();
            let mut f = crossing(&curve, HALF, first.integer);
            f.arm = arm.name.clone();
            f.given = *given;
            out.push(f);
        }
    }
    out
}

/// Where `(x, p)` points first cross `level`, interpolating linearly; for whole-number
/// values, the first value on the far side of the crossing.
pub fn crossing(points: &[(f64, f64)], level: f64, integer: bool) -> Finding {
    let mut pts = points.to_vec();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let above = |p: f64| p >= level;
    let mut first = None;
    let mut crossings = 0;
    for w in pts.windows(2) {
        let ((x0, p0), (x1, p1)) = (w[0], w[1]);
        if above(p0) == above(p1) {
            continue;
        }
        crossings += 1;
        if first.is_none() {
            let dir = if above(p1) {
                Direction::Rising
            } else {
                Direction::Falling
            };
            let x = if integer {
                if dir == Direction::Rising { x1 } else { x0 }
            } else {
                x0 + (level - p0) * (x1 - x0) / (p1 - p0)
            };
            first = Some((x, dir));
        }
    }
    let ps = pts.iter().map(|p| p.1);
    Finding {
        arm: String::new(),
        given: None,
        value: first.map(|f| f.0),
        direction: first.map(|f| f.1),
        crossings,
        p_min: ps.clone().reduce(f64::min),
        p_max: ps.reduce(f64::max),
    }
}

/// What `alignsim breakeven` solves for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// P(npv > 0).
    PNpvPositive,
    /// P(roi > 0), among trials with an investment.
    PRoiPositive,
    /// Share of futures that pay back within the horizon.
    PPayback,
    /// Mean npv.
    MeanNpv,
}

impl Metric {
    pub const ALL: [(&'static str, Metric); 4] = [
        ("p_npv_positive", Metric::PNpvPositive),
        ("p_roi_positive", Metric::PRoiPositive),
        ("p_payback", Metric::PPayback),
        ("mean_npv", Metric::MeanNpv),
    ];

    pub fn name(self) -> &'static str {
        Metric::ALL.iter().find(|m| m.1 == self).map_or("", |m| m.0)
    }

    /// The metric's value at a point.
    pub fn of(self, p: &ArmPoint) -> Option<f64> {
        match self {
            Metric::PNpvPositive => p.p_npv_positive,
            Metric::PRoiPositive => p.p_roi_positive,
            Metric::PPayback => p.p_payback,
            Metric::MeanNpv => p.npv_mean,
        }
    }

    /// Its Monte Carlo standard error at a point where it equals `level`, over `n` trials.
    pub fn se(self, p: &ArmPoint, level: f64, n: u64) -> Option<f64> {
        match self {
            Metric::MeanNpv => p.npv_mean_se,
            _ => (n > 0).then(|| (level * (1.0 - level) / n as f64).sqrt()),
        }
    }

    pub fn is_probability(self) -> bool {
        self != Metric::MeanNpv
    }
}

/// `--target NAME=LEVEL`, e.g. `p_npv_positive=0.5`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TargetLevel {
    pub metric: Metric,
    pub level: f64,
}

impl Default for TargetLevel {
    fn default() -> Self {
        TargetLevel {
            metric: Metric::PNpvPositive,
            level: HALF,
        }
    }
}

impl fmt::Display for TargetLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.metric.name(), self.level)
    }
}

impl FromStr for TargetLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.0).collect();
        let (name, level) = s.split_once('=').unwrap_or((s, ""));
        let metric = Metric::ALL
            .iter()
            .find(|m| m.0 == name.trim())
            .map(|m| m.1)
            .ok_or_else(|| {
                format!(
                    "unknown target {name:?}; one of: {} (as NAME=LEVEL)",
                    names.join(", ")
                )
            })?;
        let level: f64 = match level.trim() {
            "" if metric == Metric::MeanNpv => 0.0,
            "" => HALF,
            l => l
                .parse()
                .map_err(|_| format!("the level {l:?} is not a number"))?,
        };
        if !level.is_finite() || (metric.is_probability() && !(0.0..=1.0).contains(&level)) {
            return Err(format!(
                "{} is a probability: give a level from 0 to 1, got {level}",
                metric.name()
            ));
        }
        Ok(TargetLevel { metric, level })
    }
}

/// Every evaluation made so far, sorted by value, so that later solves start from the
/// tightest bracket already known.
pub struct Evaluations<'a> {
    eval: Box<dyn FnMut(f64) -> Result<ArmPoint> + 'a>,
    pub points: Vec<(f64, ArmPoint)>,
}

impl<'a> Evaluations<'a> {
    pub fn new(eval: impl FnMut(f64) -> Result<ArmPoint> + 'a) -> Self {
        Evaluations {
            eval: Box::new(eval),
            points: Vec::new(),
        }
    }

    /// The figures at `x`, simulated once.
    pub fn at(&mut self, x: f64) -> Result<&ArmPoint> {
        let i = match self.points.binary_search_by(|p| p.0.total_cmp(&x)) {
            Ok(i) => i,
            Err(i) => {
                let p = (self.eval)(x)?;
                self.points.insert(i, (x, p));
                i
            }
        };
        Ok(&self.points[i].1)
    }

    /// The first neighbouring pair of evaluated values between which `metric` crosses
    /// `level`, with its direction.
    fn bracket(&self, metric: Metric, level: f64) -> Option<(f64, f64, Direction)> {
        let above = |p: &ArmPoint| metric.of(p).map(|v| v >= level);
        self.points.windows(2).find_map(|w| {
            let (a, b) = (above(&w[0].1)?, above(&w[1].1)?);
            (a != b).then(|| {
                (
                    w[0].0,
                    w[1].0,
                    if b {
                        Direction::Rising
                    } else {
                        Direction::Falling
                    },
                )
            })
        })
    }
}

/// Bisects on `[lo, hi]` for where `metric` crosses `level`, until the bracket is no wider
/// than `tol` (or one whole number apart). `None` when the metric does not cross `level`
/// between the ends.
///
/// # Errors
/// Any error of an evaluation.
pub fn bisect(
    ev: &mut Evaluations,
    metric: Metric,
    level: f64,
    (lo, hi): (f64, f64),
    tol: f64,
    integer: bool,
) -> Result<Option<(f64, Direction)>> {
    ev.at(lo)?;
    ev.at(hi)?;
    for _ in 0..200 {
        let Some((a, b, dir)) = ev.bracket(metric, level) else {
            return Ok(None);
        };
        let done = if integer { b - a <= 1.0 } else { b - a <= tol };
        if done {
            return Ok(Some((
                solution(ev, metric, level, (a, b), dir, integer)?,
                dir,
            )));
        }
        let mid = if integer {
            ((a + b) / 2.0).floor()
        } else {
            a + (b - a) / 2.0
        };
        ev.at(mid)?;
    }
    Ok(None)
}

/// The reported value inside a final bracket: interpolated for continuous values; for whole
/// numbers, the value on the side that meets the target.
fn solution(
    ev: &mut Evaluations,
    metric: Metric,
    level: f64,
    (a, b): (f64, f64),
    dir: Direction,
    integer: bool,
) -> Result<f64> {
    if integer {
        return Ok(if dir == Direction::Rising { b } else { a });
    }
    let ya = metric.of(ev.at(a)?).unwrap_or(level);
    let yb = metric.of(ev.at(b)?).unwrap_or(level);
    Ok(if yb == ya {
        a + (b - a) / 2.0
    } else {
        a + (level - ya) * (b - a) / (yb - ya)
    })
}

/// The answer of `alignsim breakeven`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solved {
    pub scenario: String,
    pub arm: String,
    pub path: String,
    pub label: String,
    pub target: TargetLevel,
    pub lo: f64,
    pub hi: f64,
    pub trials: u64,
    pub seed: u64,
    /// Where the metric crosses the target; `None` if it does not within `[lo, hi]`.
    pub value: Option<f64>,
    pub direction: Option<Direction>,
    /// The Monte Carlo standard error of the metric at the target.
    pub se: Option<f64>,
    /// Where the metric crosses the target minus and plus 1.96 standard errors, sorted
    /// (`None` at an end that is not reached within `[lo, hi]`).
    pub interval: Option<(Option<f64>, Option<f64>)>,
    /// The metric at the ends of the range.
    pub at_lo: Option<f64>,
    pub at_hi: Option<f64>,
    pub evaluations: usize,
    pub integer: bool,
}

/// What [`solve`] finds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Solution {
    /// Where the metric crosses the target, and which way.
    pub found: Option<(f64, Direction)>,
    /// The metric's Monte Carlo standard error at the target.
    pub se: Option<f64>,
    /// Where it crosses the target minus and plus 1.96 standard errors, sorted.
    pub interval: Option<(Option<f64>, Option<f64>)>,
}

/// Solves for the target and its Monte Carlo interval.
///
/// # Errors
/// Any error of an evaluation.
pub fn solve(
    ev: &mut Evaluations,
    target: TargetLevel,
    range: (f64, f64),
    integer: bool,
    trials: u64,
) -> Result<Solution> {
    let tol = (range.1 - range.0).abs() * 1e-3;
    let found = bisect(ev, target.metric, target.level, range, tol, integer)?;
    let Some((x, _)) = found else {
        return Ok(Solution::default());
    };
    let at = ev.at(x)?.clone();
    let Some(se) = target.metric.se(&at, target.level, trials) else {
        return Ok(Solution {
            found,
            ..Solution::default()
        });
    };
    let half = 1.96 * se;
    let mut ends = Vec::new();
    for level in [target.level - half, target.level + half] {
        ends.push(bisect(ev, target.metric, level, range, tol, integer)?.map(|f| f.0));
    }
    let interval = match (ends[0], ends[1]) {
        (Some(a), Some(b)) => (Some(a.min(b)), Some(a.max(b))),
        (a, b) => (a, b),
    };
    Ok(Solution {
        found,
        se: Some(se),
        interval: Some(interval),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_the_first_crossing() {
        let f = crossing(&[(0.0, 0.2), (1.0, 0.4), (2.0, 0.8)], 0.5, false);
        assert_eq!(f.direction, Some(Direction::Rising));
        assert!((f.value.unwrap() - 1.25).abs() < 1e-12);
        let g = crossing(&[(0.0, 0.8), (1.0, 0.4), (2.0, 0.3)], 0.5, true);
        assert_eq!(
            (g.value, g.direction),
            (Some(0.0), Some(Direction::Falling))
        );
        assert_eq!(crossing(&[(0.0, 0.1), (1.0, 0.2)], 0.5, false).value, None);
    }

    #[test]
    fn targets_parse_with_defaults() {
        assert_eq!(
            "p_npv_positive=0.6".parse::<TargetLevel>().unwrap().level,
            0.6
        );
        assert_eq!("mean_npv".parse::<TargetLevel>().unwrap().level, 0.0);
        assert!("p_npv_positive=1.5".parse::<TargetLevel>().is_err());
        assert!("p_win=0.5".parse::<TargetLevel>().is_err());
    }
}
