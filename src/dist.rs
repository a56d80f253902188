//! Probability distributions of MODEL.md section 4. Constructors validate and return
//! `Result`; sampling cannot fail.
//!
//! Every family is sampled by its inverse CDF at one keyed uniform, so two arms that give
//! the same parameter different distributions are coupled comonotonically (the highest
//! draw of one goes with the highest of the other), and stratified or correlated uniforms
//! carry over to any family unchanged. Beta and PERT use [`crate::betaq`], a checked
//! interpolation table of the exact quantile.

use std::fmt;

use rand::Rng;

use crate::betaq::BetaQuantile;
use crate::special::norm_inv;

/// `z` of the 90th percentile of the standard normal.
pub const Z90: f64 = 1.281_551_565_544_600_4;

/// A validated distribution, ready to sample.
#[derive(Debug, Clone)]
pub enum Dist {
    Fixed(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    UniformInt {
        min: i64,
        max: i64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// Parameters of the log of the variable.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Beta on `[min, max]`; `pert` records the PERT spec it came from, for display.
    Beta {
        alpha: f64,
        beta: f64,
        min: f64,
        max: f64,
        pert: Option<(f64, f64)>,
        quantile: BetaQuantile,
    },
    Discrete {
        values: Vec<f64>,
        cumulative: Vec<f64>,
    },
    Bernoulli(f64),
}

impl PartialEq for Dist {
    fn eq(&self, other: &Self) -> bool {
        use Dist::*;
        match (self, other) {
            (Fixed(a), Fixed(b)) => a.to_bits() == b.to_bits(),
            (Uniform { min: a, max: b }, Uniform { min: c, max: d }) => (a, b) == (c, d),
            (UniformInt { min: a, max: b }, UniformInt { min: c, max: d }) => (a, b) == (c, d),
            (Normal { mean: a, sd: b }, Normal { mean: c, sd: d }) => (a, b) == (c, d),
            (LogNormal { mu: a, sigma: b }, LogNormal { mu: c, sigma: d }) => (a, b) == (c, d),
            (
                Triangular {
                    min: a,
                    mode: b,
                    max: c,
                },
                Triangular {
                    min: d,
                    mode: e,
                    max: f,
                },
            ) => (a, b, c) == (d, e, f),
            (
                Beta {
                    alpha: a,
                    beta: b,
                    min: c,
                    max: d,
                    ..
                },
                Beta {
                    alpha: e,
                    beta: f,
                    min: g,
                    max: h,
                    ..
                },
            ) => (a, b, c, d) == (e, f, g, h),
            (
                Discrete {
                    values: a,
                    cumulative: b,
                },
                Discrete {
                    values: c,
                    cumulative: d,
                },
            ) => a == c && b == d,
            (Bernoulli(a), Bernoulli(b)) => a == b,
            _ => false,
        }
    }
}

/// Why a distribution spec was refused: the parameter at fault (if one) and the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct DistError {
    pub param: Option<&'static str>,
    pub message: String,
    pub help: Option<String>,
}

impl DistError {
    fn at(param: &'static str, message: impl Into<String>) -> Self {
        Self {
            param: Some(param),
            message: message.into(),
            help: None,
        }
    }

    fn degenerate(message: impl Into<String>, value: f64) -> Self {
        Self {
            param: None,
            message: message.into(),
            help: Some(format!(
                "a distribution that cannot vary is a plain number: write {}",
                fmt_num(value)
            )),
        }
    }
}

fn finite(name: &'static str, x: f64) -> Result<f64, DistError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(DistError::at(
            name,
            format!("{name} must be a finite number"),
        ))
    }
}

impl Dist {
    pub fn uniform(min: f64, max: f64) -> Result<Dist, DistError> {
        let (min, max) = (finite("min", min)?, finite("max", max)?);
        if min > max {
            return Err(DistError::at(
                "min",
                format!(
                    "uniform needs min < max, got min {} > max {}",
                    fmt_num(min),
                    fmt_num(max)
                ),
            ));
        }
        if min == max {
            return Err(DistError::degenerate(
                format!("uniform with min = max = {} cannot vary", fmt_num(min)),
                min,
            ));
        }
        Ok(Dist::Uniform { min, max })
    }

