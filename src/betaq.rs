//! The Beta quantile function, fast enough for the engine's inner loop.
//!
//! Beta (and so PERT) has no closed-form inverse CDF. The exact inverse of the regularized
//! incomplete beta function (statrs' `inv_beta_reg`, AS 109 with Newton steps) costs about
//! a microsecond, too much for every draw. So each distribution builds, once (on first use),
//! tables of the exact quantile and its slope (`dx/du = 1 / pdf`) at evenly spaced knots:
//! [`KNOTS`] intervals over the central range `u` in [[`TAIL`], 1 - [`TAIL`]], and
//! [`TAIL_KNOTS`] finer intervals over each tail down to [`EXTREME`], interpolating with cubic
//! Hermite polynomials (the tails evenly spaced in `ln u`, where the quantile is smooth).
//! Beyond [`EXTREME`] (two draws in a million), where the quantile curves
//! sharply, the exact inverse is used. Each table checks itself when built: at every
//! interval's midpoint it is compared with the exact inverse, and if any error exceeds
//! [`TOLERANCE`] of the unit range that stretch uses the exact inverse instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use statrs::function::beta::{inv_beta_reg, ln_beta};

/// Intervals of the central table.
pub const KNOTS: usize = 4096;
/// Intervals of each tail table.
pub const TAIL_KNOTS: usize = 1024;
/// Where the central table ends and the tail tables begin.
pub const TAIL: f64 = 0.02;
/// Probability left to the exact inverse in each extreme tail.
pub const EXTREME: f64 = 1e-6;
/// Largest error allowed on the unit interval before a table is abandoned.
pub const TOLERANCE: f64 = 1e-10;

/// The coordinate a table is evenly spaced in: `u` itself in the centre, `ln u` and
/// `ln(1 - u)` in the tails, where the quantile behaves like a power of `u` and becomes
/// smooth on a log scale.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    Linear,
    LogLow,
    LogHigh,
}

impl Scale {
    #[inline]
    fn coord(self, u: f64) -> f64 {
        match self {
            Scale::Linear => u,
            Scale::LogLow => u.ln(),
            Scale::LogHigh => (1.0 - u).ln(),
        }
    }

    fn u_of(self, s: f64) -> f64 {
        match self {
            Scale::Linear => s,
            Scale::LogLow => s.exp(),
            Scale::LogHigh => 1.0 - s.exp(),
        }
    }

    /// `du/ds` at `u`.
    fn du_ds(self, u: f64) -> f64 {
        match self {
            Scale::Linear => 1.0,
            Scale::LogLow => u,
            Scale::LogHigh => -(1.0 - u),
        }
    }
}

/// One stretch of `u` tabulated at knots evenly spaced in its [`Scale`].
#[derive(Debug, Clone)]
struct Segment {
    scale: Scale,
    s0: f64,
    width: f64,
    /// Quantile at each knot.
    x: Vec<f64>,
    /// Slope `dx/ds` at each knot, times the knot spacing.
    m: Vec<f64>,
}

impl Segment {
    /// Tabulates `s` in `[s0, s1]` with `knots` intervals, or `None` when the interpolation
    /// misses the exact quantile by more than [`TOLERANCE`] at some interval's midpoint.
    fn build(
        alpha: f64,
        beta: f64,
        scale: Scale,
        s0: f64,
        s1: f64,
        knots: usize,
    ) -> Option<Segment> {
        let ln_b = ln_beta(alpha, beta);
        let pdf = |x: f64| ((alpha - 1.0) * x.ln() + (beta - 1.0) * (1.0 - x).ln() - ln_b).exp();
        let width = (s1 - s0) / knots as f64;
        let mut x = Vec::with_capacity(knots + 1);
        let mut m = Vec::with_capacity(knots + 1);
        for j in 0..=knots {
            let u = scale.u_of(s0 + j as f64 * width);
            let xj = inv_beta_reg(alpha, beta, u);
            x.push(xj);
            m.push(width * scale.du_ds(u) / pdf(xj));
        }
        let seg = Segment {
            scale,
            s0,
            width,
            x,
            m,
        };
        let ok = seg.m.iter().all(|v| v.is_finite())
            && (0..knots).all(|j| {
                let u = scale.u_of(s0 + (j as f64 + 0.5) * width);
                (seg.eval(u) - inv_beta_reg(alpha, beta, u)).abs() <= TOLERANCE
            });
        ok.then_some(seg)
    }

    /// Cubic Hermite interpolation between the knots around `u`.
    #[inline]
    fn eval(&self, u: f64) -> f64 {
        let pos = ((self.scale.coord(u) - self.s0) / self.width).max(0.0);
        let j = (pos as usize).min(self.x.len() - 2);
        let t = pos - j as f64;
        let (x0, x1, m0, m1) = (self.x[j], self.x[j + 1], self.m[j], self.m[j + 1]);
        let t2 = t * t;
        let t3 = t2 * t;
        (2.0 * t3 - 3.0 * t2 + 1.0) * x0
            + (t3 - 2.0 * t2 + t) * m0
            + (-2.0 * t3 + 3.0 * t2) * x1
            + (t3 - t2) * m1
    }
}

