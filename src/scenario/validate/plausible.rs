//! Plausibility: values the model allows but a person rarely means, such as a growth of
//! `3` typed for 3 % (300 % a month). A fixed value, or a distribution's centre, outside
//! its parameter's [`Plausible`] range (kept in the schema, next to the domain) is a
//! warning, not an error: it names the key, says what the value means and what was
//! probably meant. Warnings never change what is simulated.

use std::ops::Range;

use super::Checker;
use crate::dist::{Dist, fmt_num};
use crate::error::InputError;
use crate::scenario::schema::{Plausible, Reading, Sym};

/// The value a warning speaks of: a fixed value itself, else the distribution's natural
/// centre and its name (the mode of a triangular or PERT, the median of a lognormal, the
/// mean of the others).
pub(super) fn typical(d: &Dist) -> (Option<&'static str>, f64) {
    match d {
        Dist::Fixed(v) => (None, *v),
        Dist::LogNormal { mu, .. } => (Some("median"), mu.exp()),
        Dist::Triangular { mode, .. } => (Some("mode"), *mode),
        Dist::Beta {
            pert: Some((mode, _)),
            ..
        } => (Some("mode"), *mode),
        _ => (Some("mean"), d.mean()),
    }
}

impl Checker {
    /// Records the typical value of a shared parameter, for the ranges that compare with it
    /// (amounts with the monthly revenue, the KPI's value with its baseline and change).
    pub(super) fn remember_centre(&mut self, sym: Sym, d: &Dist) {
        self.centres.insert(sym, typical(d).1);
    }

    /// Warns when the typical value of `d`, at `path`, lies outside `plausible`.
    pub(super) fn plausible(
        &mut self,
        d: &Dist,
        plausible: Plausible,
        span: Range<usize>,
        path: &str,
    ) {
        if let Some(message) = self.implausible(d, plausible, path) {
            self.warnings.push(InputError::new(span, path, message));
        }
    }

    /// What a warning about `d` at `path` says, when its typical value lies outside
    /// `plausible`: the value, what it means and what was probably meant. Also the hint of
    /// an error about the same value (a growth past the limits).
    pub(super) fn implausible(&self, d: &Dist, plausible: Plausible, path: &str) -> Option<String> {
        let key = path.rsplit('.').next().unwrap_or(path);
        let (what, x) = typical(d);
        let subject = match what {
            None => format!("{key} = {}", fmt_num(x)),
            // A centre computed from the parameters (a lognormal's median) is rounded.
            Some(w) => format!("{key} {w} {}", fmt_num(round6(x))),
        };
        match plausible {
            Plausible::Any => None,
            Plausible::Range { lo, hi, reading } => {
                (!(lo..=hi).contains(&x)).then(|| outside(&subject, x, (lo, hi), reading))
            }
            Plausible::Revenue { times, reading } => {
                self.revenue_check(&subject, x, times, reading)
            }
            Plausible::KpiValue { times } => self.kpi_check(&subject, x, times),
        }
    }

    /// An amount of magnitude beyond `times` the monthly revenue.
    fn revenue_check(&self, subject: &str, x: f64, times: f64, reading: Reading) -> Option<String> {
        let revenue = *self.centres.get(&Sym::MonthlyRevenue)?;
        if x.abs() <= times * revenue {
            return None;
        }
        let limit = if times == 1.0 {
            "the monthly revenue".to_string()
        } else {
            format!("{} months of revenue", fmt_num(times))
        };
        let meant = if reading == Reading::MonthlyAmount {
            format!(
                "is it a yearly amount? A year's {} is {} a month",
                fmt_num(x),
                toml(x / 12.0)
            )
        } else {
            "is monthly_revenue a month's revenue (not a day's or a week's), in the same currency?"
                .to_string()
        };
        Some(format!(
            "{subject} is {} times the monthly revenue ({}); plausible: at most {limit}; {meant}",
            sig(x.abs() / revenue),
            fmt_num(revenue),
        ))
    }

    /// The KPI's value at full adoption beyond `times` the monthly revenue.
    fn kpi_check(&self, subject: &str, v: f64, times: f64) -> Option<String> {
        let revenue = *self.centres.get(&Sym::MonthlyRevenue)?;
        let baseline = *self.centres.get(&Sym::KpiBaseline)?;
        let change = *self.centres.get(&Sym::KpiChange)?;
        let value = (v * baseline * change).abs();
        (value > times * revenue).then(|| {
            format!(
                "{subject} makes the KPI worth {} a month at full adoption (value_per_unit × baseline × change), more than the monthly revenue ({}); is value_per_unit a yearly amount, or change a percentage (0.4 for 40 %)?",
                fmt_num(sig_value(value)),
                fmt_num(revenue)
            )
        })
    }
}