    pub fn uniform_int(min: f64, max: f64) -> Result<Dist, DistError> {
        for (name, x) in [("min", min), ("max", max)] {
            if !x.is_finite() || x.fract() != 0.0 || x.abs() > 1e15 {
                return Err(DistError::at(
                    name,
                    format!(
                        "uniform_int needs whole numbers, got {name} = {}",
                        fmt_num(x)
                    ),
                ));
            }
        }
        if min > max {
            return Err(DistError::at(
                "min",
                format!(
                    "uniform_int needs min <= max, got min {} > max {}",
                    fmt_num(min),
                    fmt_num(max)
                ),
            ));
        }
        Ok(Dist::UniformInt {
            min: min as i64,
            max: max as i64,
        })
    }

    pub fn normal(mean: f64, sd: f64) -> Result<Dist, DistError> {
        let (mean, sd) = (finite("mean", mean)?, finite("sd", sd)?);
        if sd < 0.0 {
            return Err(DistError::at(
                "sd",
                format!("normal needs sd > 0, got sd = {}", fmt_num(sd)),
            ));
        }
        if sd == 0.0 {
            return Err(DistError::degenerate(
                "normal with sd = 0 cannot vary",
                mean,
            ));
        }
        Ok(Dist::Normal { mean, sd })
    }

