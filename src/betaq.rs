//! The Beta quantile function, fast enough for the engine's inner loop.
//!
//! Beta (and so PERT) has no closed-form inverse CDF. The exact inverse of the regularized
//! incomplete beta function (statrs' `inv_beta_reg`, AS 109 with Newton steps) costs about
//! a microsecond, too much for every draw. So each distribution builds, once, a table of the
//! exact quantile and its slope (`dx/du = 1 / pdf`) at [`KNOTS`] + 1 evenly spaced points of
//! the central range `u` in [[`TAIL`], 1 - [`TAIL`]] and interpolates with cubic Hermite
//! polynomials there; the tails, where the quantile curves sharply, use the exact inverse
//! (4 % of draws). The table checks itself when built: at every interval's midpoint it is
//! compared with the exact inverse, and if any error exceeds [`TOLERANCE`] of the unit range
//! the distribution uses the exact inverse everywhere.

use statrs::function::beta::{inv_beta_reg, ln_beta};

/// Intervals of the central table.
pub const KNOTS: usize = 4096;
/// Probability mass left to the exact inverse in each tail.
pub const TAIL: f64 = 0.02;
/// Largest error allowed on the unit interval before the table is abandoned.
pub const TOLERANCE: f64 = 1e-10;

/// Quantile function of Beta(alpha, beta) on [0, 1].
#[derive(Debug, Clone)]
pub struct BetaQuantile {
    alpha: f64,
    beta: f64,
    /// Quantile at each knot, or empty when the exact inverse is used everywhere.
    x: Vec<f64>,
    /// Slope `dx/du` at each knot.
    slope: Vec<f64>,
}

impl BetaQuantile {
    /// Builds and checks the table. `alpha` and `beta` must be positive and finite.
    pub fn new(alpha: f64, beta: f64) -> BetaQuantile {
        let ln_b = ln_beta(alpha, beta);
        let pdf = |x: f64| ((alpha - 1.0) * x.ln() + (beta - 1.0) * (1.0 - x).ln() - ln_b).exp();
        let width = (1.0 - 2.0 * TAIL) / KNOTS as f64;
        let mut x = Vec::with_capacity(KNOTS + 1);
        let mut slope = Vec::with_capacity(KNOTS + 1);
        for j in 0..=KNOTS {
            let xj = inv_beta_reg(alpha, beta, TAIL + j as f64 * width);
            x.push(xj);
            slope.push(1.0 / pdf(xj));
        }
        let mut q = BetaQuantile {
            alpha,
            beta,
            x,
            slope,
        };
        let usable = q.slope.iter().all(|s| s.is_finite())
            && (0..KNOTS).all(|j| {
                let u = TAIL + (j as f64 + 0.5) * width;
                (q.quantile(u) - inv_beta_reg(alpha, beta, u)).abs() <= TOLERANCE
            });
        if !usable {
            q.x.clear();
            q.slope.clear();
        }
        q
    }

    /// Whether the interpolation table is in use (false: exact inverse everywhere).
    pub fn tabulated(&self) -> bool {
        !self.x.is_empty()
    }

    /// The `u`-quantile, for `u` in (0, 1).
    #[inline]
    pub fn quantile(&self, u: f64) -> f64 {
        if self.x.is_empty() || !(TAIL..=1.0 - TAIL).contains(&u) {
            return inv_beta_reg(self.alpha, self.beta, u);
        }
        let width = (1.0 - 2.0 * TAIL) / KNOTS as f64;
        let pos = (u - TAIL) / width;
        let j = (pos as usize).min(KNOTS - 1);
        let t = pos - j as f64;
        let (x0, x1) = (self.x[j], self.x[j + 1]);
        let (m0, m1) = (self.slope[j] * width, self.slope[j + 1] * width);
        let t2 = t * t;
        let t3 = t2 * t;
        (2.0 * t3 - 3.0 * t2 + 1.0) * x0
            + (t3 - 2.0 * t2 + t) * m0
            + (-2.0 * t3 + 3.0 * t2) * x1
            + (t3 - t2) * m1
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
            for k in 1..2000 {
                let u = k as f64 / 2000.0;
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