/// The tables of one shape: lower tail, centre, upper tail (each `None` when unusable).
#[derive(Debug, Clone)]
struct Tables {
    low: Option<Segment>,
    centre: Option<Segment>,
    high: Option<Segment>,
}

/// Quantile function of Beta(alpha, beta) on [0, 1]. The tables are built on first use,
/// so validating a scenario never pays for them.
#[derive(Debug, Clone)]
pub struct BetaQuantile {
    alpha: f64,
    beta: f64,
    tables: OnceLock<Arc<Tables>>,
}

/// Built tables by shape (the bits of alpha and beta).
type TableCache = HashMap<(u64, u64), Arc<Tables>>;

/// Tables already built in this process, by shape: sweeps and sensitivity studies compile
/// the same distributions again and again.
fn cache() -> &'static Mutex<TableCache> {
    static CACHE: OnceLock<Mutex<TableCache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

impl BetaQuantile {
    /// `alpha` and `beta` must be positive and finite.
    pub fn new(alpha: f64, beta: f64) -> BetaQuantile {
        BetaQuantile {
            alpha,
            beta,
            tables: OnceLock::new(),
        }
    }

    fn tables(&self) -> &Tables {
        self.tables.get_or_init(|| {
            let (a, b) = (self.alpha, self.beta);
            let key = (a.to_bits(), b.to_bits());
            if let Some(t) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
                return t;
            }
            let built = Arc::new(Tables {
                low: Segment::build(a, b, Scale::LogLow, EXTREME.ln(), TAIL.ln(), TAIL_KNOTS),
                centre: Segment::build(a, b, Scale::Linear, TAIL, 1.0 - TAIL, KNOTS),
                high: Segment::build(a, b, Scale::LogHigh, EXTREME.ln(), TAIL.ln(), TAIL_KNOTS),
            });
            if let Ok(mut c) = cache().lock() {
                c.insert(key, Arc::clone(&built));
            }
            built
        })
    }

    /// Whether the central table is in use (false: exact inverse there).
    pub fn tabulated(&self) -> bool {
        self.tables().centre.is_some()
    }

    /// The `u`-quantile, for `u` in (0, 1).
    #[inline]
    pub fn quantile(&self, u: f64) -> f64 {
        let t = self.tables();
        let seg = if !(EXTREME..=1.0 - EXTREME).contains(&u) {
            None
        } else if u < TAIL {
            t.low.as_ref()
        } else if u <= 1.0 - TAIL {
            t.centre.as_ref()
        } else {
            t.high.as_ref()
        };
        match seg {
            Some(s) => s.eval(u),
            None => inv_beta_reg(self.alpha, self.beta, u),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_exact_inverse() {
        // PERT shapes from symmetric to mode at an end, and general betas.
        for (a, b) in [
            (3.0, 3.0),
            (1.0, 5.0),
            (5.0, 1.0),
            (1.5, 4.5),
            (2.0, 5.0),
            (0.5, 0.5),
            (0.3, 2.0),
            (40.0, 60.0),
        ] {
            let q = BetaQuantile::new(a, b);
            let grid = (1..4000).map(|k| k as f64 / 4000.0).chain([
                1e-5,
                3e-4,
                0.001,
                0.999,
                0.9997,
                1.0 - 1e-5,
            ]);
            for u in grid {
                let exact = inv_beta_reg(a, b, u);
                let got = q.quantile(u);
                assert!(
                    (got - exact).abs() <= TOLERANCE,
                    "Beta({a}, {b}) at {u}: {got} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn common_pert_shapes_use_the_table() {
        assert!(BetaQuantile::new(1.0 + 4.0 * 0.3, 1.0 + 4.0 * 0.7).tabulated());
        assert!(BetaQuantile::new(3.0, 3.0).tabulated());
        for (a, b) in [(2.2, 3.8), (1.0, 5.0), (5.0, 1.0), (3.0, 3.0), (1.4, 4.6)] {
            let q = BetaQuantile::new(a, b);
            let t = q.tables();
            assert!(
                t.low.is_some() && t.high.is_some(),
                "Beta({a}, {b}): tail tables unused"
            );
        }
    }

    #[test]
    fn quantile_is_monotone() {
        let q = BetaQuantile::new(1.8, 3.2);
        let mut prev = 0.0;
        for k in 1..100_000 {
            let x = q.quantile(k as f64 / 100_000.0);
            assert!(x >= prev);
            prev = x;
        }
    }
}
