//! Targets a client cares about, such as `roi >= 0.5` or `payback_month <= 18`: one
//! per-trial figure compared with a number. A run reports, per arm, the share of trials
//! that meet each target with its binomial standard error; the counts are kept in the
//! tally, so they are exact and add across batches, threads and shards.
//!
//! The grammar is `METRIC OP NUMBER`, spaces anywhere between the parts:
//!
//! - METRIC: `npv`, `roi`, `net`, `payback_month` or `investment`, the trial's figures;
//! - OP: `>=`, `>`, `<=` or `<`;
//! - NUMBER: a decimal number, `_` allowed between digits (`10_000`); for `roi` a trailing
//!   `%` divides by 100 (`roi >= 50 %` is `roi >= 0.5`).
//!
//! A trial that never paid back meets no `payback_month <=` or `<` target and every `>=`
//! or `>` one (never is later than any month); a trial without an investment has no ROI
//! and meets no `roi` target.

use std::fmt;

use crate::error::did_you_mean;

/// The per-trial figure a target reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Npv,
    Roi,
    Net,
    PaybackMonth,
    Investment,
}

/// Every metric with its name in an expression.
const METRICS: [(&str, Metric); 5] = [
    ("npv", Metric::Npv),
    ("roi", Metric::Roi),
    ("net", Metric::Net),
    ("payback_month", Metric::PaybackMonth),
    ("investment", Metric::Investment),
];

impl Metric {
    pub fn name(self) -> &'static str {
        METRICS
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("", |(n, _)| n)
    }
}

/// How a trial's figure is compared with the target's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Gt,
    Le,
    Lt,
}

/// Every operator as written, two-character ones first so that `>=` is not read as `>`.
const OPS: [(&str, Op); 4] = [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)];

impl Op {
    pub fn symbol(self) -> &'static str {
        OPS.iter().find(|(_, o)| *o == self).map_or("", |(s, _)| s)
    }
}

/// One target: `expr` is its normalised form (`roi >= 0.5`), what every output shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub expr: String,
    pub metric: Metric,
    pub op: Op,
    pub value: f64,
}

/// What is wrong with a target expression, and a hint when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetError {
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match &self.help {
            Some(h) => write!(f, " ({h})"),
            None => Ok(()),
        }
    }
}

fn fail(message: String) -> TargetError {
    TargetError {
        message,
        help: None,
    }
}

/// The figures of one trial in one arm that a target may read.
#[derive(Debug, Clone, Copy)]
pub struct Metrics {
    pub npv: f64,
    /// NaN without an investment.
    pub roi: f64,
    pub net: f64,
    pub investment: f64,
    /// `None` when the trial never paid back.
    pub payback_month: Option<u32>,
}

impl Target {
    /// Reads `METRIC OP NUMBER` (see the module documentation).
    ///
    /// # Errors
    /// An unknown metric (with a did-you-mean), a missing or unknown operator, or a number
    /// that is not one; each message says what is allowed.
    pub fn parse(text: &str) -> Result<Target, TargetError> {
        let s = text.trim();
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        let metric = metric(&s[..end])?;
        let rest = s[end..].trim_start();
        let Some((sym, op)) = OPS.iter().find(|(sym, _)| rest.starts_with(sym)) else {
            return Err(fail(format!(
                "expected an operator after `{}`: one of >=, >, <=, <; found {:?}",
                metric.name(),
                rest
            )));
        };
        let value = number(metric, rest[sym.len()..].trim())?;
        Ok(Target {
            expr: format!("{} {} {}", metric.name(), sym, value),
            metric,
            op: *op,
            value,
        })
    }

    /// Whether a trial with figures `m` meets the target.
    #[inline]
    pub fn met(&self, m: &Metrics) -> bool {
        let x = match self.metric {
            Metric::Npv => m.npv,
            Metric::Roi => m.roi,
            Metric::Net => m.net,
            Metric::Investment => m.investment,
            Metric::PaybackMonth => m.payback_month.map_or(f64::INFINITY, f64::from),
        };
        // NaN (no ROI) compares false with every number.
        match self.op {
            Op::Ge => x >= self.value,
            Op::Gt => x > self.value,
            Op::Le => x <= self.value,
            Op::Lt => x < self.value,
        }
    }
}