    /// Lognormal from the mean and sd of the log.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Dist, DistError> {
        let (mu, sigma) = (finite("mu", mu)?, finite("sigma", sigma)?);
        if sigma < 0.0 {
            return Err(DistError::at(
                "sigma",
                format!("lognormal needs sigma > 0, got sigma = {}", fmt_num(sigma)),
            ));
        }
        if sigma == 0.0 {
            return Err(DistError::degenerate(
                "lognormal with sigma = 0 cannot vary",
                mu.exp(),
            ));
        }
        Ok(Dist::LogNormal { mu, sigma })
    }

    /// Lognormal from its median and 90th percentile.
    pub fn lognormal_median_p90(median: f64, p90: f64) -> Result<Dist, DistError> {
        let (median, p90) = (finite("median", median)?, finite("p90", p90)?);
        if median <= 0.0 {
            return Err(DistError::at(
                "median",
                format!("lognormal needs median > 0, got {}", fmt_num(median)),
            ));
        }
        if p90 < median {
            return Err(DistError::at(
                "p90",
                format!(
                    "lognormal needs median < p90, got median {} > p90 {}",
                    fmt_num(median),
                    fmt_num(p90)
                ),
            ));
        }
        if p90 == median {
            return Err(DistError::degenerate(
                "lognormal with median = p90 cannot vary",
                median,
            ));
        }
        Dist::lognormal(median.ln(), (p90 / median).ln() / Z90)
    }

    /// Lognormal from its 10th and 90th percentiles.
    pub fn lognormal_p10_p90(p10: f64, p90: f64) -> Result<Dist, DistError> {
        let (p10, p90) = (finite("p10", p10)?, finite("p90", p90)?);
        if p10 <= 0.0 {
            return Err(DistError::at(
                "p10",
                format!("lognormal needs p10 > 0, got {}", fmt_num(p10)),
            ));
        }
        if p10 > p90 {
            return Err(DistError::at(
                "p10",
                format!(
                    "lognormal needs p10 < p90, got p10 {} > p90 {}",
                    fmt_num(p10),
                    fmt_num(p90)
                ),
            ));
        }
        if p10 == p90 {
            return Err(DistError::degenerate(
                "lognormal with p10 = p90 cannot vary",
                p10,
            ));
        }
        Dist::lognormal(
            0.5 * (p10.ln() + p90.ln()),
            (p90.ln() - p10.ln()) / (2.0 * Z90),
        )
    }

    /// Lognormal from the mean and sd of the variable itself.
    pub fn lognormal_mean_sd(mean: f64, sd: f64) -> Result<Dist, DistError> {
        let (mean, sd) = (finite("mean", mean)?, finite("sd", sd)?);
        if mean <= 0.0 {
            return Err(DistError::at(
                "mean",
                format!("lognormal needs mean > 0, got {}", fmt_num(mean)),
            ));
        }
        if sd < 0.0 {
            return Err(DistError::at(
                "sd",
                format!("lognormal needs sd > 0, got sd = {}", fmt_num(sd)),
            ));
        }
        if sd == 0.0 {
            return Err(DistError::degenerate(
                "lognormal with sd = 0 cannot vary",
                mean,
            ));
        }
        let s2 = (1.0 + (sd / mean).powi(2)).ln();
        Dist::lognormal(mean.ln() - 0.5 * s2, s2.sqrt())
    }

    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Dist, DistError> {
        let (min, mode, max) = (
            finite("min", min)?,
            finite("mode", mode)?,
            finite("max", max)?,
        );
        check_min_mode_max("triangular", min, mode, max)?;
        Ok(Dist::Triangular { min, mode, max })
    }

    pub fn pert(min: f64, mode: f64, max: f64, lambda: f64) -> Result<Dist, DistError> {
        let (min, mode, max) = (
            finite("min", min)?,
            finite("mode", mode)?,
            finite("max", max)?,
        );
        let lambda = finite("lambda", lambda)?;
        check_min_mode_max("pert", min, mode, max)?;
        if lambda <= 0.0 {
            return Err(DistError::at(
                "lambda",
                format!("pert needs lambda > 0, got {}", fmt_num(lambda)),
            ));
        }
        let alpha = 1.0 + lambda * (mode - min) / (max - min);
        let beta = 1.0 + lambda * (max - mode) / (max - min);
        let mut d = Dist::beta(alpha, beta, min, max)?;
        if let Dist::Beta { pert, .. } = &mut d {
            *pert = Some((mode, lambda));
        }
        Ok(d)
    }

    pub fn beta(alpha: f64, beta: f64, min: f64, max: f64) -> Result<Dist, DistError> {
        let (alpha, beta) = (finite("alpha", alpha)?, finite("beta", beta)?);
        let (min, max) = (finite("min", min)?, finite("max", max)?);
        if alpha <= 0.0 {
            return Err(DistError::at(
                "alpha",
                format!("beta needs alpha > 0, got {}", fmt_num(alpha)),
            ));
        }
        if beta <= 0.0 {
            return Err(DistError::at(
                "beta",
                format!("beta needs beta > 0, got {}", fmt_num(beta)),
            ));
        }
        if min > max {
            return Err(DistError::at(
                "min",
                format!(
                    "beta needs min < max, got min {} > max {}",
                    fmt_num(min),
                    fmt_num(max)
                ),
            ));
        }
        if min == max {
            return Err(DistError::degenerate(
                format!("beta with min = max = {} cannot vary", fmt_num(min)),
                min,
            ));
        }
        let quantile = BetaQuantile::new(alpha, beta);
        Ok(Dist::Beta {
            alpha,
            beta,
            min,
            max,
            pert: None,
            quantile,
        })
    }

    pub fn discrete(values: Vec<f64>, weights: Option<Vec<f64>>) -> Result<Dist, DistError> {
        if values.is_empty() {
            return Err(DistError::at("values", "discrete needs at least one value"));
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(DistError::at(
                "values",
                "discrete values must be finite numbers",
            ));
        }
        let weights = weights.unwrap_or_else(|| vec![1.0; values.len()]);
        if weights.len() != values.len() {
            return Err(DistError::at(
                "weights",
                format!(
                    "discrete needs one weight per value, got {} values and {} weights",
                    values.len(),
                    weights.len()
                ),
            ));
        }
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(DistError::at(
                "weights",
                "discrete weights must be finite numbers >= 0",
            ));
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(DistError::at(
                "weights",
                "discrete weights must not all be 0",
            ));
        }
        let live: Vec<f64> = values
            .iter()
            .zip(&weights)
            .filter(|(_, w)| **w > 0.0)
            .map(|(v, _)| *v)
            .collect();
        if live.iter().all(|v| *v == live[0]) && values.len() > 1 {
            return Err(DistError::degenerate(
                "discrete with a single possible value cannot vary",
                live[0],
            ));
        }
        let mut acc = 0.0;
        let mut cumulative: Vec<f64> = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        *cumulative.last_mut().expect("values is not empty") = 1.0;
        Ok(Dist::Discrete { values, cumulative })
    }

    pub fn bernoulli(p: f64) -> Result<Dist, DistError> {
        let p = finite("p", p)?;
        if !(0.0..=1.0).contains(&p) {
            return Err(DistError::at(
                "p",
                format!("bernoulli needs p in [0, 1], got {}", fmt_num(p)),
            ));
        }
        Ok(Dist::Bernoulli(p))
    }

    /// Builds any lookup tables the sampler uses now rather than on the first draw.
    pub fn prepare(&self) {
        if let Dist::Beta { quantile, .. } = self {
            quantile.tabulated();
        }
    }

    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed(_))
    }

    /// Draws one value from the parameter's keyed stream.
    #[inline]
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            _ => self.quantile(open01(rng.next_u64())),
        }
    }

    /// The inverse CDF at `u` in (0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { min, max } => min + (max - min) * u,
            Dist::UniformInt { min, max } => {
                let n = (max - min + 1) as f64;
                (*min as f64 + (u * n).floor()).min(*max as f64)
            }
            Dist::Normal { mean, sd } => mean + sd * norm_inv(u),
            Dist::LogNormal { mu, sigma } => (mu + sigma * norm_inv(u)).exp(),
            Dist::Triangular { min, mode, max } => {
                let fc = (mode - min) / (max - min);
                if u < fc {
                    min + (u * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
                }
            }
            Dist::Discrete { values, cumulative } => {
                let i = cumulative.partition_point(|&c| c < u);
                values[i.min(values.len() - 1)]
            }
            Dist::Bernoulli(p) => f64::from(u < *p),
            Dist::Beta {
                min, max, quantile, ..
            } => min + (max - min) * quantile.quantile(u),
        }
    }

    /// The mean of the distribution.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { min, max } => 0.5 * (min + max),
            Dist::UniformInt { min, max } => 0.5 * (*min as f64 + *max as f64),
            Dist::Normal { mean, .. } => *mean,
            Dist::LogNormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
                ..
            } => min + (max - min) * alpha / (alpha + beta),
            Dist::Discrete { values, cumulative } => {
                let mut prev = 0.0;
                values
                    .iter()
                    .zip(cumulative)
                    .map(|(v, c)| {
                        let w = c - prev;
                        prev = *c;
                        v * w
                    })
                    .sum()
            }
            Dist::Bernoulli(p) => *p,
        }
    }

    /// The interval that holds every possible draw (infinite ends for unbounded tails).
    pub fn support(&self) -> (f64, f64) {
        match self {
            Dist::Fixed(v) => (*v, *v),
            Dist::Uniform { min, max }
            | Dist::Triangular { min, max, .. }
            | Dist::Beta { min, max, .. } => (*min, *max),
            Dist::UniformInt { min, max } => (*min as f64, *max as f64),
            Dist::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Dist::LogNormal { .. } => (0.0, f64::INFINITY),
            Dist::Discrete { values, .. } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                }),
            Dist::Bernoulli(_) => (0.0, 1.0),
        }
    }

    /// The centre that must lie in the parameter's domain: the mean of a normal, the median
    /// of a lognormal. `None` for bounded families, whose support is checked instead.
    pub fn centre(&self) -> Option<(&'static str, f64)> {
        match self {
            Dist::Normal { mean, .. } => Some(("mean", *mean)),
            Dist::LogNormal { mu, .. } => Some(("median", mu.exp())),
            _ => None,
        }
    }

    /// Whether the distribution's draws are whole numbers without rounding.
    pub fn is_integral(&self) -> bool {
        match self {
            Dist::Fixed(v) => v.fract() == 0.0,
            Dist::UniformInt { .. } | Dist::Bernoulli(_) => true,
            Dist::Discrete { values, .. } => values.iter().all(|v| v.fract() == 0.0),
            _ => false,
        }
    }
}

