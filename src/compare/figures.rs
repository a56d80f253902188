//! The headline figures a comparison sets side by side, each with its difference (B minus
//! A, from the two `summary.json` files), the standard error of that difference and
//! whether the difference is beyond Monte Carlo noise (|diff| > 1.96 se).
//!
//! The standard error comes one of two ways:
//!
//! - **independent**: `sqrt(se_a² + se_b²)` from each summary's own standard errors;
//! - **paired**, when both runs drew the same trials (same seed, trial count and sampling):
//!   the standard error of the mean of the trial-by-trial differences, read from both
//!   `trials.parquet` joined on trial and arm. For a probability the difference is that of
//!   the two indicators (1 when the trial meets it, 0 when not).
//!
//! A percentile's standard error is the large-sample one, `sqrt(p(1-p)/n)` times the slope
//! of the quantile function, the slope read from the summary's neighbouring percentiles
//! (P50 from P25-P75; P5 and P95 from the three nearest percentiles, see [`slope`]). Paired, each trial contributes
//! its term of the percentile's linearisation, `slope × (p − 1[x ≤ percentile])`, and the
//! standard error is that of the mean of their differences: on independent trials both
//! ways give the same.

use serde::{Deserialize, Serialize};

use crate::stats::targets::{Metrics, Target};
use crate::stats::{ArmSummary, Moments, Stats, Summary, TargetResult};

/// Standard errors beyond which a difference is not Monte Carlo noise (95 %, two-sided).
pub const Z: f64 = 1.96;

/// How a figure is shown: an amount, a probability, or a ratio (ROI) shown in percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Money,
    Probability,
    Ratio,
}

/// Whether a difference is beyond Monte Carlo noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    #[serde(rename = "within noise")]
    WithinNoise,
    #[serde(rename = "beyond noise")]
    BeyondNoise,
}

impl Verdict {
    /// The verdict on `diff` with standard error `se`; none when either is unknown.
    pub fn of(diff: Option<f64>, se: Option<f64>) -> Option<Verdict> {
        let (d, s) = (diff?, se?);
        Some(if d.abs() > Z * s {
            Verdict::BeyondNoise
        } else {
            Verdict::WithinNoise
        })
    }

    pub fn words(self) -> &'static str {
        match self {
            Verdict::WithinNoise => "within noise",
            Verdict::BeyondNoise => "beyond noise",
        }
    }
}

/// One figure of one arm in both runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// `npv_mean`, `p_npv_negative`, `npv_p5`, ..., `target: roi >= 0.5`.
    pub key: String,
    pub label: String,
    pub kind: Kind,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// `b - a`.
    pub diff: Option<f64>,
    /// The standard error of `diff`.
    pub se: Option<f64>,
    pub verdict: Option<Verdict>,
}

/// The figures of one trial of one arm that the paired differences read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub npv: f64,
    /// `None` without an investment.
    pub roi: Option<f64>,
    pub net: f64,
    pub investment: f64,
    /// `None` when the trial never paid back.
    pub payback: Option<u32>,
    pub dropped: bool,
}

impl Row {
    fn metrics(&self) -> Metrics {
        Metrics {
            npv: self.npv,
            roi: self.roi.unwrap_or(f64::NAN),
            net: self.net,
            investment: self.investment,
            payback_month: self.payback,
        }
    }
}

/// What a figure is, per trial: how its paired differences are formed.
enum Term {
    /// The mean of a value, over the trials that have it in both runs.
    Mean(fn(&Row) -> Option<f64>),
    /// The share of trials meeting a condition.
    Share(Box<dyn Fn(&Row) -> bool>),
    /// The NPV percentile at level `p`.
    Percentile(f64),
}

/// A figure's value, or its own standard error, in one run's summary of one arm.
type Read = Box<dyn Fn(&Summary, &ArmSummary) -> Option<f64>>;

/// One figure: its key, label and kind, its value in a summary, its own standard error
/// there (for the independent method) and its per-trial term (for the paired one).
struct Spec {
    key: String,
    label: String,
    kind: Kind,
    value: Read,
    se: Read,
    term: Term,
}

/// The levels of the NPV percentiles compared, with their names.
const PERCENTILES: [(&str, f64); 3] = [("p5", 0.05), ("p50", 0.50), ("p95", 0.95)];

