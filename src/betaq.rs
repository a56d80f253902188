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
//! [`TOLERANCE`] of the unit range that stretch uses the exact inverse instead. Between two
//! knots the interpolation never leaves the range of their quantiles, so it stays monotone
//! and inside [0, 1].
//!
//! The exact inverse is bounded in its work: [`exact`] runs AS 109 (as statrs does, bit
//! for bit) with at most [`MAX_NEWTON`] Newton steps, then bisects the regularized
//! incomplete beta function on the bits of `x` (64 steps) when Newton does not settle or
//! meets a non-finite value. When `alpha + beta` exceeds [`NORMAL_ABOVE`], where the
//! incomplete beta function can no longer be evaluated in double precision, the quantile
//! is the normal approximation with Beta's mean and variance, clamped to [0, 1]; its error
//! there is below about 1e-9 of the unit range.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use statrs::function::beta::{beta_reg, ln_beta};

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
/// Most Newton steps of the exact inverse before it falls back to bisection.
pub const MAX_NEWTON: usize = 1000;
/// `alpha + beta` above which the quantile is the normal approximation.
pub const NORMAL_ABOVE: f64 = 1e10;

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
            let xj = exact(alpha, beta, u);
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
                (seg.eval(u) - exact(alpha, beta, u)).abs() <= TOLERANCE
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
        let x = (2.0 * t3 - 3.0 * t2 + 1.0) * x0
            + (t3 - 2.0 * t2 + t) * m0
            + (-2.0 * t3 + 3.0 * t2) * x1
            + (t3 - t2) * m1;
        x.clamp(x0.min(x1), x0.max(x1))
    }
}

/// The `u`-quantile of Beta(`alpha`, `beta`), in bounded work (see the module doc).
pub fn exact(alpha: f64, beta: f64, u: f64) -> f64 {
    if alpha + beta > NORMAL_ABOVE {
        return normal_approximation(alpha, beta, u);
    }
    as109(alpha, beta, u).unwrap_or_else(|| bisect(alpha, beta, u))
}

/// Beta's quantile by the normal distribution of the same mean and variance.
fn normal_approximation(alpha: f64, beta: f64, u: f64) -> f64 {
    let n = alpha + beta;
    let mean = alpha / n;
    let sd = (mean * (beta / n) / (n + 1.0)).sqrt();
    (mean + sd * crate::special::norm_inv(u)).clamp(0.0, 1.0)
}