fn check_min_mode_max(family: &str, min: f64, mode: f64, max: f64) -> Result<(), DistError> {
    if min > mode {
        return Err(DistError::at(
            "min",
            format!(
                "{family} needs min <= mode <= max, got min {} > mode {}",
                fmt_num(min),
                fmt_num(mode)
            ),
        ));
    }
    if mode > max {
        return Err(DistError::at(
            "max",
            format!(
                "{family} needs min <= mode <= max, got mode {} > max {}",
                fmt_num(mode),
                fmt_num(max)
            ),
        ));
    }
    if min == max {
        return Err(DistError::degenerate(
            format!("{family} with min = max = {} cannot vary", fmt_num(min)),
            min,
        ));
    }
    Ok(())
}

/// A uniform in the open interval (0, 1) from 64 random bits: `((x >> 12) + 0.5) / 2^52`.
/// With 52 bits the `+ 0.5` is exact, so the result is never 0 and never 1.
#[inline]
pub fn open01(x: u64) -> f64 {
    ((x >> 12) as f64 + 0.5) * (1.0 / 4_503_599_627_370_496.0)
}

/// A number as a person writes it: thousands separated, no needless decimals; from 1e15
/// on, in scientific notation (`1.7e308`).
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return group_thousands(&format!("{}", x as i64));
    }
    if x.abs() >= 1e15 {
        // Beyond a double's whole numbers, digits would be noise: 1.7e308, not 309 digits.
        return format!("{x:e}");
    }
    let s = format!("{x}");
    if x.abs() >= 1000.0 {
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let int = group_thousands(int);
        return if frac.is_empty() {
            int
        } else {
            format!("{int}.{frac}")
        };
    }
    s
}