/// Every figure of arm `arm` that both summaries can report: the headline figures, then
/// each target both runs have for the arm.
fn specs(arm: &str, a: &Summary, b: &Summary) -> Vec<Spec> {
    let mut specs = vec![
        mean(
            "npv_mean",
            "Mean NPV",
            Kind::Money,
            |a| &a.npv,
            |r| Some(r.npv),
        ),
        share(
            ("p_npv_negative", "P(NPV < 0)"),
            |a| (a.p_npv_negative, a.p_npv_negative_se),
            |r| r.npv < 0.0,
        ),
    ];
    for (name, p) in PERCENTILES {
        specs.push(Spec {
            key: format!("npv_{name}"),
            label: format!("NPV {}", name.to_uppercase()),
            kind: Kind::Money,
            value: Box::new(move |_, a| percentile(&a.npv, p)),
            se: Box::new(move |s, a| percentile_se(&a.npv, p, s.trials)),
            term: Term::Percentile(p),
        });
    }
    specs.extend([
        mean("roi_mean", "Mean ROI", Kind::Ratio, |a| &a.roi, |r| r.roi),
        share(
            ("p_payback", "P(payback within horizon)"),
            |a| (a.p_payback, a.p_payback_se),
            |r| r.payback.is_some(),
        ),
        share(
            ("p_dropped", "P(dropped)"),
            |a| (a.p_dropped, a.p_dropped_se),
            |r| r.dropped,
        ),
    ]);
    for t in a.targets.iter().filter(|t| t.arm == arm) {
        let in_b = b.targets.iter().any(|u| u.arm == arm && u.expr == t.expr);
        if let (true, Ok(target)) = (in_b, Target::parse(&t.expr)) {
            specs.push(target_spec(target));
        }
    }
    specs
}

fn mean(
    key: &str,
    label: &str,
    kind: Kind,
    stats: fn(&ArmSummary) -> &Stats,
    of: fn(&Row) -> Option<f64>,
) -> Spec {
    Spec {
        key: key.into(),
        label: label.into(),
        kind,
        value: Box::new(move |_, a| stats(a).mean),
        se: Box::new(move |_, a| stats(a).se),
        term: Term::Mean(of),
    }
}

/// A probability of the summary, read with its standard error by `read`.
fn share(
    (key, label): (&str, &str),
    read: fn(&ArmSummary) -> (Option<f64>, Option<f64>),
    met: fn(&Row) -> bool,
) -> Spec {
    Spec {
        key: key.into(),
        label: label.into(),
        kind: Kind::Probability,
        value: Box::new(move |_, a| read(a).0),
        se: Box::new(move |_, a| read(a).1),
        term: Term::Share(Box::new(met)),
    }
}

/// The chance of meeting one target, looked up in a summary's `targets` by arm and
/// expression.
fn target_spec(target: Target) -> Spec {
    let expr = target.expr.clone();
    let find = move |field: fn(&TargetResult) -> Option<f64>| -> Read {
        let expr = expr.clone();
        Box::new(move |s: &Summary, a: &ArmSummary| {
            s.targets
                .iter()
                .find(|t| t.arm == a.name && t.expr == expr)
                .and_then(field)
        })
    };
    Spec {
        key: format!("target: {}", target.expr),
        label: format!("P({})", target.expr),
        kind: Kind::Probability,
        value: find(|t| t.p),
        se: find(|t| t.se),
        term: Term::Share(Box::new(move |r| target.met(&r.metrics()))),
    }
}

/// The percentile at level `p`, one of [`PERCENTILES`], of a summary's statistics.
fn percentile(s: &Stats, p: f64) -> Option<f64> {
    if p < 0.25 {
        s.p5
    } else if p > 0.75 {
        s.p95
    } else {
        s.p50
    }
}