/// The warning for a value `x` outside `[lo, hi]`.
fn outside(subject: &str, x: f64, (lo, hi): (f64, f64), reading: Reading) -> String {
    let (meaning, plausible, meant) = match reading {
        Reading::MonthlyRate => {
            let n = if x.abs() >= 1.0 { x } else { x * 100.0 };
            let monthly = (1.0 + n / 100.0).powf(1.0 / 12.0) - 1.0;
            (
                format!("{} a month", pct(x)),
                format!("{} to {} a month", pct(lo), pct(hi)),
                if x.abs() >= 1.0 {
                    format!(
                        "for {} % a year write {}, for {} % a month {}",
                        sig(n),
                        toml(monthly),
                        sig(n),
                        toml(n / 100.0)
                    )
                } else {
                    format!("for {} % a year write {}", sig(n), toml(monthly))
                },
            )
        }
        Reading::AnnualRate => (
            format!("{} a year", pct(x)),
            format!("{} to {} a year", pct(lo), pct(hi)),
            format!("for {} % write {}", sig(x), toml(x / 100.0)),
        ),
        Reading::Percent(template) => (
            template.replace("{}", &pct(x)),
            format!("{} to {} ({} to {})", fmt_num(lo), fmt_num(hi), pct(lo), pct(hi)),
            format!("for {} % write {}", sig(x), toml(x / 100.0)),
        ),
        Reading::Months(what) => months(x, (lo, hi), what),
        Reading::PerMonth(what) => (
            format!("{} {what} a month", fmt_num(x)),
            format!("{} to {} a month", fmt_num(lo), fmt_num(hi)),
            format!("for {} {what} a year write {}", fmt_num(x), toml(x / 12.0)),
        ),
        Reading::Weight => (
            format!("a weight of {}", fmt_num(x)),
            format!("{} to {} (the defaults are 0.3 to 3)", fmt_num(lo), fmt_num(hi)),
            "a weight above 10 makes even a small shortfall in alignment take the effect's full size"
                .to_string(),
        ),
        // Amounts are checked against the revenue, not a range.
        Reading::MonthlyAmount | Reading::OneOffAmount => (
            fmt_num(x),
            format!("{} to {}", fmt_num(lo), fmt_num(hi)),
            String::new(),
        ),
    };
    let mut m = format!("{subject} is {meaning}; plausible: {plausible}");
    if !meant.is_empty() && (x > hi || matches!(reading, Reading::Months(_))) {
        m.push_str("; ");
        m.push_str(&meant);
    }
    m
}

/// A number of months in words, its plausible range, and what was probably meant: years
/// typed as months for a short horizon.
fn months(x: f64, (lo, hi): (f64, f64), what: &str) -> (String, String, String) {
    let years = |m: f64| {
        let y = m / 12.0;
        format!("{} year{}", sig(y), if y == 1.0 { "" } else { "s" })
    };
    let meaning = if x >= 24.0 {
        format!("{} months ({}){what}", fmt_num(x), years(x))
    } else {
        format!(
            "{} month{}{what}",
            fmt_num(x),
            if x == 1.0 { "" } else { "s" }
        )
    };
    let plausible = format!("{} to {} months ({})", fmt_num(lo), fmt_num(hi), years(hi));
    let meant = if x < lo && 12.0 * x <= hi {
        format!("for {} years write {}", fmt_num(x), fmt_num(12.0 * x))
    } else {
        String::new()
    };
    (meaning, plausible, meant)
}

/// A fraction as a percentage, `3` as `300 %`.
fn pct(x: f64) -> String {
    format!("{} %", sig(x * 100.0))
}

/// `x` to 3 significant digits, as a person reads it (`2,000`, `0.25`).
fn sig(x: f64) -> String {
    fmt_num(sig_value(x))
}

/// `x` to 3 significant digits, as TOML takes it (no thousands separators).
fn toml(x: f64) -> String {
    let v = sig_value(x);
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// `x` to 6 significant digits: `20`, not `19.999999999999996`.
fn round6(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(5 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// `x` rounded to 2 significant digits below 1, 3 from 1 on (0.0025, 41.7, 2,000).
fn sig_value(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = if x.abs() < 1.0 { 2 } else { 3 };
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_rounded_for_reading() {
        assert_eq!(toml(0.002_466), "0.0025");
        assert_eq!(toml(41.666), "41.7");
        assert_eq!(toml(4166.6), "4170");
        assert_eq!(pct(3.0), "300 %");
        assert_eq!(pct(20.0), "2,000 %");
    }

    #[test]
    fn a_growth_typed_as_percent_is_read_back() {
        let m = outside(
            "revenue_growth = 3",
            3.0,
            (-0.03, 0.03),
            Reading::MonthlyRate,
        );
        assert!(m.starts_with("revenue_growth = 3 is 300 % a month"), "{m}");
        assert!(m.contains("for 3 % a year write 0.0025"), "{m}");
    }

    #[test]
    fn a_short_horizon_suggests_years() {
        let m = outside("horizon_months = 3", 3.0, (6.0, 240.0), Reading::Months(""));
        assert!(m.contains("for 3 years write 36"), "{m}");
    }
}
