//! The decision a run states: doing nothing (an NPV of 0) is always an option, so a run
//! recommends an arm only when it is worth more than nothing and more than the next best
//! arm with 95 % confidence, says "do not start" when no arm's mean NPV is above 0, and
//! "too close to call" otherwise (docs/model.md section 9). [`Decision::of`] is a pure
//! function of the arms' and pairs' summaries; [`ranking`] is the one order of the arms by
//! mean NPV that the decision, the terminal, the report and the charts share. The
//! [`Decision`] type itself is one of the serialisable types of [`super::summary`].

use super::summary::{ArmSummary, Choice, Decision, Interval, PairSummary, Summary};
use crate::output::format::{money, pct, plain};

/// Indices of `arms` by mean NPV, highest first; ties keep the scenario's order, and arms
/// without a mean come last.
pub fn ranking(arms: &[ArmSummary]) -> Vec<usize> {
    let key = |i: usize| arms[i].npv.mean.unwrap_or(f64::NEG_INFINITY);
    let mut order: Vec<usize> = (0..arms.len()).collect();
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
    order
}

/// The paired NPV difference `a - b` on the same trials, from whichever of the pairs
/// `(a, b)` or `(b, a)` the summary holds (the latter negated).
pub fn npv_difference(pairs: &[PairSummary], a: &str, b: &str) -> Option<Interval> {
    if let Some(p) = pairs.iter().find(|p| p.a == a && p.b == b) {
        return Some(p.npv_diff.clone());
    }
    let p = pairs.iter().find(|p| p.a == b && p.b == a)?;
    let neg = |x: Option<f64>| x.map(|v| -v);
    Some(Interval {
        mean: neg(p.npv_diff.mean),
        lo95: neg(p.npv_diff.hi95),
        hi95: neg(p.npv_diff.lo95),
    })
}

/// The arm's label when it has one of its own (a label defaults to the name).
fn own_label(arm: &ArmSummary) -> Option<String> {
    (!arm.label.is_empty() && arm.label != arm.name).then(|| plain(&arm.label).into_owned())
}

/// "aligned (Aligned: back-office ordering)", or "aligned" for an arm without a label.
pub fn arm_phrase(arm: &ArmSummary) -> String {
    match own_label(arm) {
        Some(label) => format!("{} ({label})", plain(&arm.name)),
        None => plain(&arm.name).into_owned(),
    }
}

/// "the aligned plan (Aligned: back-office ordering)", or "the aligned plan" for an arm
/// without a label.
pub fn plan_phrase(arm: &ArmSummary) -> String {
    match own_label(arm) {
        Some(label) => format!("the {} plan ({label})", plain(&arm.name)),
        None => format!("the {} plan", plain(&arm.name)),
    }
}

/// Whether an interval lies above 0.
fn above_zero(i: &Interval) -> bool {
    i.lo95.is_some_and(|lo| lo > 0.0)
}

/// Half the width of an interval: 1.96 standard errors.
fn half_width(i: &Interval) -> Option<f64> {
    i.hi95.zip(i.mean).map(|(hi, m)| hi - m)
}

impl Decision {
    /// The decision of a run, from its arms' and pairs' summaries.
    pub fn of(s: &Summary) -> Decision {
        let (arms, pairs, currency) = (&s.arms, &s.pairs, s.currency.as_str());
        let order = ranking(arms);
        let Some(&best) = order.first() else {
            return Decision::nothing_to_start();
        };
        let best = &arms[best];
        let runner = order.get(1).map(|&i| &arms[i]);
        let worth = Interval::of(best.npv.mean, best.npv.se);
        let gap = runner.map(|r| npv_difference(pairs, &best.name, &r.name).unwrap_or(NONE));
        let clear = gap.as_ref().is_none_or(above_zero);
        if above_zero(&worth) && clear {
            return Decision::start(best, runner.zip(gap.as_ref()), currency);
        }
        if best.npv.mean.is_none_or(|m| m <= 0.0) {
            return Decision::do_nothing(best, currency);
        }
        let reason = if above_zero(&worth) {
            let gap = gap.unwrap_or(NONE);
            format!(
                "the best two plans are within the noise: {} is ahead by {} \u{b1} {}",
                plain(&best.name),
                money(gap.mean),
                money(half_width(&gap))
            )
        } else {
            "the best plan's mean NPV is not above 0 with 95 % confidence".to_string()
        };
        let sentence = format!(
            "Too close to call: {reason} (best: {}, mean NPV {} \u{b1} {} {}).",
            plan_phrase(best),
            money(worth.mean),
            money(half_width(&worth)),
            plain(currency)
        );
        Decision {
            choice: Choice::TooClose,
            arm: None,
            reason,
            sentence,
        }
    }

    /// `best` is recommended; `next` is the runner-up with the paired difference, if any.
    fn start(best: &ArmSummary, next: Option<(&ArmSummary, &Interval)>, currency: &str) -> Self {
        let than = match next {
            Some((r, gap)) => format!(
                "it beats the next best plan, {}, by {} on average",
                arm_phrase(r),
                money(gap.mean)
            ),
            None => "it is the only plan, and it beats doing nothing".to_string(),
        };
        let reason = match next {
            Some(_) => {
                "its mean NPV is above 0 and above the next best plan's, with 95 % confidence"
            }
            None => "its mean NPV is above 0 with 95 % confidence",
        };
        Decision {
            choice: Choice::Arm,
            arm: Some(best.name.clone()),
            reason: reason.to_string(),
            sentence: format!(
                "Recommended: {}: mean NPV {} {}, 95 % sure above 0; {than}.",
                plan_phrase(best),
                money(best.npv.mean),
                plain(currency)
            ),
        }
    }

    /// No arm's mean NPV is above 0; `best` is the least bad.
    fn do_nothing(best: &ArmSummary, currency: &str) -> Self {
        Decision {
            choice: Choice::DoNothing,
            arm: None,
            reason: "no plan's mean NPV is above 0".to_string(),
            sentence: format!(
                "Do not start: no plan is worth more than doing nothing on average (best: {}, \
                 mean NPV {} {}, loses money in {} of futures).",
                plain(&best.name),
                money(best.npv.mean),
                plain(currency),
                pct(best.p_npv_negative)
            ),
        }
    }

    /// A run without arms (never after validation): nothing to start.
    fn nothing_to_start() -> Self {
        Decision {
            choice: Choice::DoNothing,
            arm: None,
            reason: "there is no plan".to_string(),
            sentence: "Do not start: there is no plan to compare with doing nothing.".to_string(),
        }
    }
}

/// An interval that is not known.
const NONE: Interval = Interval {
    mean: None,
    lo95: None,
    hi95: None,
};