/// The slope of the quantile function at level `p`, one of [`PERCENTILES`], from the
/// neighbouring percentiles the summary has. In a tail the slope grows towards the end,
/// so the difference to the next percentile understates it: there the larger of that
/// difference and the slope of the parabola through the three nearest percentiles
/// (P5, P10, P25; P95, P90, P75) is taken.
fn slope(s: &Stats, p: f64) -> Option<f64> {
    // The derivative at 0.05 of the parabola through 0.05, 0.10 and 0.25 (and, mirrored,
    // at 0.95 through 0.95, 0.90 and 0.75): -25 Q0 + 80/3 Q1 - 5/3 Q2.
    let tail = |q0: f64, q1: f64, q2: f64| {
        let secant = (q1 - q0) / 0.05;
        let parabola = -25.0 * q0 + 80.0 / 3.0 * q1 - 5.0 / 3.0 * q2;
        secant.abs().max(parabola.abs())
    };
    if p < 0.25 {
        Some(tail(s.p5?, s.p10?, s.p25?))
    } else if p > 0.75 {
        Some(tail(s.p95?, s.p90?, s.p75?))
    } else {
        Some((s.p75? - s.p25?) / 0.5)
    }
}

/// The large-sample standard error of the percentile at level `p` of `n` trials.
fn percentile_se(s: &Stats, p: f64, n: u64) -> Option<f64> {
    (n > 1).then_some(())?;
    Some(slope(s, p)? * (p * (1.0 - p) / n as f64).sqrt())
}

/// The figures of arm `arm` with independent standard errors, `sqrt(se_a² + se_b²)`.
pub fn independent(arm: &str, a: &Summary, b: &Summary) -> Vec<Figure> {
    let (Some(xa), Some(xb)) = (arm_of(a, arm), arm_of(b, arm)) else {
        return Vec::new();
    };
    specs(arm, a, b)
        .into_iter()
        .map(|spec| {
            let se = match ((spec.se)(a, xa), (spec.se)(b, xb)) {
                (Some(x), Some(y)) => Some(x.hypot(y)),
                _ => None,
            };
            figure(&spec, (a, xa), (b, xb), se)
        })
        .collect()
}

/// The figures of arm `arm` with paired standard errors, from the arm's trials of both
/// runs, `pairs` (the same trial of run A and of run B).
pub fn paired(arm: &str, a: &Summary, b: &Summary, pairs: &[(Row, Row)]) -> Vec<Figure> {
    let (Some(xa), Some(xb)) = (arm_of(a, arm), arm_of(b, arm)) else {
        return Vec::new();
    };
    specs(arm, a, b)
        .into_iter()
        .map(|spec| {
            let se = match &spec.term {
                Term::Mean(of) => mean_se(pairs.iter().filter_map(|(x, y)| Some(of(y)? - of(x)?))),
                Term::Share(met) => mean_se(
                    pairs
                        .iter()
                        .map(|(x, y)| f64::from(u8::from(met(y))) - f64::from(u8::from(met(x)))),
                ),
                Term::Percentile(p) => percentile_paired_se(*p, (&xa.npv, &xb.npv), pairs),
            };
            figure(&spec, (a, xa), (b, xb), se)
        })
        .collect()
}

/// The paired standard error of the difference of two NPV percentiles at level `p`: that
/// of the mean difference of each trial's term of the two percentiles' linearisations.
fn percentile_paired_se(p: f64, (a, b): (&Stats, &Stats), pairs: &[(Row, Row)]) -> Option<f64> {
    let (qa, qb) = (percentile(a, p)?, percentile(b, p)?);
    let (sa, sb) = (slope(a, p)?, slope(b, p)?);
    let term = |x: f64, q: f64, s: f64| s * (p - f64::from(u8::from(x <= q)));
    mean_se(
        pairs
            .iter()
            .map(|(x, y)| term(y.npv, qb, sb) - term(x.npv, qa, sa)),
    )
}

/// The standard error of the mean of `values` (sample standard deviation over root n).
fn mean_se(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut m = Moments::default();
    values.for_each(|x| m.push(x));
    m.se()
}

fn arm_of<'s>(s: &'s Summary, arm: &str) -> Option<&'s ArmSummary> {
    s.arms.iter().find(|a| a.name == arm)
}

fn figure(
    spec: &Spec,
    (a, xa): (&Summary, &ArmSummary),
    (b, xb): (&Summary, &ArmSummary),
    se: Option<f64>,
) -> Figure {
    let (va, vb) = ((spec.value)(a, xa), (spec.value)(b, xb));
    let diff = va.zip(vb).map(|(x, y)| y - x);
    Figure {
        key: spec.key.clone(),
        label: spec.label.clone(),
        kind: spec.kind,
        a: va,
        b: vb,
        diff,
        se,
        verdict: Verdict::of(diff, se),
    }
}