/// The `x` in [0, 1] where the regularized incomplete beta function reaches `u`, by
/// bisection on the bits of `x` (whose order is that of the numbers): 64 steps at most.
fn bisect(alpha: f64, beta: f64, u: f64) -> f64 {
    let (mut lo, mut hi) = (0u64, 1f64.to_bits());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if beta_reg(alpha, beta, f64::from_bits(mid)) < u {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    f64::from_bits(hi)
}

/// Algorithm AS 109 (with AS 64's start and remarks AS R19 and R83), the same arithmetic
/// as statrs' `inv_beta_reg`, but `None` instead of looping on when a step meets a
/// non-finite value or Newton has not settled after [`MAX_NEWTON`] steps.
fn as109(mut a: f64, mut b: f64, mut x: f64) -> Option<f64> {
    const FPU: f64 = 1e-30;
    if x <= 0.0 || x >= 1.0 {
        return Some(x.clamp(0.0, 1.0));
    }
    let ln_beta = ln_beta(a, b);
    let flip = 0.5 < x;
    if flip {
        (a, b, x) = (b, a, 1.0 - x);
    }
    let mut p = as64_start(a, b, x, ln_beta).clamp(0.0001, 0.9999);
    let e = (-5.0 / a / a - 1.0 / x.powf(0.2) - 13.0) as i32;
    let acu = if e > -30 { f64::powi(10.0, e) } else { FPU };
    let (mut qprev, mut sq, mut prev) = (0.0, 1.0, 1.0);
    for _ in 0..MAX_NEWTON {
        let mut q = beta_reg(a, b, p);
        q = (q - x) * (ln_beta + (1.0 - a) * p.ln() + (1.0 - b) * (1.0 - p).ln()).exp();
        if !q.is_finite() {
            return None;
        }
        if q * qprev <= 0.0 {
            prev = if sq > FPU { sq } else { FPU };
        }
        let (pnext, done) = newton_step(p, q, prev, acu, &mut sq)?;
        if done || pnext == p {
            let p = if done { pnext } else { p };
            return Some(if flip { 1.0 - p } else { p });
        }
        p = pnext;
        qprev = q;
    }
    None
}

/// AS 64's first guess (Carter's for `a` and `b` above 1).
fn as64_start(a: f64, b: f64, x: f64, ln_beta: f64) -> f64 {
    let p = (-(x * x).ln()).sqrt();
    let q = p - (2.30753 + 0.27061 * p) / (1.0 + (0.99229 + 0.04481 * p) * p);
    if 1.0 < a && 1.0 < b {
        let r = (q * q - 3.0) / 6.0;
        let s = 1.0 / (2.0 * a - 1.0);
        let t = 1.0 / (2.0 * b - 1.0);
        let h = 2.0 / (s + t);
        let w = q * (h + r).sqrt() / h - (t - s) * (r + 5.0 / 6.0 - 2.0 / (3.0 * h));
        return a / (a + b * (2.0 * w).exp());
    }
    let mut t = 1.0 / (9.0 * b);
    t = 2.0 * b * (1.0 - t + q * t.sqrt()).powf(3.0);
    if t <= 0.0 {
        return 1.0 - ((((1.0 - x) * b).ln() + ln_beta) / b).exp();
    }
    t = 2.0 * (2.0 * a + b - 1.0) / t;
    if t <= 1.0 {
        (((x * a).ln() + ln_beta) / a).exp()
    } else {
        1.0 - 2.0 / (t + 1.0)
    }
}

/// One damped Newton step from `p` with correction `q` (finite): the next point, and
/// whether it is accurate enough to stop. `None` if no step stays inside (0, 1), which
/// happens only when the step sizes underflow.
fn newton_step(p: f64, q: f64, prev: f64, acu: f64, sq: &mut f64) -> Option<(f64, bool)> {
    let mut g = 1.0;
    // Each try divides the step by 3: past about 1,100 of them it is zero.
    for _ in 0..1200 {
        let adj = g * q;
        *sq = adj * adj;
        if *sq < prev {
            let pnext = p - adj;
            if (0.0..=1.0).contains(&pnext) {
                if prev <= acu || q * q <= acu {
                    return Some((pnext, true));
                }
                if pnext != 0.0 && pnext != 1.0 {
                    return Some((pnext, false));
                }
            }
        }
        g /= 3.0;
    }
    None
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
            None => exact(self.alpha, self.beta, u),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::function::beta::inv_beta_reg;

    #[test]
    fn exact_is_statrs_bit_for_bit_where_statrs_settles() {
        for (a, b) in [
            (3.0, 3.0),
            (1.0, 5.0),
            (1.4, 4.6),
            (0.5, 0.5),
            (0.3, 2.0),
            (40.0, 60.0),
            (1e-3, 2.0),
            (2e4, 3e4),
        ] {
            for k in 1..2000 {
                let u = k as f64 / 2000.0;
                assert_eq!(
                    exact(a, b, u).to_bits(),
                    inv_beta_reg(a, b, u).to_bits(),
                    "Beta({a}, {b}) at {u}"
                );
            }
        }
    }

    #[test]
    fn extreme_shapes_are_bounded_and_stay_in_the_unit_interval() {
        let start = std::time::Instant::now();
        for (a, b) in [
            (1e-300, 1e300),
            (5e299, 5e299),
            (1.0, 1e300),
            (1e-9, 1.0),
            (1e-9, 1e-9),
            (1e9, 1e-9),
        ] {
            let q = BetaQuantile::new(a, b);
            for u in [1e-12, 1e-7, 0.01, 0.3, 0.5, 0.9, 0.999_999_9] {
                let x = q.quantile(u);
                assert!((0.0..=1.0).contains(&x), "Beta({a}, {b}) at {u}: {x}");
            }
        }
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
        // Both shapes huge: the mass sits at the mean.
        let x = BetaQuantile::new(2e299, 6e299).quantile(0.3);
        assert!((x - 0.25).abs() < 1e-12, "{x}");
    }

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