fn group_thousands(int: &str) -> String {
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

impl fmt::Display for Dist {
    /// Readable form, e.g. `PERT 10,000 / 16,000 / 32,000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written(&fmt_num, &fmt_num))
    }
}

impl Dist {
    /// The readable form of [`Dist`]'s `Display` with each value written by `n` (say, as
    /// a percentage for a share) and each probability by `p`.
    pub fn written(&self, n: &dyn Fn(f64) -> String, p: &dyn Fn(f64) -> String) -> String {
        match self {
            Dist::Fixed(v) => n(*v),
            Dist::Uniform { min, max } => format!("Uniform {} to {}", n(*min), n(*max)),
            Dist::UniformInt { min, max } => {
                format!("Whole numbers {} to {}", n(*min as f64), n(*max as f64))
            }
            Dist::Normal { mean, sd } => format!("Normal mean {}, sd {}", n(*mean), n(*sd)),
            Dist::LogNormal { mu, sigma } => {
                let median = mu.exp();
                let p90 = (mu + sigma * Z90).exp();
                format!("Lognormal median {}, P90 {}", n(sig(median)), n(sig(p90)))
            }
            Dist::Triangular { min, mode, max } => {
                format!("Triangular {} / {} / {}", n(*min), n(*mode), n(*max))
            }
            Dist::Beta {
                alpha,
                beta,
                min,
                max,
                pert,
                ..
            } => match pert {
                Some((mode, lambda)) if *lambda == 4.0 => {
                    format!("PERT {} / {} / {}", n(*min), n(*mode), n(*max))
                }
                Some((mode, lambda)) => format!(
                    "PERT {} / {} / {} (lambda {})",
                    n(*min),
                    n(*mode),
                    n(*max),
                    fmt_num(*lambda)
                ),
                None if *min == 0.0 && *max == 1.0 => {
                    format!("Beta({}, {})", fmt_num(*alpha), fmt_num(*beta))
                }
                None => format!(
                    "Beta({}, {}) on {} to {}",
                    fmt_num(*alpha),
                    fmt_num(*beta),
                    n(*min),
                    n(*max)
                ),
            },
            Dist::Discrete { values, cumulative } => {
                let mut prev = 0.0;
                let parts: Vec<String> = values
                    .iter()
                    .zip(cumulative)
                    .map(|(v, c)| {
                        let w = c - prev;
                        prev = *c;
                        format!("{} ({:.0} %)", n(*v), 100.0 * w)
                    })
                    .collect();
                format!("One of {}", parts.join(", "))
            }
            Dist::Bernoulli(pr) => format!("1 with probability {}, else 0", p(*pr)),
        }
    }
}