fn metric(word: &str) -> Result<Metric, TargetError> {
    let names = METRICS.map(|(n, _)| n);
    if let Some((_, m)) = METRICS.iter().find(|(n, _)| *n == word) {
        return Ok(*m);
    }
    let found = if word.is_empty() {
        "nothing".to_string()
    } else {
        format!("`{word}`")
    };
    Err(TargetError {
        message: format!(
            "a target is METRIC OP NUMBER with METRIC one of {}; found {found}",
            names.join(", ")
        ),
        help: did_you_mean(word, names)
            .filter(|_| !word.is_empty())
            .map(|s| format!("did you mean `{s}`?")),
    })
}

/// The number of a target on `metric`: `_` between digits, `%` for a ROI in percent.
fn number(metric: Metric, text: &str) -> Result<f64, TargetError> {
    let (digits, percent) = match text.strip_suffix('%') {
        Some(d) => (d.trim_end(), true),
        None => (text, false),
    };
    if percent && metric != Metric::Roi {
        return Err(fail(format!(
            "a % is only allowed on roi; write {} as a plain number",
            metric.name()
        )));
    }
    let bad = || {
        fail(format!(
            "expected a number after the operator (such as 0.5, 10_000 or, for roi, 50 %), found {text:?}"
        ))
    };
    if digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return Err(bad());
    }
    let x: f64 = digits.replace('_', "").parse().map_err(|_| bad())?;
    if !x.is_finite() {
        return Err(bad());
    }
    Ok(if percent { x / 100.0 } else { x })
}

/// Appends `targets` to `into`, but those whose expression is already there.
pub fn extend_unique(into: &mut Vec<Target>, targets: impl IntoIterator<Item = Target>) {
    for t in targets {
        if !into.iter().any(|o| o.expr == t.expr) {
            into.push(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(roi: f64, payback: Option<u32>) -> Metrics {
        Metrics {
            npv: 1.0,
            roi,
            net: 1.0,
            investment: 1.0,
            payback_month: payback,
        }
    }

    #[test]
    fn parses_and_normalises() {
        let t = Target::parse("roi>=50 %").unwrap();
        assert_eq!((t.metric, t.op, t.value), (Metric::Roi, Op::Ge, 0.5));
        assert_eq!(t.expr, "roi >= 0.5");
        assert_eq!(
            Target::parse(" npv  >  10_000 ").unwrap().expr,
            "npv > 10000"
        );
        assert_eq!(
            Target::parse("payback_month<=18").unwrap().expr,
            "payback_month <= 18"
        );
        assert_eq!(Target::parse("net < -2.5e3").unwrap().value, -2500.0);
    }

    #[test]
    fn says_what_is_allowed() {
        let e = Target::parse("rio >= 0.5").unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean `roi`?"));
        assert!(e.message.contains("payback_month"), "{}", e.message);
        let e = Target::parse("roi = 0.5").unwrap_err();
        assert!(e.message.contains(">=, >, <=, <"), "{}", e.message);
        assert!(Target::parse("roi >= abc").is_err());
        assert!(Target::parse("npv >= 5 %").is_err());
        assert!(Target::parse("npv >= 1__0").is_err());
        assert!(Target::parse("npv >= inf").is_err());
        assert!(Target::parse(">= 5").unwrap_err().help.is_none());
    }

    #[test]
    fn never_and_nan() {
        let later = Target::parse("payback_month > 6").unwrap();
        let sooner = Target::parse("payback_month <= 6").unwrap();
        assert!(later.met(&metrics(0.0, None)));
        assert!(!sooner.met(&metrics(0.0, None)));
        assert!(sooner.met(&metrics(0.0, Some(6))));
        for expr in ["roi >= -1e9", "roi < 1e9"] {
            assert!(!Target::parse(expr).unwrap().met(&metrics(f64::NAN, None)));
        }
    }
}
