//! Rank correlation between inputs, by a Gaussian copula. Each correlated input's keyed
//! uniform becomes a standard normal, the normals are mixed by the Cholesky factor of the
//! Pearson matrix `r = 2 sin(pi rho_s / 6)` that gives the requested Spearman `rho_s`, and
//! mapped back to uniforms. Every marginal is kept exactly (the uniforms stay uniform), the
//! draws stay keyed (a trial's values depend only on that trial), and the rank correlation
//! achieved is the requested one up to Monte Carlo noise.

use crate::math::cholesky;
use crate::scenario::Correlation;
use crate::special::{norm_cdf, norm_inv};

use super::Input;

/// The copula of one scenario, over a subset of its inputs.
#[derive(Debug, Clone)]
pub struct Copula {
    /// Input indexes of the correlated parameters, in matrix order.
    members: Vec<usize>,
    /// Lower-triangular Cholesky factor, row-major `n x n`.
    chol: Vec<f64>,
}

impl Copula {
    /// The copula of a validated correlation (its matrix is known to factorise).
    pub fn for_inputs(c: &Correlation, inputs: &[Input]) -> Copula {
        let members = c
            .paths
            .iter()
            .map(|p| {
                inputs
                    .iter()
                    .position(|i| &i.path == p)
                    .expect("validated: correlated paths are random")
            })
            .collect();
        let chol = cholesky(&c.pearson(), c.paths.len())
            .expect("validated: correlation matrix is positive definite");
        Copula { members, chol }
    }

    /// Correlates the members' uniforms in place.
    #[inline]
    pub fn apply(&self, u: &mut [f64]) {
        let n = self.members.len();
        let mut z = [0.0f64; 64];
        let z = &mut z[..n];
        for (zi, &m) in z.iter_mut().zip(&self.members) {
            *zi = norm_inv(u[m]);
        }
        for i in 0..n {
            let mixed: f64 = (0..=i).map(|k| self.chol[i * n + k] * z[k]).sum();
            u[self.members[i]] = norm_cdf(mixed).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
        }
    }
}