/// Four significant digits, for derived values such as a lognormal's median.
fn sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_unit_interval_excludes_both_ends() {
        assert!(open01(0) > 0.0);
        assert!(open01(u64::MAX) < 1.0);
        assert_eq!(open01(u64::MAX), 1.0 - 0.5 / 4_503_599_627_370_496.0);
    }

    #[test]
    fn readable_forms() {
        assert_eq!(
            Dist::pert(10_000.0, 16_000.0, 32_000.0, 4.0)
                .unwrap()
                .to_string(),
            "PERT 10,000 / 16,000 / 32,000"
        );
        assert_eq!(
            Dist::triangular(30.0, 80.0, 200.0).unwrap().to_string(),
            "Triangular 30 / 80 / 200"
        );
        assert_eq!(
            Dist::lognormal_median_p90(1.0, 3.0).unwrap().to_string(),
            "Lognormal median 1, P90 3"
        );
        assert_eq!(fmt_num(-1234567.5), "-1,234,567.5");
    }

    #[test]
    fn degenerate_specs_suggest_a_number() {
        let e = Dist::uniform(3.0, 3.0).unwrap_err();
        assert!(e.help.unwrap().contains("write 3"));
        assert!(Dist::uniform_int(2.0, 2.0).is_ok());
    }

    #[test]
    fn pert_shape_parameters() {
        let Dist::Beta { alpha, beta, .. } = Dist::pert(0.0, 1.0, 4.0, 4.0).unwrap() else {
            panic!()
        };
        assert_eq!((alpha, beta), (2.0, 4.0));
    }

    #[test]
    fn lognormal_parametrisations_agree() {
        let Dist::LogNormal { mu, sigma } = Dist::lognormal_median_p90(2.0, 6.0).unwrap() else {
            panic!()
        };
        assert!((mu - 2f64.ln()).abs() < 1e-15 && (sigma - 3f64.ln() / Z90).abs() < 1e-15);
        let d = Dist::lognormal_p10_p90(2.0, 8.0).unwrap();
        assert!((d.quantile(0.5) - 4.0).abs() < 1e-12);
        assert!((d.quantile(0.9) - 8.0).abs() < 1e-9);
        let d = Dist::lognormal_mean_sd(10.0, 5.0).unwrap();
        assert!((d.mean() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn discrete_quantile_walks_the_weights() {
        let d = Dist::discrete(vec![1.0, 2.0, 3.0], Some(vec![1.0, 1.0, 2.0])).unwrap();
        assert_eq!(d.quantile(0.2), 1.0);
        assert_eq!(d.quantile(0.3), 2.0);
        assert_eq!(d.quantile(0.6), 3.0);
        assert!((d.mean() - 2.25).abs() < 1e-15);
    }
}
